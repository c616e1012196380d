"""Tests for minilm/model.py: the encoder (KerasHub BERT with exact GELU)."""

import numpy as np
import pytest
import tensorflow as tf

pytest.importorskip("keras_hub")
pytest.importorskip("tensorflow_text")
pytest.importorskip("safetensors")

from keras_transfer.backbones.providers.minilm.model import (  # noqa: E402
    build_encoder, load_backbone)


def test_encoder_reload_equals_keras(encoder, preprocessor):
    features = preprocessor(tf.constant(["a cat sits on the mat", "stock markets fell"]))
    keras_encoder = build_encoder(load_backbone())
    want = keras_encoder(features, training=False)
    got = encoder(features, training=False)
    assert sorted(got) == ["default", "pooled_output", "sequence_output"]
    assert got["default"].shape == (2, 384)
    assert got["pooled_output"].shape == (2, 384)
    assert got["sequence_output"].shape == (2, 128, 384)
    for key in got:
        np.testing.assert_allclose(got[key].numpy(), want[key].numpy(), atol=1e-5)


def test_encoder_variable_names(encoder):
    names = [v.name for v in encoder.variables]
    assert len(names) == 122 and len(encoder.trainable_variables) == 103
    assert names[:5] == [
        "token_embedding/embeddings:0",
        "position_embedding/embeddings:0",
        "segment_embedding/embeddings:0",
        "embeddings_layer_norm/gamma:0",
        "embeddings_layer_norm/beta:0",
    ]
    assert names[-2:] == ["pooled_dense/kernel:0", "pooled_dense/bias:0"]
    blocks = []
    for name in names:
        first = name.split("/")[0]
        if first.startswith("transformer_layer_") and first not in blocks:
            blocks.append(first)
    assert blocks == [f"transformer_layer_{i}" for i in range(6)]


def test_dropout_only_when_training(encoder, preprocessor):
    features = preprocessor(tf.constant(["a cat sits on the mat"]))
    first = encoder(features, training=False)["default"].numpy()
    second = encoder(features, training=False)["default"].numpy()
    trained = encoder(features, training=True)["default"].numpy()
    np.testing.assert_array_equal(first, second)
    assert np.max(np.abs(trained - first)) > 1e-2


def test_encoder_is_trainable(encoder, preprocessor):
    features = preprocessor(tf.constant(["a cat sits on the mat"]))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(encoder(features, training=True)["default"] ** 2)
    grads = tape.gradient(loss, encoder.trainable_variables)
    norms = {
        v.name: float(tf.norm(tf.convert_to_tensor(g)))
        for v, g in zip(encoder.trainable_variables, grads)
    }
    # Every variable but the pooler feeds the mean-pooled output.
    assert [name for name, norm in norms.items() if norm == 0.0] == [
        "pooled_dense/kernel:0",
        "pooled_dense/bias:0",
    ]
