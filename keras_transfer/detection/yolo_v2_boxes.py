"""`yolo_v2_boxes`: the one place raw YOLOv2 outputs become boxes (decoding, loss, serving)."""

import numpy as np
import tensorflow as tf

# exp(tw) is bounded so an untrained head cannot overflow the box size.
MAX_LOG_SCALE = 8.0


def check_anchors(anchors):
    """Returns `anchors` as a float32 `[num_anchors, 2]` array.

    Raises:
        ValueError: unless `anchors` is a non-empty sequence of positive
            `(width, height)` pairs.
    """
    try:
        array = np.asarray(anchors, "float32")
    except (TypeError, ValueError):
        array = np.zeros((0,))
    if array.ndim != 2 or array.shape[1] != 2 or len(array) == 0 or np.any(array <= 0):
        raise ValueError(
            "`anchors` must be a non-empty sequence of positive (width, height) "
            f"pairs. Received: anchors={anchors!r}")
    return array


def encoding_size(num_classes):
    """Values per anchor: 4 box offsets, objectness, and class logits when > 1 class."""
    return 5 + (num_classes if num_classes > 1 else 0)


def yolo_v2_boxes(outputs, anchors, num_classes):
    """Splits raw YOLOv2 outputs into boxes, objectness and class logits.

    Per cell `(row, col)` and anchor `(aw, ah)` (in cells), the box centre is
    `((col + sigmoid(tx)) / cols, (row + sigmoid(ty)) / rows)` and its size
    `(exp(tw) * aw / cols, exp(th) * ah / rows)`, relative to the input
    image (YOLOv2, face-api). `tw`, `th` are clipped to `MAX_LOG_SCALE`.

    Args:
        outputs: float tensor `[batch, rows, cols, anchors * encoding]`.
        anchors: float32 `[num_anchors, 2]` array (see `check_anchors`).
        num_classes: int.

    Returns:
        `(boxes, objectness_logits, class_logits)`: float32 `[batch, rows,
        cols, anchors, 4]` xyxy in [0, 1] of the input, `[batch, rows, cols,
        anchors]`, and `[batch, rows, cols, anchors, num_classes]` (`None`
        for one class).
    """
    outputs = tf.cast(outputs, tf.float32)
    shape = tf.shape(outputs)
    batch, rows, cols = shape[0], shape[1], shape[2]
    raw = tf.reshape(outputs, [batch, rows, cols, len(anchors), encoding_size(num_classes)])
    col = tf.cast(tf.range(cols), tf.float32)[None, None, :, None]
    row = tf.cast(tf.range(rows), tf.float32)[None, :, None, None]
    rows_f, cols_f = tf.cast(rows, tf.float32), tf.cast(cols, tf.float32)
    cx = (col + tf.sigmoid(raw[..., 0])) / cols_f
    cy = (row + tf.sigmoid(raw[..., 1])) / rows_f
    w = tf.exp(tf.minimum(raw[..., 2], MAX_LOG_SCALE)) * anchors[:, 0] / cols_f
    h = tf.exp(tf.minimum(raw[..., 3], MAX_LOG_SCALE)) * anchors[:, 1] / rows_f
    boxes = tf.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1)
    class_logits = raw[..., 5:] if num_classes > 1 else None
    return boxes, raw[..., 4], class_logits
