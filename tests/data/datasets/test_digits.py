"""Tests of the digits loader (scikit-learn's 8x8 digits in MNIST's format)."""

import numpy as np
import pytest
import tensorflow as tf

from keras_transfer import data
from keras_transfer.data.datasets import digits


def _centre_of_mass(images):
    images = images.astype(np.float64)
    mass = images.sum(axis=(1, 2))
    rows = images.sum(axis=2) @ np.arange(28) / mass
    cols = images.sum(axis=1) @ np.arange(28) / mass
    return rows, cols


def test_fixed_partition_shape_dtype_range_and_pixel_sums():
    train = data.load_dataset("digits", "train")
    test = data.load_dataset("digits", "test")
    assert train.x.shape == (1198, 28, 28) and test.x.shape == (599, 28, 28)
    assert train.x.dtype == np.uint8 and train.y.dtype == np.int32
    assert int(train.x.min()) == 0 and int(train.x.max()) == 255
    assert test.class_names == tuple("0123456789")
    counts = list(test.class_counts().values())
    assert counts == [59, 62, 60, 62, 62, 59, 61, 61, 55, 58]
    total = int(train.x.astype(np.int64).sum() + test.x.astype(np.int64).sum())
    assert total == 55950333
    # Fixed pools in file order: the test pool is sklearn's last 599 digits.
    from sklearn.datasets import load_digits

    bunch = load_digits()
    expected = digits.to_mnist_format(bunch.images[1198:])
    want = zip(bunch.target[1198:].tolist(), [i.tobytes() for i in expected])
    got = zip(test.y.tolist(), [i.tobytes() for i in test.x])
    assert sorted(want) == sorted(got)


def test_digits_are_centred_and_boxed_like_mnist():
    x = data.load_dataset("digits", "test").x
    rows, cols = _centre_of_mass(x)
    assert np.all(np.abs(rows - 14) <= 0.5) and np.all(np.abs(cols - 14) <= 0.5)
    ink = x > 0
    height = 28 - ink.any(2).argmax(1) - ink.any(2)[:, ::-1].argmax(1)
    width = 28 - ink.any(1).argmax(1) - ink.any(1)[:, ::-1].argmax(1)
    assert np.all(np.maximum(height, width) == 20)


def test_resize_matches_tensorflow_bilinear():
    images = np.random.default_rng(0).uniform(0, 16, (5, 8, 8))
    weights = digits.bilinear_weights(8, 20)
    ours = np.einsum("ij,njk,lk->nil", weights, images, weights)
    theirs = tf.image.resize(images[..., None], (20, 20), method="bilinear",
                             antialias=False).numpy()[..., 0]
    np.testing.assert_allclose(ours, theirs, atol=1e-4)


def test_transform_of_known_images():
    full = np.full((1, 8, 8), 16.0)
    out = digits.to_mnist_format(full)[0]
    assert out[4:24, 4:24].min() == 255 and out.sum() == 255 * 400
    # Ink in the top-left corner only: the box is shifted as far as it can go.
    corner = np.zeros((1, 8, 8))
    corner[0, 0, 0] = 8.0
    out = digits.to_mnist_format(corner)[0]
    assert out[8, 8] == 128 and out[:8].sum() == 0 and out[:, :8].sum() == 0
    assert digits.to_mnist_format(np.zeros((1, 8, 8))).sum() == 0


def test_sample_and_errors():
    a = data.load_dataset("digits", "train", num_examples=100, seed=1)
    assert set(a.class_counts().values()) == {10}
    b = data.load_dataset("digits", "train", num_examples=100, seed=2)
    assert not np.array_equal(a.x, b.x)
    with pytest.raises(ValueError, match=r"holds 599 examples, fewer than requested"):
        data.load_dataset("digits", "test", num_examples=600)
    with pytest.raises(ValueError, match=r"Received: split='validation'"):
        digits.load_digits("validation")
