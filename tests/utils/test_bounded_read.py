"""Tests for keras_transfer/utils/bounded_read.py."""

import pytest

from keras_transfer.utils.bounded_read import read_bounded


def test_read_bounded(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"12345")
    assert read_bounded(path, 5) == b"12345"
    with pytest.raises(ValueError, match="has 5 bytes, more than the 4 allowed"):
        read_bounded(path, 4, "test file")
