"""Tests for keras_transfer/data/datasets/faces_on_photos.py."""

import numpy as np
import pytest

from keras_transfer.data.datasets import faces_on_photos
from keras_transfer.data.datasets.faces_on_photos import CROPS, load_faces_on_photos


def test_faces_are_boxed_and_distractors_are_not(monkeypatch):
    # Faces are white crops, non-faces black, the photo mid grey: every
    # white pixel must lie in a box, every black one outside all boxes.
    monkeypatch.setattr(faces_on_photos, "_photos",
                        lambda split: [np.full((80, 100, 3), 128, np.uint8)])
    monkeypatch.setattr(faces_on_photos, "_crops",
                        lambda split: (np.ones((3, 25, 25), np.float32),
                                       np.zeros((3, 25, 25), np.float32)))

    arrays = faces_on_photos._build("test", 8, 64, 3, 2, seed=1)

    assert arrays["counts"].max() >= 2
    for image, boxes, count in zip(arrays["images"], arrays["boxes"], arrays["counts"]):
        inside = np.zeros(image.shape[:2], bool)
        for x0, y0, x1, y1 in boxes[:count].astype(int):
            assert 0 <= x0 < x1 <= 64 and 0 <= y0 < y1 <= 64
            assert x1 - x0 == y1 - y0 and 12 <= x1 - x0 <= 29  # 20-45% of 64
            inside[y0:y1, x0:x1] = True
            assert (image[y0:y1, x0:x1] >= 250).all()  # the whole crop is the face
        white = (image >= 250).all(-1)
        black = (image <= 5).all(-1)
        assert not (white & ~inside).any()
        assert not (black & inside).any()


def test_split_crops_are_disjoint_and_bad_arguments_are_refused():
    for kind in ("faces", "non_faces"):
        assert not set(CROPS["train"][kind]) & set(CROPS["test"][kind])
    assert max(CROPS["test"]["faces"]) < min(CROPS["train"]["non_faces"])
    with pytest.raises(ValueError, match="`max_faces` must be"):
        load_faces_on_photos(max_faces=0)
    with pytest.raises(ValueError, match="split"):
        load_faces_on_photos("validation")


def test_real_crops_cached_and_deterministic():
    pytest.importorskip("skimage")
    images, boxes = load_faces_on_photos("test", num_images=4, image_size=64, seed=2)
    again, boxes_again = load_faces_on_photos("test", num_images=4, image_size=64, seed=2)

    assert images.shape == (4, 64, 64, 3) and images.dtype == np.uint8
    np.testing.assert_array_equal(images, again)
    assert [b.boxes.tolist() for b in boxes] == [b.boxes.tolist() for b in boxes_again]
    assert boxes[0].class_names == ("face",)
    assert all(set(b.class_ids.tolist()) <= {0} for b in boxes)
