"""Tests for keras_transfer/report/build_detections_figure.py."""

import numpy as np

from keras_transfer.data.image_boxes import make_image_boxes
from keras_transfer.report.build_detections_figure import build_detections_figure

NAMES = ("cat", "dog")


def _photo_and_boxes(index):
    truth = make_image_boxes(f"p{index}", 40, 30, [[1, 2, 10, 12], [20, 5, 30, 25]], [0, 1],
                             NAMES)
    found = make_image_boxes(f"p{index}", 40, 30, [[1, 2, 11, 12], [0, 0, 5, 5]], [0, 1],
                             NAMES, scores=[0.9, 0.1])
    return np.zeros((30, 40, 3), np.uint8), truth, found


def _gids(figure, gid):
    return sum(1 for axes in figure.axes for patch in axes.patches if patch.get_gid() == gid)


def test_draws_true_boxes_and_predictions_above_the_threshold():
    images, truth, found = zip(*[_photo_and_boxes(i) for i in range(10)])

    figure = build_detections_figure(images, truth, found, score_threshold=0.25)

    assert len(figure.axes) == 8  # at most MAX_IMAGES photos
    assert _gids(figure, "true-box") == 16 and _gids(figure, "predicted-box") == 8
    assert figure.axes[0].texts[0].get_text() == "cat 0.90"
    assert build_detections_figure([], [], []) is None
