"""`yolo_detections`: raw YOLOv2 grid outputs -> boxes, scores, classes, count, NMS in the graph."""

import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.detection.yolo_v2_boxes import (
    check_anchors, encoding_size, yolo_v2_boxes)
from keras_transfer.utils.argument_validation import check_int, check_number


def check_thresholds(score_threshold, iou_threshold, max_detections):
    """Checks the three post-processing arguments (Python values)."""
    check_number(score_threshold, "score_threshold", 0, 1, max_open=True)
    check_number(iou_threshold, "iou_threshold", 0, 1)
    check_int(max_detections, "max_detections", 1)


@keras_transfer_export("keras_transfer.detection.yolo_detections")
def yolo_detections(outputs, anchors, num_classes=1, image_sizes=None, score_threshold=0.5,
                    iou_threshold=0.4, max_detections=100):
    """Turns a YOLOv2 head's raw grid output into final detections, in the graph.

    Every cell and anchor gives a box (`keras_transfer.detection.
    yolo_v2_boxes`' decoding: centre `((col + sigmoid(tx)) / cols, (row +
    sigmoid(ty)) / rows)`, size `(exp(tw) * aw / cols, exp(th) * ah /
    rows)`) and one score per class: `sigmoid(objectness)` times the class's
    softmax probability (`sigmoid(objectness)` alone for one class).
    Class-aware non-max suppression (`tf.image.combined_non_max_suppression`)
    then keeps, per image and class, the boxes scoring above
    `score_threshold` that do not overlap a better box of the same class by
    more than `iou_threshold`, and the best `max_detections` of all classes.
    Boxes of different classes never suppress each other, so one place can
    be reported under two classes when both score above the threshold.

    Only TensorFlow ops: it runs eagerly, inside `tf.function` and in an
    exported SavedModel (`keras_transfer.export.export_detector`), and the
    Python helper `keras_transfer.detection.detect_objects` calls it too.

    With `image_sizes`, boxes are in pixels of the original images, which
    the network saw padded at the bottom or right to a square and resized
    (`keras_transfer.detection.square_resize`): relative boxes are
    multiplied by the longer side and clipped to the image. Without it they
    stay relative to the network input (0..1, not clipped).

    Args:
        outputs: float `[batch, rows, cols, anchors * (5 + classes)]`
            (classes counted only when `num_classes > 1`).
        anchors: sequence of `(width, height)` pairs, in output cells.
        num_classes: int. Defaults to 1.
        image_sizes: int or float `[batch, 2]`: `(height, width)` of each
            original image. Defaults to `None` (relative boxes).
        score_threshold: float in [0, 1). Scores must be above it.
            Defaults to 0.5.
        iou_threshold: float in [0, 1]. Defaults to 0.4.
        max_detections: int. Boxes kept per image (and per class).
            Defaults to 100.

    Returns:
        dict of tensors, padded to `max_detections` per image, best first:
        `"boxes"` float32 `[batch, max_detections, 4]` `[x_min, y_min,
        x_max, y_max]`, `"scores"` float32 `[batch, max_detections]`,
        `"class_ids"` int32 `[batch, max_detections]` and
        `"num_detections"` int32 `[batch]` (rows past it are zeros).

    Raises:
        ValueError: on a bad argument, or when the last axis of `outputs` is
            not `len(anchors) * (5 + classes)`.

    Example:

    ```python
    found = keras_transfer.detection.yolo_detections(
        model(images), model.get_layer("head").anchors, num_classes=3,
        image_sizes=[[480, 640]])
    n = int(found["num_detections"][0])
    found["boxes"][0, :n], found["class_ids"][0, :n]
    ```
    """
    check_int(num_classes, "num_classes", 1)
    check_thresholds(score_threshold, iou_threshold, max_detections)
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
    scores = tf.sigmoid(objectness)[..., None]
    if class_logits is not None:
        scores = scores * tf.nn.softmax(class_logits, axis=-1)
    boxes = tf.reshape(boxes, [batch, -1, 1, 4])
    scores = tf.reshape(scores, [batch, -1, num_classes])
    # combined_non_max_suppression takes [y_min, x_min, y_max, x_max]; the
    # order does not change IoUs, so xyxy boxes go through as they are.
    found = tf.image.combined_non_max_suppression(
        boxes, scores, max_output_size_per_class=max_detections,
        max_total_size=max_detections, iou_threshold=iou_threshold,
        score_threshold=score_threshold, pad_per_class=False, clip_boxes=False)
    count = found.valid_detections
    kept = tf.sequence_mask(count, max_detections, tf.float32)
    result_boxes = found.nmsed_boxes
    if image_sizes is not None:
        sizes = tf.cast(tf.convert_to_tensor(image_sizes), tf.float32)
        height, width = sizes[:, 0, None], sizes[:, 1, None]
        side = tf.maximum(height, width)[..., None]
        upper = tf.stack([width, height, width, height], axis=-1)
        result_boxes = tf.clip_by_value(result_boxes * side, 0.0, upper)
    return {
        "boxes": result_boxes * kept[..., None],
        "scores": found.nmsed_scores * kept,
        "class_ids": tf.cast(found.nmsed_classes, tf.int32) * tf.cast(kept, tf.int32),
        "num_detections": count,
    }
