"""Tests for keras_transfer/detection/square_resize.py."""

import numpy as np
import tensorflow as tf

from keras_transfer.data.image_boxes import make_image_boxes
from keras_transfer.detection.square_resize import square_resize, square_resize_boxes


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


def test_boxes_follow_the_pixels_of_a_wide_and_a_tall_photo():
    for height, width, box in ((480, 640, [100, 350, 300, 450]), (640, 480, [400, 100, 470, 600])):
        photo = np.zeros((height, width, 3), np.uint8)
        x0, y0, x1, y1 = box
        photo[y0:y1, x0:x1] = 255
        item = make_image_boxes("p", width, height, [box], [0], ("block",))

        moved = square_resize_boxes(item, (64, 96))
        image = square_resize(photo, (64, 96)).numpy()

        assert (moved.height, moved.width) == (64, 96)
        rows, cols = np.nonzero(image[..., 0] > 0.99)  # the block's full-intensity pixels
        bx0, by0, bx1, by1 = moved.boxes[0]
        assert bx0 - 1 <= cols.min() and cols.max() <= bx1 and by0 - 1 <= rows.min()
        assert rows.max() <= by1
        # The box is relative to the square, not the photo: its centre lands
        # on the block's centre.
        assert abs((bx0 + bx1) / 2 - (cols.min() + cols.max() + 1) / 2) <= 1.0
        assert abs((by0 + by1) / 2 - (rows.min() + rows.max() + 1) / 2) <= 1.0
        assert moved.class_ids.tolist() == [0] and moved.image_id == "p"
