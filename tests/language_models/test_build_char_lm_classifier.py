"""Tests of build_char_lm_classifier: the LM's body copied, independent, grouped."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.groups.model_groups import get_layer_groups
from keras_transfer.language_models.build_char_lm_classifier import build_char_lm_classifier
from keras_transfer.language_models.fine_tune_language_model import CHAR_LM_GROUPS
from keras_transfer.recipes.fine_tune import fine_tune
from tests.language_models.tiny import random_model


def test_body_starts_from_the_lm_weights_and_reads_longer_texts():
    lm = random_model(seed=2)
    model = build_char_lm_classifier(lm, 3, max_length=9, dropout=0.0)
    assert model.input_shape == (None, 9) and model.output_shape == (None, 3)
    for name in ("embedding", "rnn_1", "rnn_2", "attention"):
        for ours, theirs in zip(model.get_layer(name).get_weights(),
                                lm.get_layer(name).get_weights()):
            np.testing.assert_array_equal(ours, theirs)
    # The pooled features are the LM's own layers applied to the same input.
    x = np.array([[0, 0, 0, 1, 2, 3, 4, 2, 3]], "int32")
    pooled = keras.Model(model.input, model.get_layer("attention").output)(x)
    np.testing.assert_allclose(pooled, _pool(lm, x), atol=1e-6)


def _pool(lm, x):
    """The LM's body applied by hand, layer by layer, to a length-9 input."""
    embedded = lm.get_layer("embedding")(x)
    first = lm.get_layer("rnn_1")(embedded)
    second = lm.get_layer("rnn_2")(first)
    return lm.get_layer("attention")(keras.ops.concatenate([embedded, first, second], -1))


def test_training_the_classifier_leaves_the_lm_unchanged_and_unfreezes_by_group():
    lm = random_model(seed=3)
    before = [w.copy() for w in lm.get_weights()]
    model = build_char_lm_classifier(lm, 2, max_length=8)
    assert [g.name for g in get_layer_groups(model, CHAR_LM_GROUPS)] == [
        "embedding", "rnn_1", "rnn_2", "head"]
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 5, (16, 8)).astype("int32"), np.arange(16) % 2
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)  # 4 steps per epoch
    history = fine_tune(model, data, epochs=2, head_epochs=1, learning_rate=1e-2, verbose=0,
                        plan="full", groups=CHAR_LM_GROUPS)
    assert [s["trainable_groups"][0] for s in history.stages] == [
        "head", "rnn_2", "rnn_1", "embedding"]
    assert [s["step"] for s in history.stages] == [0, 4, 5, 6]
    assert not np.array_equal(model.get_layer("embedding").get_weights()[0], before[0])
    for ours, theirs in zip(lm.get_weights(), before):
        np.testing.assert_array_equal(ours, theirs)


def test_errors():
    plain = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="textgenrnn's layers"):
        build_char_lm_classifier(plain, 2)
    with pytest.raises(ValueError, match="num_classes"):
        build_char_lm_classifier(random_model(), 1)
