"""Tests of textgenrnn/weights.py: the cuDNN conversion and the checks on hostile files."""

import json

import h5py
import numpy as np
import pytest

from keras_transfer.language_models.textgenrnn import weights
from keras_transfer.language_models.textgenrnn.config import HDF5_WEIGHTS


def test_cudnn_conversion_works_gate_by_gate():
    units, input_dim = 2, 3
    kernel = np.arange(input_dim * 4 * units, dtype="float32").reshape(input_dim, 4 * units)
    recurrent = np.arange(units * 4 * units, dtype="float32").reshape(units, 4 * units)
    bias = np.arange(8 * units, dtype="float32")
    k, r, b = weights.cudnn_lstm_to_keras(kernel, recurrent, bias)
    for gate in range(4):
        cols = slice(gate * units, (gate + 1) * units)
        block = kernel[:, cols]
        # cuDNN's (units, input_dim) row-major buffer, reinterpreted.
        np.testing.assert_array_equal(k[:, cols], block.reshape(-1).reshape(
            (units, input_dim)).T)
        np.testing.assert_array_equal(r[:, cols], recurrent[:, cols].T)
    np.testing.assert_array_equal(b, bias[:4 * units] + bias[4 * units:])
    # Not the whole-matrix formula.
    assert not np.array_equal(k, kernel.T.reshape(kernel.shape, order="F"))


def test_cudnn_conversion_checks_shapes():
    with pytest.raises(ValueError, match=r"Received: kernel=\(3, 8\), "
                                         r"recurrent_kernel=\(2, 8\), bias=\(8,\)"):
        weights.cudnn_lstm_to_keras(np.zeros((3, 8)), np.zeros((2, 8)), np.zeros(8))


def _vocab(tmp_path, vocab):
    path = tmp_path / "vocab.json"
    path.write_text(json.dumps(vocab) if not isinstance(vocab, str) else vocab)
    return path


def test_vocab_checks(tmp_path):
    good = {chr(0x100 + i): i + 1 for i in range(463)}
    good["<s>"] = 464
    assert weights.read_vocab(_vocab(tmp_path, good)) == good
    duplicate = dict(good, **{chr(0x100): 2})
    missing_start = {k: v for k, v in good.items() if k != "<s>"}
    long_key = dict(good)
    long_key["ab"] = long_key.pop(chr(0x100))
    for bad in (duplicate, missing_start, long_key, [1, 2], "{not json"):
        with pytest.raises(RuntimeError, match=r"is not (textgenrnn's vocabulary|a "
                                               r"readable JSON file)"):
            weights.read_vocab(_vocab(tmp_path, bad))


def _hdf5(path, skip=None):
    with h5py.File(path, "w") as f:
        for layer, entries in HDF5_WEIGHTS.items():
            for name, shape in entries:
                key = f"{layer}/{layer}/{name}"
                if key == skip:
                    continue
                f[key] = np.zeros(shape, "float32")
    return path


def test_hdf5_checks(tmp_path):
    raw = weights.read_hdf5_weights(_hdf5(tmp_path / "ok.h5"))
    assert [a.shape for a in raw["rnn_1"]] == [(100, 512), (128, 512), (1024,)]
    with pytest.raises(RuntimeError, match=r"has no dataset 'rnn_2/rnn_2/bias:0'"):
        weights.read_hdf5_weights(_hdf5(tmp_path / "a.h5", skip="rnn_2/rnn_2/bias:0"))
    path = tmp_path / "b.h5"
    _hdf5(path, skip="output/output/bias:0")
    with h5py.File(path, "a") as f:
        f["output/output/bias:0"] = np.zeros(466, "float64")
    with pytest.raises(RuntimeError, match=r"'output/output/bias:0' in .* is "
                                           r"float64\(466,\), expected float32\(465,\)"):
        weights.read_hdf5_weights(path)
