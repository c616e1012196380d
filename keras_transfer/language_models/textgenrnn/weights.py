"""Reading textgenrnn's weights and vocabulary, and the cuDNN -> Keras LSTM conversion.

No code from the sdist runs: the HDF5 file is read with h5py, dataset by
dataset, each checked against `config.HDF5_WEIGHTS` (name, shape, float32)
before it is read, and the vocabulary JSON is checked entry by entry.

The LSTM weights were saved from a Keras 2 `CuDNNLSTM`. Keras 2 converted
them on load (`keras.engine.saving._convert_rnn_weights`); Keras 3 does not,
so `cudnn_lstm_to_keras` does, gate by gate (input, forget, cell, output,
128 columns each):

- input kernel: each gate's `(input_dim, units)` block `k` becomes
  `k.T.reshape(k.shape, order="F")` (cuDNN stored it `(units, input_dim)`
  row-major, and `CuDNNLSTM` had only reshaped that buffer);
- recurrent kernel: each gate's `(units, units)` block is transposed;
- bias: cuDNN keeps an input and a recurrent bias (`1024 = 2 x 512`); the
  Keras LSTM has one, their sum.

Applied to the whole `(100, 512)` kernel instead of per gate, the same
formulas give wrong weights (and for the `(128, 512)` recurrent kernel the
wrong shape). With the bias sum alone, "Thank you very muc" predicts '=' with
p = 0.94; with the conversion, 'h' with p = 0.994.
"""

import json

import numpy as np

from keras_transfer.backbones.sdists import fetch_sdist_members
from keras_transfer.language_models.textgenrnn.config import (
    ARCHITECTURE, HDF5_WEIGHTS, MEMBERS, REQUIREMENT, START_TOKEN, VOCAB_MEMBER,
    WEIGHTS_MEMBER)

_GATES = 4


def textgenrnn_files(archive=None):
    """Returns the paths of `textgenrnn_weights.hdf5` and `textgenrnn_vocab.json`.

    Args:
        archive: str or path. A local copy of `textgenrnn-2.0.0.tar.gz`.
            Defaults to `None` (fetch the pinned sdist from PyPI, once).

    Returns:
        tuple `(weights_path, vocab_path)` of `pathlib.Path`.

    Raises:
        RuntimeError: if the sdist cannot be fetched or fails its checks.
    """
    folder = fetch_sdist_members(REQUIREMENT, MEMBERS, archive=archive)
    return folder / WEIGHTS_MEMBER, folder / VOCAB_MEMBER


def read_hdf5_weights(path):
    """Reads the raw arrays of the Keras 2 HDF5 file, as saved.

    Args:
        path: str or path. `textgenrnn_weights.hdf5`.

    Returns:
        dict. Keras 2 layer name -> list of float32 arrays in
        `config.HDF5_WEIGHTS` order (the LSTMs still in cuDNN layout).

    Raises:
        RuntimeError: if a dataset is missing or has another shape or dtype.
    """
    import h5py

    weights = {}
    with h5py.File(path, "r") as f:
        for layer, entries in HDF5_WEIGHTS.items():
            arrays = []
            for name, shape in entries:
                key = f"{layer}/{layer}/{name}"
                dataset = f.get(key)
                if not isinstance(dataset, h5py.Dataset):
                    raise RuntimeError(f"{path} has no dataset {key!r}.")
                if dataset.shape != shape or dataset.dtype != np.float32:
                    raise RuntimeError(
                        f"{key!r} in {path} is {dataset.dtype}{dataset.shape}, "
                        f"expected float32{shape}.")
                arrays.append(dataset[()])
            weights[layer] = arrays
    return weights


def cudnn_lstm_to_keras(kernel, recurrent_kernel, bias):
    """Converts one `CuDNNLSTM`'s saved weights to a Keras LSTM's.

    Args:
        kernel: array `(input_dim, 4 * units)`.
        recurrent_kernel: array `(units, 4 * units)`.
        bias: array `(8 * units,)`: the input biases, then the recurrent ones.

    Returns:
        list `[kernel, recurrent_kernel, bias]` for `keras.layers.LSTM`
        (shapes `(input_dim, 4 * units)`, `(units, 4 * units)`,
        `(4 * units,)`), gates in Keras order (i, f, c, o).

    Raises:
        ValueError: if the shapes do not fit together.
    """
    units = recurrent_kernel.shape[0]
    if (kernel.ndim != 2 or kernel.shape[1] != _GATES * units
            or recurrent_kernel.shape != (units, _GATES * units)
            or bias.shape != (2 * _GATES * units,)):
        raise ValueError(
            "cuDNN LSTM weights must be kernel (input_dim, 4u), recurrent_kernel "
            f"(u, 4u), bias (8u,). Received: kernel={kernel.shape}, "
            f"recurrent_kernel={recurrent_kernel.shape}, bias={bias.shape}")
    kernel = np.hstack([k.T.reshape(k.shape, order="F")
                        for k in np.hsplit(kernel, _GATES)])
    recurrent_kernel = np.hstack([k.T for k in np.hsplit(recurrent_kernel, _GATES)])
    bias = bias[:_GATES * units] + bias[_GATES * units:]
    return [kernel, recurrent_kernel, bias]


def keras_weights(raw):
    """Maps `read_hdf5_weights`'s arrays onto the Keras 3 model's layers.

    Args:
        raw: dict. What `read_hdf5_weights` returns.

    Returns:
        dict. Layer name of `build_textgenrnn`'s model -> list of arrays for
        its `set_weights`, the LSTMs converted by `cudnn_lstm_to_keras`.
    """
    weights = dict(raw)
    for layer in ("rnn_1", "rnn_2"):
        weights[layer] = cudnn_lstm_to_keras(*raw[layer])
    return weights


def read_vocab(path):
    """Reads and checks `textgenrnn_vocab.json` (character -> index).

    Args:
        path: str or path. The JSON file.

    Returns:
        dict. Character (or `"<s>"`) -> index in 1-464.

    Raises:
        RuntimeError: if it is not a JSON object mapping 464 distinct
            single characters and `"<s>"` to the indices 1-464, each once.
    """
    try:
        with open(path, encoding="utf-8") as f:
            vocab = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RuntimeError(f"{path} is not a readable JSON file ({error}).") from None
    size = ARCHITECTURE["vocab_size"] - 1
    if (not isinstance(vocab, dict) or START_TOKEN not in vocab
            or not all(isinstance(k, str) and (len(k) == 1 or k == START_TOKEN)
                       for k in vocab)
            or not all(type(v) is int for v in vocab.values())
            or sorted(vocab.values()) != list(range(1, size + 1))):
        raise RuntimeError(
            f"{path} is not textgenrnn's vocabulary: it must map {size - 1} single "
            f"characters and {START_TOKEN!r} to the indices 1-{size}, each once.")
    return vocab
