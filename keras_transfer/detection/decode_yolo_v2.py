"""`decode_yolo_v2`: raw YOLOv2 outputs -> scored boxes after non-max suppression."""

import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.detection.yolo_v2_boxes import (
    check_anchors, encoding_size, yolo_v2_boxes)
from keras_transfer.utils.argument_validation import check_int, check_number


@keras_transfer_export("keras_transfer.detection.decode_yolo_v2")
def decode_yolo_v2(outputs, anchors, num_classes=1, score_threshold=0.5,
                   iou_threshold=0.4, max_detections=100):
    """Decodes YOLOv2 outputs into boxes, then applies non-max suppression.

    Each output cell `(row, col)` holds, for each anchor `(aw, ah)`,
    `(tx, ty, tw, th, to)` followed by `num_classes` class logits when
    `num_classes > 1`. The box centre is `((col + sigmoid(tx)) / cols,
    (row + sigmoid(ty)) / rows)`, its size `(exp(tw) * aw / cols, exp(th) *
    ah / rows)`, its score `sigmoid(to)` (times the best class's softmax
    probability when `num_classes > 1`), as in YOLOv2 and face-api.
    Boxes with a score above `score_threshold` go through
    `tf.image.non_max_suppression` (per image, over all classes).

    Args:
        outputs: float `[batch, rows, cols, anchors * (5 + classes)]` tensor
            or array (classes counted only when `num_classes > 1`).
        anchors: sequence of `(width, height)` pairs, in output cells.
        num_classes: int. Number of classes. Defaults to 1.
        score_threshold: float in [0, 1). Defaults to 0.5.
        iou_threshold: float in [0, 1]. Boxes overlapping a better box by
            more than this are dropped. Defaults to 0.4.
        max_detections: int. Most boxes kept per image. Defaults to 100.

    Returns:
        list (one per image) of dicts with `"boxes"` (float32 `[n, 4]`
        `[x_min, y_min, x_max, y_max]` relative to the network input, 0..1),
        `"scores"` (float32 `[n]`, best first) and `"class_ids"` (int32
        `[n]`).

    Raises:
        ValueError: on a bad argument, or when the last axis of `outputs` is
            not `len(anchors) * (5 + classes)`.

    Example:

    ```python
    detections = keras_transfer.detection.decode_yolo_v2(
        model(images), anchors=[(1.6, 2.1), (6.0, 7.1)])
    detections[0]["boxes"], detections[0]["scores"]
    ```
    """
    check_int(num_classes, "num_classes", 1)
    check_number(score_threshold, "score_threshold", 0, 1, max_open=True)
    check_number(iou_threshold, "iou_threshold", 0, 1)
    check_int(max_detections, "max_detections", 1)
    anchors = check_anchors(anchors)
    outputs = tf.convert_to_tensor(outputs, tf.float32)
    encoding = encoding_size(num_classes)
    if outputs.shape.rank != 4 or outputs.shape[-1] != len(anchors) * encoding:
        raise ValueError(
            f"`outputs` must be [batch, rows, cols, {len(anchors) * encoding}] "
            f"for {len(anchors)} anchors and {num_classes} classes. "
            f"Received: shape={outputs.shape.as_list()}")
    batch = tf.shape(outputs)[0]
    boxes, objectness, class_logits = yolo_v2_boxes(outputs, anchors, num_classes)
    scores = tf.sigmoid(objectness)
    if class_logits is not None:
        probabilities = tf.nn.softmax(class_logits, axis=-1)
        class_ids = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
        scores = scores * tf.reduce_max(probabilities, axis=-1)
    else:
        class_ids = tf.zeros_like(scores, tf.int32)
    boxes = tf.reshape(boxes, [batch, -1, 4])
    scores = tf.reshape(scores, [batch, -1])
    class_ids = tf.reshape(class_ids, [batch, -1])

    results = []
    for index in range(int(batch)):
        # tf.image.non_max_suppression takes [y_min, x_min, y_max, x_max].
        keep = tf.image.non_max_suppression(
            tf.gather(boxes[index], [1, 0, 3, 2], axis=-1), scores[index],
            max_detections, iou_threshold=iou_threshold,
            score_threshold=score_threshold)
        results.append({
            "boxes": tf.gather(boxes[index], keep).numpy(),
            "scores": tf.gather(scores[index], keep).numpy(),
            "class_ids": tf.gather(class_ids[index], keep).numpy(),
        })
    return results
