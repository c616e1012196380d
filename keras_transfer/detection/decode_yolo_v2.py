"""`decode_yolo_v2`: raw YOLOv2 outputs -> scored boxes after non-max suppression."""

import numpy as np
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
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
    anchors = np.asarray(anchors, "float32")
    if anchors.ndim != 2 or anchors.shape[1] != 2 or len(anchors) == 0:
        raise ValueError(
            "`anchors` must be a non-empty sequence of (width, height) pairs. "
            f"Received: anchors={anchors.tolist()!r}")
    outputs = tf.convert_to_tensor(outputs, tf.float32)
    encoding = 5 + (num_classes if num_classes > 1 else 0)
    if outputs.shape.rank != 4 or outputs.shape[-1] != len(anchors) * encoding:
        raise ValueError(
            f"`outputs` must be [batch, rows, cols, {len(anchors) * encoding}] "
            f"for {len(anchors)} anchors and {num_classes} classes. "
            f"Received: shape={outputs.shape.as_list()}")
    batch, rows, cols = (tf.shape(outputs)[i] for i in range(3))
    raw = tf.reshape(outputs, [batch, rows, cols, len(anchors), encoding])
    col = tf.cast(tf.range(cols), tf.float32)[None, None, :, None]
    row = tf.cast(tf.range(rows), tf.float32)[None, :, None, None]
    rows_f, cols_f = tf.cast(rows, tf.float32), tf.cast(cols, tf.float32)
    cx = (col + tf.sigmoid(raw[..., 0])) / cols_f
    cy = (row + tf.sigmoid(raw[..., 1])) / rows_f
    w = tf.exp(raw[..., 2]) * anchors[:, 0] / cols_f
    h = tf.exp(raw[..., 3]) * anchors[:, 1] / rows_f
    scores = tf.sigmoid(raw[..., 4])
    if num_classes > 1:
        probabilities = tf.nn.softmax(raw[..., 5:], axis=-1)
        class_ids = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
        scores = scores * tf.reduce_max(probabilities, axis=-1)
    else:
        class_ids = tf.zeros_like(scores, tf.int32)
    boxes = tf.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1)
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
