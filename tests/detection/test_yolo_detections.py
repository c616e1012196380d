"""Tests for keras_transfer/detection/yolo_detections.py."""

import math

import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.detection.yolo_detections import yolo_detections

ANCHORS = [(1.0, 1.0), (1.0, 1.0)]  # both anchors give the cell's own box


def _logit(p):
    return math.log(p / (1 - p))


def _grid(batch=1):
    """1 x 2 cells, 2 anchors, 2 classes; every prediction off unless set."""
    out = np.zeros((batch, 1, 2, 2, 7), "float32")
    out[..., 4] = -20.0
    # Cell 0 (box [0, 0, .5, 1]): anchor 0 class 0 at 0.9 * 0.9; anchor 1
    # class 1 at 0.8 * 0.75, the same box: kept, another class.
    out[0, 0, 0, 0] = [0, 0, 0, 0, _logit(0.9), math.log(9.0), 0.0]
    out[0, 0, 0, 1] = [0, 0, 0, 0, _logit(0.8), 0.0, math.log(3.0)]
    # Cell 1 (box [.5, 0, 1, 1]): class 0 at 0.7 * 0.9, and the same box and
    # class at 0.6 * 0.9, suppressed (IoU 1).
    out[0, 0, 1, 0] = [0, 0, 0, 0, _logit(0.7), math.log(9.0), 0.0]
    out[0, 0, 1, 1] = [0, 0, 0, 0, _logit(0.6), math.log(9.0), 0.0]
    return out.reshape(batch, 1, 2, 14)


def _run(outputs=None, **kwargs):
    found = yolo_detections(_grid() if outputs is None else outputs, ANCHORS,
                            num_classes=2, **kwargs)
    return {key: value.numpy() for key, value in found.items()}


def test_class_aware_nms_keeps_other_classes_and_drops_same_class_overlaps():
    found = _run(max_detections=5)

    assert found["num_detections"].tolist() == [3]
    np.testing.assert_allclose(found["scores"][0], [0.81, 0.63, 0.6, 0, 0], atol=1e-6)
    assert found["class_ids"][0].tolist() == [0, 0, 1, 0, 0]
    np.testing.assert_allclose(found["boxes"][0], [
        [0, 0, 0.5, 1], [0.5, 0, 1, 1], [0, 0, 0.5, 1], [0, 0, 0, 0], [0, 0, 0, 0]],
        atol=1e-6)


def test_thresholds_and_max_detections():
    np.testing.assert_allclose(_run(max_detections=2)["scores"][0], [0.81, 0.63], atol=1e-6)
    np.testing.assert_allclose(_run(score_threshold=0.62, max_detections=4)["scores"][0],
                               [0.81, 0.63, 0, 0], atol=1e-6)
    # IoU 1 is not "more than" 1: nothing is suppressed.
    np.testing.assert_allclose(_run(iou_threshold=1.0, max_detections=4)["scores"][0],
                               [0.81, 0.63, 0.6, 0.54], atol=1e-6)


def test_boxes_in_pixels_of_the_padded_square_clipped_to_the_photo():
    # 50 x 100 photo: a 100-pixel square, the bottom half padding.
    found = _run(image_sizes=[[50, 100]], max_detections=3)

    np.testing.assert_allclose(found["boxes"][0], [
        [0, 0, 50, 50], [50, 0, 100, 50], [0, 0, 50, 50]], atol=1e-4)


def test_runs_in_a_graph_with_an_unknown_batch_and_images_on_their_own():
    grids = _grid(batch=2)  # the second image predicts nothing
    function = tf.function(
        lambda outputs, sizes: yolo_detections(outputs, ANCHORS, 2, image_sizes=sizes,
                                               max_detections=4),
        input_signature=[tf.TensorSpec([None, 1, 2, 14]), tf.TensorSpec([None, 2], tf.int32)])

    found = function(grids, tf.constant([[100, 100], [30, 40]]))

    assert found["num_detections"].numpy().tolist() == [3, 0]
    assert not np.any(found["boxes"].numpy()[1]) and not np.any(found["scores"].numpy()[1])
    np.testing.assert_allclose(found["boxes"].numpy()[0, 1], [50, 0, 100, 100], atol=1e-4)


def test_one_class_scores_are_the_objectness():
    out = np.full((1, 1, 1, 5), -20.0, "float32")
    out[0, 0, 0] = [0, 0, 0, 0, _logit(0.7)]

    found = yolo_detections(out, [(1.0, 1.0)])

    np.testing.assert_allclose(found["scores"].numpy()[0, :1], [0.7], atol=1e-6)
    assert found["scores"].shape == (1, 100)


@pytest.mark.parametrize("kwargs, message", [
    ({"outputs": np.zeros((1, 1, 2, 13))}, r"`outputs` must be \[batch, rows, cols, 14\]"),
    ({"score_threshold": 1.0}, "score_threshold"),
    ({"iou_threshold": -0.1}, "iou_threshold"),
    ({"max_detections": 0}, "max_detections"),
])
def test_refuses_bad_arguments(kwargs, message):
    arguments = dict(outputs=_grid(), anchors=ANCHORS, num_classes=2)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        yolo_detections(**arguments)
