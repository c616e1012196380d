"""Tests for vgg16_hed/weights.py: reading the `.weights.h5` and mapping it."""

import h5py
import numpy as np
import pytest

from keras_transfer.backbones.providers.vgg16_hed.weights import (
    keras_weights_from_hed, read_weights)


TRUNK_PARAMS = 14_714_688  # keras.applications VGG16(include_top=False).
HEAD_PARAMS = 64 + 128 + 256 + 512 + 512 + 5 * 1 + 5 + 1


def test_read_weights_shapes(hed_weights):
    convs = [f"block{b}_conv{i}" for b, n in zip(range(1, 6), (2, 2, 3, 3, 3))
             for i in range(1, n + 1)]
    heads = [f"side_output_{k}" for k in range(1, 6)] + ["fused_output"]

    assert sorted(hed_weights) == sorted(convs + heads)
    assert hed_weights["block1_conv1"][0].shape == (3, 3, 3, 64)
    assert hed_weights["block3_conv3"][0].shape == (3, 3, 256, 256)
    assert hed_weights["block5_conv3"][0].shape == (3, 3, 512, 512)
    assert hed_weights["side_output_1"][0].shape == (1, 1, 64, 1)
    assert hed_weights["side_output_5"][0].shape == (1, 1, 512, 1)
    assert hed_weights["fused_output"][0].shape == (1, 1, 5, 1)
    assert sum(a.size for n in convs for a in hed_weights[n]) == TRUNK_PARAMS
    assert sum(a.size for n in heads for a in hed_weights[n]) == HEAD_PARAMS
    # Trained side outputs, not the zero initialization of an untrained HED.
    for name in heads[:5]:
        assert np.abs(hed_weights[name][0]).max() > 1e-3, name


def test_weights_are_mapped_with_block1_channels_reversed(edges_model,
                                                          hed_weights):
    model = edges_model

    assert model.count_params() == TRUNK_PARAMS + HEAD_PARAMS
    kernel = model.get_layer("block1_conv1").kernel.numpy()
    np.testing.assert_array_equal(kernel[:, :, 0, :],
                                  hed_weights["block1_conv1"][0][:, :, 2, :])
    np.testing.assert_array_equal(kernel[:, :, 2, :],
                                  hed_weights["block1_conv1"][0][:, :, 0, :])
    for name in ("block1_conv2", "block4_conv2", "side_output_3",
                 "fused_output"):
        layer = model.get_layer(name)
        np.testing.assert_array_equal(layer.kernel.numpy(),
                                      hed_weights[name][0])
        np.testing.assert_array_equal(layer.bias.numpy(), hed_weights[name][1])


def test_read_weights_names_missing_and_misshapen_tensors(tmp_path):
    empty = tmp_path / "empty.weights.h5"
    with h5py.File(empty, "w") as file:
        file.create_group("dsn1")
    with pytest.raises(ValueError, match=r"'block1/layers/conv2d/vars' \(for "
                                         r"block1_conv1\) is missing.*\['dsn1'\]"):
        read_weights(empty)

    wrong = tmp_path / "wrong.weights.h5"
    with h5py.File(wrong, "w") as file:
        group = file.create_group("block1/layers/conv2d/vars")
        group.create_dataset("0", data=np.zeros((3, 3, 1, 64), "float32"))
        group.create_dataset("1", data=np.zeros((64,), "float32"))
    with pytest.raises(ValueError, match=r"block1_conv1 .* has shapes "
                                         r"\(\(3, 3, 1, 64\), \(64,\)\), expected"):
        read_weights(wrong)


def test_mapping_names_missing_layer(hed_weights):
    broken = dict(hed_weights)
    del broken["side_output_4"]

    assert "side_output_4" not in keras_weights_from_hed(
        broken, include_top=False)
    with pytest.raises(ValueError, match=r"lack \['side_output_4'\]"):
        keras_weights_from_hed(broken)
