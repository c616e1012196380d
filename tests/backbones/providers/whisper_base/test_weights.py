"""Tests for whisper_base/weights.py on tiny hand-written `model.bin` files."""

import numpy as np
import pytest

from keras_transfer.backbones.providers.whisper_base.weights import (
    encoder_tensors, read_model)
from tests.backbones.providers.whisper_base.tiny import (
    TINY, tiny_tensors, write_model_bin)


def test_read_model_round_trips_a_tiny_file(tmp_path):
    tensors = tiny_tensors()
    write_model_bin(tmp_path / "model.bin", tensors)
    model = read_model(tmp_path / "model.bin")
    got = encoder_tensors(model["variables"], TINY)
    assert set(got) == set(tensors)
    for name, value in tensors.items():
        assert got[name].dtype == np.float32
        np.testing.assert_array_equal(got[name], value.astype(np.float32))


def test_read_model_refuses_another_spec(tmp_path):
    write_model_bin(tmp_path / "model.bin", tiny_tensors(), spec="TransformerSpec")
    with pytest.raises(ValueError, match="holds a 'TransformerSpec' model"):
        read_model(tmp_path / "model.bin")


def test_encoder_tensors_checks_names_shapes_and_heads():
    tensors = tiny_tensors()
    with pytest.raises(ValueError,
                       match="lacks the variable 'encoder/layer_norm/beta'"):
        encoder_tensors({k: v for k, v in tensors.items()
                         if k != "encoder/layer_norm/beta"}, TINY)
    with pytest.raises(ValueError, match=r"has shape \(3,\), expected \(16,\)"):
        encoder_tensors(dict(tensors, **{"encoder/conv1/bias": np.zeros(3)}), TINY)
    with pytest.raises(ValueError, match="num_heads is 4"):
        encoder_tensors(dict(tensors, **{"encoder/num_heads": np.array(4)}), TINY)
