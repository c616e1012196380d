"""Tests for keras_transfer/detection/detect_objects.py."""

import math

import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.detection.detect_objects import detect_objects, square_input
from tests.detection.tiny_detectors import builder_like_detector


def test_square_input_pads_bottom_right_then_resizes_like_face_api():
    image = np.full((2, 4, 3), 255, np.uint8)

    square = square_input(image, 4)

    expected = np.zeros((4, 4, 3), "float32")
    expected[:2] = 1.0  # the photo on top, zeros below
    np.testing.assert_array_equal(square, expected)
    half = square_input(np.ones((4, 4, 3), "float32"), 2)
    np.testing.assert_array_equal(half, np.ones((2, 2, 3)))
    with pytest.raises(ValueError, match=r"`image` must be \[height, width, 3\]"):
        square_input(np.zeros((4, 4)), 32)


def test_boxes_are_scaled_to_the_photo_and_clipped():
    seen = []

    def model(images, training=False):
        seen.append(images.shape.as_list())
        out = np.zeros((images.shape[0], 2, 2, 5), "float32")
        out[..., 4] = -10.0
        out[:, 1, 1] = [0, 0, math.log(1.5), 0, 3.0]  # cell centre, 1.5 cells wide
        return tf.constant(out)

    found = detect_objects(model, [np.zeros((40, 64, 3), np.uint8)], [(1.0, 1.0)],
                           ["thing"], input_size=64)

    assert seen == [[1, 64, 64, 3]]
    # Centre (0.75, 0.75) of the 64-pixel square, 48 x 32 pixels, clipped to 64 x 40.
    np.testing.assert_allclose(found[0].boxes, [[24, 32, 64, 40]], atol=1e-4)
    np.testing.assert_allclose(found[0].scores, [1 / (1 + math.exp(-3))], atol=1e-6)
    assert (found[0].width, found[0].height, found[0].class_names) == (64, 40, ("thing",))


def test_refuses_an_input_size_that_is_not_a_multiple_of_32():
    with pytest.raises(ValueError, match="`input_size` must be a multiple of 32"):
        detect_objects(None, [], [(1, 1)], ["face"], input_size=100)


def test_builder_models_bring_their_anchors_classes_and_input_size():
    # Every cell: its own box (anchor 0), objectness logit 3, classes (0.25,
    # 0.75); anchor 1 predicts nothing.
    model = builder_like_detector(head_bias=[0, 0, 0, 0, 3.0, 0, math.log(3.0),
                                             0, 0, 0, 0, -20.0, 0, 0])

    found = detect_objects(model, [np.zeros((40, 64, 3), np.uint8)])

    # 2 x 2 cells of the 64-pixel square, clipped to the 40 rows of the photo.
    np.testing.assert_allclose(found[0].boxes[np.lexsort(found[0].boxes.T[::-1])], [
        [0, 0, 32, 32], [0, 32, 32, 40], [32, 0, 64, 32], [32, 32, 64, 40]], atol=1e-4)
    np.testing.assert_allclose(found[0].scores, [0.75 / (1 + math.exp(-3))] * 4, atol=1e-6)
    assert found[0].class_ids.tolist() == [1] * 4
    assert found[0].class_names == ("0", "1")
    named = detect_objects(model, [np.zeros((8, 8, 3), np.uint8)] * 3, class_names=["a", "b"],
                           batch_size=2)
    assert [item.image_id for item in named] == ["0", "1", "2"]
    assert named[0].class_names == ("a", "b")
    with pytest.raises(ValueError, match="predicts 2 classes but `class_names` has 1"):
        detect_objects(model, [np.zeros((8, 8, 3), np.uint8)], class_names=["a"])
    with pytest.raises(ValueError, match="differs from the model's input size"):
        detect_objects(model, [np.zeros((8, 8, 3), np.uint8)], input_size=32)


def test_a_raw_detector_needs_anchors_and_class_names():
    with pytest.raises(ValueError, match="`anchors` and `class_names` are needed"):
        detect_objects(lambda x, training=False: x, [np.zeros((8, 8, 3), np.uint8)])
