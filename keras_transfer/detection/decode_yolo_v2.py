"""`decode_yolo_v2`: raw YOLOv2 outputs -> per-image NumPy boxes after non-max suppression."""

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.detection.yolo_detections import yolo_detections


@keras_transfer_export("keras_transfer.detection.decode_yolo_v2")
def decode_yolo_v2(outputs, anchors, num_classes=1, score_threshold=0.5,
                   iou_threshold=0.4, max_detections=100):
    """Decodes YOLOv2 outputs into boxes, then applies non-max suppression.

    Each output cell `(row, col)` holds, for each anchor `(aw, ah)`,
    `(tx, ty, tw, th, to)` followed by `num_classes` class logits when
    `num_classes > 1`. The box centre is `((col + sigmoid(tx)) / cols,
    (row + sigmoid(ty)) / rows)`, its size `(exp(tw) * aw / cols, exp(th) *
    ah / rows)`, its score for each class `sigmoid(to)` (times the class's
    softmax probability when `num_classes > 1`), as in YOLOv2 and face-api.
    This is `keras_transfer.detection.yolo_detections` (class-aware
    non-max suppression in the graph) with its padded tensors cut to
    NumPy arrays per image.

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
    found = yolo_detections(outputs, anchors, num_classes, score_threshold=score_threshold,
                            iou_threshold=iou_threshold, max_detections=max_detections)
    found = {key: value.numpy() for key, value in found.items()}
    return [{"boxes": found["boxes"][index, :count],
             "scores": found["scores"][index, :count],
             "class_ids": found["class_ids"][index, :count]}
            for index, count in enumerate(found["num_detections"])]
