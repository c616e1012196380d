import numpy as np
import tensorflow as tf

from keras_transfer.losses.consistency_loss import confidence_mask, consistency_loss
from keras_transfer.testing import TestCase


def softmax(logits):
    logits = np.asarray(logits, np.float64)
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


class ConfidenceMaskTest(TestCase):
    def test_threshold_is_inclusive_and_exact(self):
        weak = np.array([[0.95, 0.05, 0.0],      # exactly tau: kept
                         [0.9499, 0.0501, 0.0],  # just below: dropped
                         [0.02, 0.03, 0.95],     # exactly tau, class 2
                         [0.4, 0.3, 0.3],
                         [0.0, 1.0, 0.0]], "float32")
        mask, labels = confidence_mask(weak, 0.95, return_labels=True)
        self.assertAllEqual(mask.numpy(), [1.0, 0.0, 1.0, 0.0, 1.0])
        self.assertAllEqual(labels.numpy(), [0, 0, 2, 0, 1])

    def test_crafted_logits(self):
        # softmax([a, 0]) max = 1 / (1 + e^-a) >= 0.95  <=>  a >= log(19) = 2.9444.
        logits = np.array([[2.95, 0.0], [2.94, 0.0], [0.0, -3.0], [0.0, 5.0],
                           [0.0, 0.0]], "float32")
        self.assertAllEqual(confidence_mask(logits, from_logits=True).numpy(),
                            [1.0, 0.0, 1.0, 1.0, 0.0])
        self.assertAllEqual(confidence_mask(logits, 0.5, from_logits=True).numpy(),
                            [1.0] * 5)

    def test_rejects_bad_threshold(self):
        with self.assertRaisesRegex(ValueError, "`confidence_threshold` must be"):
            confidence_mask(np.ones((1, 2), "float32"), 1.5)


class ConsistencyLossTest(TestCase):
    def test_matches_hand_computation(self):
        weak = np.array([[0.97, 0.03], [0.6, 0.4], [0.01, 0.99]], "float32")
        strong = np.array([[0.8, 0.2], [0.1, 0.9], [0.25, 0.75]], "float32")
        # Rows 1 and 3 are confident (classes 0 and 1); divide by all 3 rows.
        expected = (-np.log(0.8) - np.log(0.75)) / 3
        self.assertAllClose(float(consistency_loss(weak, strong)), expected, atol=1e-6)
        self.assertAllClose(float(consistency_loss(weak, strong, 0.5)),
                            (-np.log(0.8) - np.log(0.1) - np.log(0.75)) / 3, atol=1e-6)
        self.assertAllClose(float(consistency_loss(weak, strong, 1.0)), 0.0)

    def test_from_logits_matches_probabilities(self):
        rng = np.random.default_rng(0)
        weak = (rng.normal(size=(16, 5)) * 3).astype("float32")
        strong = rng.normal(size=(16, 5)).astype("float32")
        p_weak, p_strong = softmax(weak), softmax(strong)
        mask = p_weak.max(-1) >= 0.9
        self.assertTrue(0 < mask.sum() < 16)
        expected = -(mask * np.log(p_strong[np.arange(16), p_weak.argmax(-1)])).sum() / 16
        self.assertAllClose(float(consistency_loss(weak, strong, 0.9, from_logits=True)),
                            expected, atol=1e-5)

    def test_no_rows_and_no_gradient_through_pseudo_labels(self):
        empty = np.zeros((0, 3), "float32")
        self.assertAllClose(float(consistency_loss(empty, empty)), 0.0)
        weak = tf.Variable([[0.99, 0.01], [0.98, 0.02]])
        strong = tf.Variable([[0.5, 0.5], [0.9, 0.1]])
        with tf.GradientTape() as tape:
            loss = consistency_loss(weak, strong)
        weak_grad, strong_grad = tape.gradient(loss, [weak, strong])
        self.assertIsNone(weak_grad)
        # Keras' crossentropy renormalizes: d/dp_j of -log(p_k / sum(p)) / 2 is
        # (1 - 1/p_k) / 2 for the pseudo-label k and 1/2 for the others.
        self.assertAllClose(strong_grad.numpy(),
                            [[(1 - 1 / 0.5) / 2, 0.5], [(1 - 1 / 0.9) / 2, 0.5]], atol=1e-5)
