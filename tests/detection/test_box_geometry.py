"""Tests for keras_transfer/detection/box_geometry.py: IoU and GIoU by hand."""

import numpy as np

from keras_transfer.detection.box_geometry import box_iou, generalized_iou, pairwise_iou


def test_generalized_iou_matches_hand_computations():
    a = np.array([[0, 0, 2, 2], [0, 0, 1, 1], [0, 0, 4, 4], [1, 1, 3, 2]], "float32")
    b = np.array([[1, 1, 3, 3], [2, 0, 3, 1], [1, 1, 2, 2], [1, 1, 3, 2]], "float32")

    giou = generalized_iou(a, b).numpy()

    # Overlap 1, union 7, enclosing 3x3 = 9: 1/7 - (9 - 7)/9.
    # Disjoint, union 2, enclosing 3x1: 0 - 1/3. Nested: IoU 1/16, the
    # enclosing box is the union. Identical: 1.
    np.testing.assert_allclose(giou, [1 / 7 - 2 / 9, -1 / 3, 1 / 16, 1.0], rtol=1e-6)
    np.testing.assert_allclose(box_iou(a, b).numpy(), [1 / 7, 0, 1 / 16, 1], rtol=1e-6)


def test_pairwise_iou_has_one_row_per_first_box():
    a = np.array([[[0, 0, 2, 2], [0, 0, 1, 1]]], "float32")
    b = np.array([[[1, 1, 3, 3], [0, 0, 1, 1], [5, 5, 5, 5]]], "float32")

    iou = pairwise_iou(a, b).numpy()

    assert iou.shape == (1, 2, 3)
    np.testing.assert_allclose(iou[0], [[1 / 7, 1 / 4, 0], [0, 1, 0]], rtol=1e-6)
