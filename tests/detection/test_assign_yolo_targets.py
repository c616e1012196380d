"""Tests for keras_transfer/detection/assign_yolo_targets.py on hand-made cases."""

import numpy as np
import pytest

from keras_transfer.detection.assign_yolo_targets import assign_yolo_targets

ANCHORS = [(1.0, 1.0), (1.0, 2.0)]


def test_centre_cell_and_best_shape_anchor():
    # Centre (0.2, 0.3) of a 4x4 grid: row 1, col 0. Size 0.8 x 1.6 cells:
    # shape IoU 0.8 / 1.48 = 0.54 with (1, 1), 1.28 / 2 = 0.64 with (1, 2).
    boxes = np.array([[[0.1, 0.1, 0.3, 0.5, 2, 1]]], "float32")

    targets = assign_yolo_targets(boxes, (4, 4), ANCHORS)

    mask = targets["mask"].numpy()
    assert mask.shape == (1, 4, 4, 2)
    assert mask.sum() == 1 and mask[0, 1, 0, 1] == 1
    np.testing.assert_allclose(targets["boxes"].numpy()[0, 1, 0, 1], [0.1, 0.1, 0.3, 0.5])
    assert targets["class_ids"].numpy()[0, 1, 0, 1] == 2


def test_padding_collisions_edges_and_batches():
    boxes = np.zeros((2, 4, 6), "float32")
    # Image 0: two boxes of the same shape in the same cell (the first keeps
    # it), a padding row with a box in it (valid 0), and a wide box whose
    # centre is on the right edge (clipped into the last column).
    boxes[0, 0] = [0.55, 0.55, 0.7, 0.7, 1, 1]
    boxes[0, 1] = [0.52, 0.52, 0.68, 0.68, 3, 1]
    boxes[0, 2] = [0.0, 0.0, 0.2, 0.2, 4, 0]
    boxes[0, 3] = [0.8, 0.0, 1.2, 0.1, 5, 1]
    # Image 1: one tall box in cell (row 0, col 3).
    boxes[1, 0] = [0.8, 0.0, 0.9, 0.45, 6, 1]

    targets = assign_yolo_targets(boxes, (4, 4), ANCHORS)

    mask, class_ids = targets["mask"].numpy(), targets["class_ids"].numpy()
    assert list(zip(*np.nonzero(mask))) == [(0, 0, 3, 0), (0, 2, 2, 0), (1, 0, 3, 1)]
    assert class_ids[0, 2, 2, 0] == 1  # the first of the two colliding boxes
    assert class_ids[0, 0, 3, 0] == 5 and class_ids[1, 0, 3, 1] == 6
    np.testing.assert_allclose(targets["boxes"].numpy()[1, 0, 3, 1], [0.8, 0.0, 0.9, 0.45])


def test_refuses_a_box_tensor_without_six_columns():
    with pytest.raises(ValueError, match=r"must be \[batch, max_boxes, 6\]"):
        assign_yolo_targets(np.zeros((1, 2, 5)), (4, 4), ANCHORS)
    with pytest.raises(ValueError, match="`anchors` must be a non-empty sequence"):
        assign_yolo_targets(np.zeros((1, 2, 6)), (4, 4), [(1.0, -1.0)])
