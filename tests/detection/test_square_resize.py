"""Tests for keras_transfer/detection/square_resize.py."""

import numpy as np
import tensorflow as tf

from keras_transfer.detection.square_resize import square_resize


def _padded_reference(image, size):
    """face-api's way, literally: the whole square, then ResizeBilinear."""
    side = max(image.shape[:2])
    square = np.zeros((side, side, 3), "float32")
    square[:image.shape[0], :image.shape[1]] = image / 255.0
    return tf.raw_ops.ResizeBilinear(images=square[None], size=list(size),
                                     align_corners=False, half_pixel_centers=False)[0].numpy()


def test_equals_padding_to_a_square_then_resizing():
    rng = np.random.default_rng(0)
    for shape, size in (((37, 53, 3), (32, 32)), ((53, 37, 3), (64, 96)),
                        ((20, 300, 3), (64, 64)), ((64, 64, 3), (64, 64))):
        image = rng.integers(0, 256, shape).astype(np.uint8)

        got = square_resize(image, size).numpy()

        assert got.shape == size + (3,)
        np.testing.assert_allclose(got, _padded_reference(image, size), atol=2e-6)


def test_float_images_are_taken_as_values_in_0_1():
    image = np.full((4, 8, 3), 0.5, "float32")

    got = square_resize(image, (8, 8)).numpy()

    np.testing.assert_allclose(got[:4], 0.5)
    np.testing.assert_allclose(got[4:], 0.0)
