"""Reads the weights of openWakeWord's two TFLite files (a TFLite interpreter, once).

Both op graphs are checked against the expected architecture before any
constant is read by position.
"""

import os
import warnings
from pathlib import Path

import numpy as np
import tensorflow as tf

from keras_transfer.backbones.providers.speech_embedding.config import (
    EMBEDDING_BLOCKS, EMBEDDING_FILE, FFT_LENGTH, HEAD_CONV, MELSPECTROGRAM_FILE,
    MODELS_DIR, NUM_MEL_BINS, REQUIREMENT)
from keras_transfer.backbones.wheels import fetch_wheel


# The op sequence of melspectrogram.tflite; constants are read by position.
_MEL_OPS = (
    "EXPAND_DIMS", "TRANSPOSE", "EXPAND_DIMS", "CONV_2D", "SQUEEZE",
    "TRANSPOSE", "EXPAND_DIMS", "TRANSPOSE", "MUL", "CONV_2D", "SQUEEZE",
    "TRANSPOSE", "EXPAND_DIMS", "TRANSPOSE", "MUL", "ADD", "BATCH_MATMUL",
    "MINIMUM", "MAXIMUM", "LOG", "MUL", "MUL", "MINIMUM", "REDUCE_MAX", "SUB",
    "MAXIMUM",
)


def tflite_interpreter(path, batch_shape=None):
    """Returns an allocated TFLite interpreter (tf.lite, else ai_edge_litert)."""
    interpreter_class = getattr(getattr(tf, "lite", None), "Interpreter", None)
    if interpreter_class is None:
        try:
            from ai_edge_litert.interpreter import Interpreter as interpreter_class
        except ImportError as error:
            raise ImportError(
                "Reading speech_embedding weights needs a TFLite interpreter: "
                "this TensorFlow has no `tf.lite.Interpreter`, so install "
                "LiteRT with `pip install ai-edge-litert`."
            ) from error
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interpreter = interpreter_class(model_path=os.fspath(path),
                                        num_threads=1)
    if batch_shape is not None:
        interpreter.resize_tensor_input(0, list(batch_shape))
    interpreter.allocate_tensors()
    return interpreter


def _ops(interpreter):
    """The model's own ops in order (delegate ops that TFLite adds dropped)."""
    ops = interpreter._get_ops_details()  # pylint: disable=protected-access
    return [op for op in ops if op["op_name"] != "DELEGATE"]


def tflite_path(name, path=None):
    """Returns the path of one of the two TFLite files.

    Args:
        name: str. `"melspectrogram.tflite"` or `"embedding_model.tflite"`.
        path: str or path. A local copy to use instead. Defaults to `None`
            (the file from the pinned `pyopen-wakeword` wheel, downloaded once
            into keras_transfer's cache).

    Returns:
        `pathlib.Path` of an existing file.

    Raises:
        ValueError: if `name` is unknown.
        FileNotFoundError: if `path` does not exist.
    """
    if name not in (MELSPECTROGRAM_FILE, EMBEDDING_FILE):
        raise ValueError(
            f"`name` must be {MELSPECTROGRAM_FILE!r} or {EMBEDDING_FILE!r}. "
            f"Received: name={name!r}"
        )
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(
                f"No TFLite file at {path}. Pass the path of {name} (from "
                f"the {REQUIREMENT} wheel) or None to download it."
            )
        return path
    root = fetch_wheel(REQUIREMENT, member=f"{MODELS_DIR}/{name}")
    return root / MODELS_DIR / name


def read_melspectrogram_weights(path=None):
    """Reads the DFT kernel and mel matrix from `melspectrogram.tflite`.

    Args:
        path: str or path. The TFLite file. Defaults to `None` (the one in
            the pinned wheel).

    Returns:
        dict with `"dft_kernel"` (`[512, 1, 514]`, float32), `"mel_matrix"`
        (`[257, 32]`) and the scalars `"amin"` and `"top_db"`.

    Raises:
        RuntimeError: if the file's op graph is not the expected one.
    """
    interpreter = tflite_interpreter(tflite_path(MELSPECTROGRAM_FILE, path))
    ops = _ops(interpreter)
    names = tuple(op["op_name"] for op in ops)
    if names != _MEL_OPS:
        raise RuntimeError(
            f"Unexpected op graph in {MELSPECTROGRAM_FILE}: {names}. "
            f"Expected {_MEL_OPS} ({REQUIREMENT})."
        )

    def const(op_index, input_index):
        return np.asarray(interpreter.get_tensor(
            int(ops[op_index]["inputs"][input_index])), np.float32)

    # TFLite conv kernels are [out, 1, width, 1]; Keras conv1d wants
    # [width, 1, out]. Op 9 feeds the first squared term, op 3 the second.
    first = const(9, 1)[:, 0, :, 0].T
    second = const(3, 1)[:, 0, :, 0].T
    for op_index in (3, 9):
        if np.any(const(op_index, 2)):
            raise RuntimeError(f"{MELSPECTROGRAM_FILE}: DFT bias is not zero.")
    weights = {
        "dft_kernel": np.concatenate([second, first], axis=1)[:, None, :],
        "mel_matrix": const(16, 1),
        "amin": float(const(18, 1)),
        "top_db": float(const(24, 1)),
    }
    if not np.isclose(weights["amin"], 1e-10, rtol=1e-6):
        raise RuntimeError(
            f"{MELSPECTROGRAM_FILE}: power floor is {weights['amin']}, not "
            "1e-10."
        )
    scale = float(const(20, 1)) * float(const(21, 1))
    if not np.isclose(scale, 10.0 / np.log(10.0), rtol=1e-6):
        raise RuntimeError(
            f"{MELSPECTROGRAM_FILE}: log scale is {scale}, not 10/ln(10)."
        )
    if weights["dft_kernel"].shape != (FFT_LENGTH, 1, FFT_LENGTH + 2) or (
            weights["mel_matrix"].shape != (FFT_LENGTH // 2 + 1, NUM_MEL_BINS)):
        raise RuntimeError(
            f"{MELSPECTROGRAM_FILE}: unexpected kernel shapes "
            f"{weights['dft_kernel'].shape}, {weights['mel_matrix'].shape}."
        )
    return weights


def read_embedding_weights(path=None):
    """Reads the 20 convolutions of `embedding_model.tflite`, input first.

    Args:
        path: str or path. The TFLite file. Defaults to `None` (the one in
            the pinned wheel).

    Returns:
        list of `(kernel, bias)` numpy pairs in Keras layout
        (`[kh, kw, in, out]`, `[out]`), batch norm already folded in.

    Raises:
        RuntimeError: if the convolutions do not match the architecture.
    """
    interpreter = tflite_interpreter(tflite_path(EMBEDDING_FILE, path))
    pairs = []
    for op in _ops(interpreter):
        if op["op_name"] != "CONV_2D":
            continue
        kernel = interpreter.get_tensor(int(op["inputs"][1]))
        bias = interpreter.get_tensor(int(op["inputs"][2]))
        pairs.append((np.transpose(kernel, (1, 2, 3, 0)).astype(np.float32),
                      np.asarray(bias, np.float32)))
    expected = [conv for block in EMBEDDING_BLOCKS for conv in block["convs"]]
    expected.append(HEAD_CONV)
    got = [(k.shape[-1], k.shape[:2]) for k, _ in pairs]
    if got != [(filters, tuple(kernel)) for filters, kernel in expected]:
        raise RuntimeError(
            f"Unexpected convolutions in {EMBEDDING_FILE}: {got}. "
            f"Expected {expected} ({REQUIREMENT})."
        )
    return pairs
