"""Tests of AttentionWeightedAverage: numpy reference, masking, serialization."""

import keras
import numpy as np

from keras_transfer.layers.attention_weighted_average import AttentionWeightedAverage
from keras_transfer.testing import TestCase


def numpy_pool(x, w, mask=None):
    """Independent numpy version: softmax of x.w over the (unmasked) steps."""
    scores = x @ w[:, 0]
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    if mask is not None:
        weights = weights * mask
    weights = weights / (weights.sum(axis=1, keepdims=True) + 1e-7)
    return (x * weights[..., None]).sum(axis=1)


class AttentionWeightedAverageTest(TestCase):
    def test_layer(self):
        x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
        self.run_layer_test(
            AttentionWeightedAverage, {}, x, expected_output_shape=(2, 3),
            expected_num_trainable_weights=1, expected_num_non_trainable_weights=0,
            run_training_check=True)

    def test_matches_numpy(self):
        rng = np.random.default_rng(1)
        x = rng.normal(size=(3, 7, 4)).astype("float32")
        w = rng.normal(size=(4, 1)).astype("float32")
        layer = AttentionWeightedAverage()
        layer.build(x.shape)
        layer.kernel.assign(w)
        self.assertAllClose(layer(x), numpy_pool(x, w), atol=1e-5)
        # Equal scores average the steps.
        layer.kernel.assign(np.zeros((4, 1), "float32"))
        self.assertAllClose(layer(x), x.mean(axis=1), atol=1e-5)

    def test_masked_steps_get_no_weight(self):
        rng = np.random.default_rng(2)
        x = rng.normal(size=(2, 6, 4)).astype("float32")
        w = rng.normal(size=(4, 1)).astype("float32")
        mask = np.array([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 0]], bool)
        layer = AttentionWeightedAverage()
        layer.build(x.shape)
        layer.kernel.assign(w)
        out = layer(x, mask=mask)
        self.assertAllClose(out, numpy_pool(x, w, mask), atol=1e-5)
        self.assertAllClose(out[0], numpy_pool(x[:1, :3], w)[0], atol=1e-5)
        self.assertNotAllClose(out, layer(x))

    def test_takes_the_mask_of_an_embedding(self):
        ids = np.array([[3, 1, 2, 0, 0], [2, 2, 0, 0, 0]], "int32")
        inputs = keras.Input((None,), dtype="int32")
        embedded = keras.layers.Embedding(4, 3, mask_zero=True)(inputs)
        model = keras.Model(inputs, AttentionWeightedAverage()(embedded))
        self.assertAllClose(model(ids), model(ids[:, :3]), atol=1e-6)

    def test_needs_a_sequence(self):
        with self.assertRaisesRegex(ValueError, r"expected ndim=3, found ndim=2"):
            AttentionWeightedAverage()(np.ones((2, 3), "float32"))
