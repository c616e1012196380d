"""Tests for keras_transfer/data/datasets/objects_on_photos.py."""

import os

import numpy as np
import pytest

from keras_transfer.data.datasets import objects_on_photos
from keras_transfer.testing import require


def test_free_place_avoids_placed_boxes_and_gives_up_when_full():
    rng = np.random.default_rng(0)
    placed = [[0, 0, 20, 40]]  # the left half of a 40-pixel image
    for _ in range(10):
        y, x, box = objects_on_photos.free_place(rng, 40, 10, (2, 3, 8, 9), placed)
        assert box == [x + 2, y + 3, x + 8, y + 9]
        assert box[0] >= 20  # right of the placed box
    assert objects_on_photos.free_place(rng, 40, 10, (0, 0, 10, 10), [[0, 0, 40, 40]]) is None


def test_random_crop_is_a_square_of_the_photo():
    photo = np.arange(60 * 90 * 3, dtype=np.float32).reshape(60, 90, 3) % 255
    crop = objects_on_photos.random_crop([photo], 32, np.random.default_rng(1))
    assert crop.shape == (32, 32, 3) and crop.dtype == np.float32
    assert 0 <= crop.min() and crop.max() <= 255


def test_every_photo_loads_including_a_part_of_a_stereo_pair():
    pytest.importorskip("skimage")
    require(os.path.isdir(objects_on_photos.OPENCV_DATA),
            "sudo apt-get install opencv-doc (the detection sets' photos)")
    for split in ("train", "test"):
        photos = objects_on_photos.load_photos("test", split)
        assert len(photos) == len(objects_on_photos.PHOTOS[split])
        assert all(p.ndim == 3 and p.shape[2] == 3 and p.dtype == np.uint8 for p in photos)
    # skimage has no `motorcycle_left`: the left image of `stereo_motorcycle`.
    train = objects_on_photos.PHOTOS["train"]
    left = objects_on_photos.load_photos("test", "train")[train.index("motorcycle_left")]
    assert left.shape == (500, 741, 3)


def test_missing_opencv_photos_name_the_debian_package(monkeypatch, tmp_path):
    pytest.importorskip("skimage")
    monkeypatch.setattr(objects_on_photos, "OPENCV_DATA", str(tmp_path / "absent"))
    with pytest.raises(FileNotFoundError, match="apt-get install opencv-doc"):
        objects_on_photos.load_photos("digits_on_photos", "train")


def test_photos_with_printed_digits_or_people_are_left_out():
    every = objects_on_photos.PHOTOS["train"] + objects_on_photos.PHOTOS["test"]
    for name in ("opencv:board.jpg", "opencv:box.png", "opencv:messi5.jpg",
                 "opencv:digits.png", "opencv:sudoku.png"):
        assert name not in every
