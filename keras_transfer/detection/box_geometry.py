"""Box geometry in the graph: IoU, pairwise IoU and generalized IoU of xyxy boxes."""

import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export

# Guards the divisions against empty boxes (zero area, zero enclosing area).
EPSILON = 1e-9


def _split(boxes):
    boxes = tf.convert_to_tensor(boxes)
    return boxes[..., 0], boxes[..., 1], boxes[..., 2], boxes[..., 3]


def box_area(boxes):
    """Areas of `[..., 4]` xyxy boxes (negative extents count as 0)."""
    x_min, y_min, x_max, y_max = _split(boxes)
    return tf.maximum(x_max - x_min, 0.0) * tf.maximum(y_max - y_min, 0.0)


def _intersection_and_union(boxes_a, boxes_b):
    ax0, ay0, ax1, ay1 = _split(boxes_a)
    bx0, by0, bx1, by1 = _split(boxes_b)
    width = tf.maximum(tf.minimum(ax1, bx1) - tf.maximum(ax0, bx0), 0.0)
    height = tf.maximum(tf.minimum(ay1, by1) - tf.maximum(ay0, by0), 0.0)
    intersection = width * height
    union = box_area(boxes_a) + box_area(boxes_b) - intersection
    return intersection, union


def box_iou(boxes_a, boxes_b):
    """Element-wise IoU of two broadcastable `[..., 4]` xyxy box tensors.

    Args:
        boxes_a: float tensor `[..., 4]`, `[x_min, y_min, x_max, y_max]`.
        boxes_b: float tensor `[..., 4]`, broadcastable with `boxes_a`.

    Returns:
        float tensor `[...]` in [0, 1]; 0 where both boxes are empty.
    """
    intersection, union = _intersection_and_union(boxes_a, boxes_b)
    return intersection / tf.maximum(union, EPSILON)


def pairwise_iou(boxes_a, boxes_b):
    """IoU of every box of `boxes_a` with every box of `boxes_b`.

    Args:
        boxes_a: float tensor `[..., n, 4]` xyxy.
        boxes_b: float tensor `[..., m, 4]` xyxy, same leading dimensions.

    Returns:
        float tensor `[..., n, m]`.
    """
    return box_iou(tf.expand_dims(boxes_a, -2), tf.expand_dims(boxes_b, -3))


@keras_transfer_export("keras_transfer.detection.generalized_iou")
def generalized_iou(boxes_a, boxes_b):
    """Element-wise generalized IoU (GIoU) of two `[..., 4]` xyxy box tensors.

    GIoU (Rezatofighi et al., 2019) is `IoU - (C - U) / C` with `U` the
    union of the two boxes and `C` the area of the smallest box enclosing
    both. It lies in (-1, 1], equals the IoU for nested boxes and keeps a
    gradient for boxes that do not overlap, so `1 - GIoU` is a box loss.

    Args:
        boxes_a: float tensor `[..., 4]`, `[x_min, y_min, x_max, y_max]`.
        boxes_b: float tensor `[..., 4]`, broadcastable with `boxes_a`.

    Returns:
        float tensor `[...]`.

    Example:

    ```python
    keras_transfer.detection.generalized_iou(
        [[0.0, 0.0, 2.0, 2.0]], [[1.0, 1.0, 3.0, 3.0]])  # [1/7 - 2/9]
    ```
    """
    boxes_a = tf.convert_to_tensor(boxes_a, tf.float32)
    boxes_b = tf.convert_to_tensor(boxes_b, tf.float32)
    intersection, union = _intersection_and_union(boxes_a, boxes_b)
    iou = intersection / tf.maximum(union, EPSILON)
    ax0, ay0, ax1, ay1 = _split(boxes_a)
    bx0, by0, bx1, by1 = _split(boxes_b)
    enclosing = ((tf.maximum(ax1, bx1) - tf.minimum(ax0, bx0))
                 * (tf.maximum(ay1, by1) - tf.minimum(ay0, by0)))
    return iou - (enclosing - union) / tf.maximum(enclosing, EPSILON)
