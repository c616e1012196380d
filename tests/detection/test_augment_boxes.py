"""Tests for keras_transfer/detection/augment_boxes.py: boxes follow the pixels."""

import numpy as np
import pytest

from keras_transfer.data.image_boxes import make_image_boxes
from keras_transfer.detection.augment_boxes import (
    augment_boxes, flip_horizontal, scale_and_crop)


def marked(width=40, height=20):
    """A black image with a white 10x6 block at [4, 2, 14, 8] (its box)."""
    image = np.zeros((height, width, 3), np.uint8)
    image[2:8, 4:14] = 255
    item = make_image_boxes("a", width, height, [[4, 2, 14, 8]], [1], ("x", "y"))
    return image, item


def white_box(image):
    rows, cols = np.nonzero(image[..., 0] > 127)
    return [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]


def test_flip_moves_the_box_with_the_pixels():
    image, item = marked()
    flipped, moved = flip_horizontal(image, item)
    np.testing.assert_array_equal(moved.boxes, [[26, 2, 36, 8]])
    assert white_box(flipped) == [26, 2, 36, 8]


def test_zoom_in_crop_clips_and_drops_boxes():
    image, item = marked()
    item = make_image_boxes("a", 40, 20, [[4, 2, 14, 8], [30, 10, 38, 18]], [1, 0],
                            ("x", "y"))
    # Twice the size, window at (20, 0): the first box [8, 4, 28, 16] keeps
    # [0, 4, 8, 16] (8 of 20 columns: 40% < 50%, dropped); the second box
    # [60, 20, 76, 36] is outside the window (rows 0..20): dropped too.
    out, moved = scale_and_crop(image, item, 2.0, 20, 0)
    assert out.shape == image.shape and len(moved.boxes) == 0
    # Window at (6, 0): the first box becomes [2, 4, 22, 16], whole.
    out, moved = scale_and_crop(image, item, 2.0, 6, 0)
    np.testing.assert_allclose(moved.boxes, [[2, 4, 22, 16]])
    assert moved.class_ids.tolist() == [1]
    assert white_box(out) == [2, 4, 22, 16]
    # With min_visible=0.3 the 40% box is kept, clipped.
    _, kept = scale_and_crop(image, item, 2.0, 20, 0, min_visible=0.3)
    np.testing.assert_allclose(kept.boxes, [[0, 4, 8, 16]])


def test_zoom_out_places_the_photo_on_black():
    image, item = marked()
    out, moved = scale_and_crop(image, item, 0.5, -10, -5)
    np.testing.assert_allclose(moved.boxes, [[12, 6, 17, 9]])
    assert white_box(out) == [12, 6, 17, 9]
    assert out[:5].max() == 0 and out[:, :10].max() == 0


def test_random_augmentation_keeps_boxes_on_their_pixels():
    rng = np.random.default_rng(0)
    image, item = marked()
    for _ in range(20):
        out, moved = augment_boxes(image, item, rng, scale_range=(0.5, 1.5))
        assert out.shape == image.shape and out.dtype == image.dtype
        if len(moved.boxes) and white_box(out) is not None:
            box = moved.boxes[0]
            inside = out[int(box[1]) + 1:int(box[3]) - 1, int(box[0]) + 1:int(box[2]) - 1, 0]
            assert inside.size == 0 or inside.min() > 127
    with pytest.raises(ValueError, match=r"`image` must be \[20, 40, channels\]"):
        augment_boxes(np.zeros((5, 5, 3)), item, rng)
