"""Tests for keras_transfer/detection/detect_objects.py."""

import math

import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.detection.detect_objects import detect_objects, square_input


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
