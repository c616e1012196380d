"""`assign_yolo_targets`: padded ground-truth boxes -> YOLOv2's dense per-anchor targets."""

import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.detection.yolo_v2_boxes import check_anchors

# Columns of a padded ground-truth row: box (xyxy, relative), class, valid.
BOX_COLUMNS = 6


def check_padded_boxes(boxes):
    """Returns `boxes` as a float32 tensor, checking its last axis has 6 columns.

    Raises:
        ValueError: if `boxes` is not `[batch, max_boxes, 6]`.
    """
    boxes = tf.convert_to_tensor(boxes, tf.float32)
    if boxes.shape.rank != 3 or boxes.shape[-1] != BOX_COLUMNS:
        raise ValueError(
            "Ground-truth boxes must be [batch, max_boxes, 6]: x_min, y_min, "
            "x_max, y_max (relative to the image), class id, valid (1 or 0). "
            f"Received: shape={boxes.shape.as_list()}")
    return boxes


@keras_transfer_export("keras_transfer.detection.assign_yolo_targets")
def assign_yolo_targets(boxes, grid_shape, anchors):
    """Assigns each ground-truth box to one cell and one anchor, as YOLOv2 does.

    A box goes to the cell holding its centre and to the anchor whose shape
    fits it best: the largest IoU between the box and the anchor when both
    are centred at the same point (`min(w, aw) * min(h, ah) / (w h + aw ah -
    min(w, aw) min(h, ah))`, sizes in cells). When two boxes of an image
    land on the same cell and anchor, the first (lowest row of `boxes`)
    keeps it and the other is not assigned. Padding rows (valid 0) and
    empty boxes are never assigned.

    Args:
        boxes: float `[batch, max_boxes, 6]`: `x_min, y_min, x_max, y_max`
            relative to the image (0..1), the class id, and 1 for a box or 0
            for padding (`keras_transfer.detection.pad_boxes` writes this).
        grid_shape: `(rows, cols)`: the detector's output grid (ints or
            scalar tensors).
        anchors: sequence of `(width, height)` pairs, in output cells.

    Returns:
        dict of tensors: `"mask"` float32 `[batch, rows, cols, anchors]`
        (1 where a box is assigned), `"boxes"` float32 `[batch, rows, cols,
        anchors, 4]` (the assigned box, xyxy relative; 0 elsewhere) and
        `"class_ids"` int32 `[batch, rows, cols, anchors]` (0 elsewhere).

    Raises:
        ValueError: on bad `boxes` or `anchors`.

    Example:

    ```python
    targets = keras_transfer.detection.assign_yolo_targets(
        [[[0.1, 0.1, 0.3, 0.5, 2, 1]]], (4, 4), [(1.0, 1.0), (1.0, 2.0)])
    # The box's centre (0.2, 0.3) is in cell (row 1, col 0); it is 0.8 x 1.6
    # cells, closest in shape to the second anchor:
    targets["mask"][0, 1, 0]  # [0., 1.]
    ```
    """
    boxes = check_padded_boxes(boxes)
    anchors = tf.constant(check_anchors(anchors))
    num_anchors = anchors.shape[0]
    rows = tf.cast(grid_shape[0], tf.int32)
    cols = tf.cast(grid_shape[1], tf.int32)
    rows_f, cols_f = tf.cast(rows, tf.float32), tf.cast(cols, tf.float32)
    batch, max_boxes = tf.shape(boxes)[0], tf.shape(boxes)[1]

    x_min, y_min, x_max, y_max = (boxes[..., i] for i in range(4))
    width, height = x_max - x_min, y_max - y_min
    valid = (boxes[..., 5] > 0) & (width > 0) & (height > 0)
    col = tf.clip_by_value(tf.cast(tf.floor((x_min + x_max) / 2 * cols_f), tf.int32), 0, cols - 1)
    row = tf.clip_by_value(tf.cast(tf.floor((y_min + y_max) / 2 * rows_f), tf.int32), 0, rows - 1)
    # Shape IoU of each box with each anchor, sizes in cells.
    w_cells, h_cells = (width * cols_f)[..., None], (height * rows_f)[..., None]
    overlap = tf.minimum(w_cells, anchors[:, 0]) * tf.minimum(h_cells, anchors[:, 1])
    shape_iou = overlap / (w_cells * h_cells + anchors[:, 0] * anchors[:, 1] - overlap)
    anchor = tf.argmax(shape_iou, axis=-1, output_type=tf.int32)

    # One slot per (image, row, col, anchor); the first box of a slot wins.
    image = tf.broadcast_to(tf.range(batch)[:, None], [batch, max_boxes])
    slots = batch * rows * cols * num_anchors
    slot = ((image * rows + row) * cols + col) * num_anchors + anchor
    slot = tf.where(valid, slot, slots)  # padding goes to an extra, unused slot
    order = tf.broadcast_to(tf.range(max_boxes)[None], [batch, max_boxes])
    first = tf.math.unsorted_segment_min(
        tf.reshape(order, [-1]), tf.reshape(slot, [-1]), slots + 1)
    keep = valid & tf.equal(order, tf.gather(first, slot))

    indices = tf.boolean_mask(tf.stack([image, row, col, anchor], axis=-1), keep)
    shape = tf.stack([batch, rows, cols, num_anchors])
    mask = tf.scatter_nd(indices, tf.ones([tf.shape(indices)[0]]), shape)
    assigned = tf.scatter_nd(indices, tf.boolean_mask(boxes[..., :4], keep),
                             tf.concat([shape, [4]], 0))
    class_ids = tf.scatter_nd(
        indices, tf.cast(tf.boolean_mask(boxes[..., 4], keep), tf.int32), shape)
    return {"mask": mask, "boxes": assigned, "class_ids": class_ids}
