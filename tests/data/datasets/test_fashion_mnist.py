"""Tests of the Fashion-MNIST loader (Debian's dataset-fashion-mnist)."""

import gzip

import numpy as np
import pytest

from keras_transfer.data.datasets.fashion_mnist import load_fashion_mnist

needs_files = pytest.mark.usefixtures("fashion_mnist_files")  # tests/conftest.py


@needs_files
def test_full_test_split_known_pixel_sum():
    split = load_fashion_mnist("test")
    assert split.x.shape == (10000, 28, 28) and split.x.dtype == np.uint8
    assert int(split.x.astype(np.int64).sum()) == 573469082
    assert set(split.class_counts().values()) == {1000}


@needs_files
def test_stratified_subsample_is_balanced_and_seeded():
    split = load_fashion_mnist("train", num_examples=2000, seed=0)
    assert split.x.shape == (2000, 28, 28)
    assert set(split.class_counts().values()) == {200}
    assert split.y[:10].tolist() == [9, 7, 8, 4, 5, 7, 5, 8, 1, 3]
    assert split.class_names[9] == "Ankle boot"
    other = load_fashion_mnist("train", num_examples=2000, seed=1)
    assert other.y[:10].tolist() != split.y[:10].tolist()


def test_missing_files_say_how_to_install(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"sudo apt-get install "
                       r"dataset-fashion-mnist"):
        load_fashion_mnist(path=str(tmp_path))


def test_truncated_idx_file(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_TRANSFER_HOME", str(tmp_path / "cache"))
    header = b"\x00\x00\x08\x03" + (2).to_bytes(4, "big") + \
        (28).to_bytes(4, "big") * 2
    with gzip.open(tmp_path / "t10k-images-idx3-ubyte.gz", "wb") as f:
        f.write(header + bytes(100))
    with gzip.open(tmp_path / "t10k-labels-idx1-ubyte.gz", "wb") as f:
        f.write(b"\x00\x00\x08\x01" + (2).to_bytes(4, "big") + bytes(2))
    with pytest.raises(ValueError, match=r"truncated: its header declares "
                       r"shape \(2, 28, 28\) but it holds 100 bytes"):
        load_fashion_mnist("test", path=str(tmp_path))
