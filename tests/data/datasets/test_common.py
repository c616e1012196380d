"""Tests of the stratified sampler and the .npz cache."""

import numpy as np
import pytest

from keras_transfer.data.datasets.common import cached_arrays
from keras_transfer.data.datasets.common import check_num_examples
from keras_transfer.data.datasets.common import stratified_sample


def test_stratified_sample_keeps_shares():
    labels = np.array([0] * 70 + [1] * 30)
    picked = stratified_sample(labels, 10, seed=0)
    assert len(set(picked.tolist())) == 10
    assert np.bincount(labels[picked]).tolist() == [7, 3]
    np.testing.assert_array_equal(picked, stratified_sample(labels, 10, 0))
    assert not np.array_equal(picked, stratified_sample(labels, 10, 1))


def test_check_num_examples():
    assert check_num_examples(None, 50, "train") == 50
    with pytest.raises(ValueError, match=r"holds 50 examples.*num_examples=51"):
        check_num_examples(51, 50, "train")
    with pytest.raises(ValueError, match=r"Received: num_examples=0"):
        check_num_examples(0, 50, "train")


def test_cached_arrays_builds_once(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_TRANSFER_HOME", str(tmp_path))
    calls = []

    def build():
        calls.append(1)
        return {"x": np.arange(3)}

    for _ in range(2):
        out = cached_arrays("toy", {"a": 1}, build)
        np.testing.assert_array_equal(out["x"], [0, 1, 2])
    assert len(calls) == 1
    assert len(list((tmp_path / "datasets").glob("toy-*.npz"))) == 1
    cached_arrays("toy", {"a": 2}, build)
    assert len(calls) == 2
