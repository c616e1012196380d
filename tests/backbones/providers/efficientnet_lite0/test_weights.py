"""Tests for efficientnet_lite0/weights.py.

The checkpoint's tensors mapped onto Keras names.
"""

import numpy as np
import pytest

from keras_transfer.backbones.providers.efficientnet_lite0.config import block_specs
from keras_transfer.backbones.providers.efficientnet_lite0.weights import (
    keras_weights_from_torch)


def test_block_specs_match_checkpoint_shapes(torch_weights):
    specs = block_specs()

    assert len(specs) == 16
    assert len({k.split(".")[1] for k in torch_weights
                if k.startswith("_blocks.")}) == 16
    for index, spec in enumerate(specs):
        prefix = f"_blocks.{index}"
        hidden = spec["filters_in"] * spec["expand_ratio"]
        k = spec["kernel_size"]
        assert torch_weights[f"{prefix}._depthwise_conv.weight"].shape == (
            hidden, 1, k, k), index
        assert torch_weights[f"{prefix}._project_conv.weight"].shape == (
            spec["filters_out"], hidden, 1, 1), index
        assert (f"{prefix}._expand_conv.weight" in torch_weights) == (
            spec["expand_ratio"] != 1), index
    assert [i for i, s in enumerate(specs) if s["strides"] == 2] == [1, 3, 5, 11]
    # No squeeze-excite tensors in a Lite checkpoint.
    assert not [k for k in torch_weights if "_se_" in k]


def test_imagenet_weights_are_mapped_with_transposes(imagenet_model,
                                                     torch_weights):
    model = imagenet_model
    float_count = sum(v.size for v in torch_weights.values()
                      if v.dtype == np.float32)

    assert model.count_params() == float_count == 4_694_024
    np.testing.assert_array_equal(
        model.get_layer("stem_conv").kernel.numpy()[1, 2, 0, 5],
        torch_weights["_conv_stem.weight"][5, 0, 1, 2])
    np.testing.assert_array_equal(
        model.get_layer("block_3_dwconv").kernel.numpy()[4, 0, 17, 0],
        torch_weights["_blocks.3._depthwise_conv.weight"][17, 0, 4, 0])
    np.testing.assert_array_equal(
        model.get_layer("predictions").kernel.numpy()[1279, 999],
        torch_weights["_fc.weight"][999, 1279])
    np.testing.assert_array_equal(
        model.get_layer("head_bn").moving_variance.numpy(),
        torch_weights["_bn1.running_var"])
    assert model.get_layer("head_bn").epsilon == 1e-3


def test_mapping_names_missing_tensor(torch_weights):
    broken = dict(torch_weights)
    del broken["_blocks.7._bn1.running_var"]

    with pytest.raises(ValueError, match="'_blocks.7._bn1.running_var' is missing"):
        keras_weights_from_torch(broken)
