"""Tests for speech_embedding/convert.py: the `feature_vector` SavedModel."""

import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.backbones.providers.speech_embedding.model import (
    build_feature_vector_model)


def _max_diff(a, b):
    return float(np.abs(np.asarray(a) - np.asarray(b)).max())


def test_savedmodel_reload_matches_keras(exported, clips):
    _, path = exported
    keras_model = build_feature_vector_model()
    expected = keras_model(clips)
    loaded = tf.saved_model.load(path)
    out = loaded(tf.constant(clips), training=False)
    assert set(out) == {"default", "sequence_output"}
    assert tuple(out["sequence_output"].shape) == (2, 9, 96)
    assert tuple(out["default"].shape) == (2, 96)
    for key in out:
        assert _max_diff(out[key], expected[key]) <= 1e-5
    np.testing.assert_allclose(
        out["default"], np.asarray(out["sequence_output"]).mean(1), atol=1e-5)

    serving = loaded.signatures["serving_default"]
    spec = serving.structured_input_signature[1]["waveform"]
    assert spec.shape.as_list() == [None, None] and spec.dtype == tf.float32
    assert set(serving.structured_outputs) == {"default", "sequence_output"}
    assert len(loaded.trainable_variables) == 40
    assert len(loaded.variables) == 42
    assert loaded.trainable_variables[0].name == "conv_block_0_conv_0/kernel:0"
    assert loaded.regularization_losses == []

    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"at least 12512 samples"):
        loaded(tf.zeros([1, 12000]), training=False)
