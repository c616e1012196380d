import keras
import numpy as np
import tensorflow as tf

from keras_transfer.layers.gradient_reversal import GradientReversal
from keras_transfer.testing import TestCase


def gradients(fn, x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = fn(x)
    return tape.gradient(value, x)


class GradientReversalTest(TestCase):
    def test_layer(self):
        """Identity output, one non-trainable weight, config and `.keras` round trips."""
        x = np.random.default_rng(0).normal(size=(3, 5)).astype("float32")
        layer = self.run_layer_test(
            GradientReversal, {"coefficient": 0.25}, x, expected_output_shape=(3, 5),
            expected_output_dtype="float32", expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=1)
        self.assertAllEqual(layer(x), x)
        self.assertEqual(float(layer.coefficient_variable.numpy()), 0.25)

    def test_gradient_is_reversed_and_scaled_exactly(self):
        rng = np.random.default_rng(1)
        x = tf.constant(rng.normal(size=(4, 6)).astype("float32"))
        w = tf.constant(rng.normal(size=(6, 3)).astype("float32"))

        def loss(layer):
            return lambda t: tf.reduce_sum(tf.tanh((layer(t) if layer else t) @ w))

        plain = gradients(loss(None), x).numpy()
        for coefficient in (1.0, 0.5, 0.3, 0.0):
            reversed_ = gradients(loss(GradientReversal(coefficient)), x).numpy()
            self.assertAllEqual(reversed_, -np.float32(coefficient) * plain)
        self.assertGreater(np.abs(plain).min(), 0.0)

    def test_assigned_coefficient_reaches_a_traced_function_without_retracing(self):
        layer = GradientReversal(1.0)
        x = tf.ones((2, 3))
        layer.build(x.shape)  # no variable created while tracing
        traces = []

        @tf.function
        def gradient(t):
            traces.append(1)
            return gradients(lambda u: tf.reduce_sum(3.0 * layer(u)), t)

        self.assertAllEqual(gradient(x), -3.0 * np.ones((2, 3)))
        layer.coefficient_variable.assign(0.5)
        self.assertAllEqual(gradient(x), -1.5 * np.ones((2, 3)))
        self.assertLen(traces, 1)

    def test_mixed_precision_gradient_keeps_the_input_dtype(self):
        layer = GradientReversal(0.5, dtype="mixed_bfloat16")
        x = tf.constant([[1.0, 2.0]], tf.bfloat16)
        grad = gradients(lambda t: tf.reduce_sum(4.0 * tf.cast(layer(t), tf.float32)), x)
        self.assertEqual(grad.dtype, tf.bfloat16)
        self.assertAllEqual(tf.cast(grad, tf.float32), [[-2.0, -2.0]])

    def test_coefficient_is_saved_with_the_weights(self):
        inputs = keras.Input((2,))
        model = keras.Model(inputs, GradientReversal(name="grl")(inputs))
        model.get_layer("grl").coefficient_variable.assign(0.75)
        path = self.temp_dir() + "/m.keras"
        model.save(path)
        loaded = keras.saving.load_model(path).get_layer("grl")
        self.assertEqual(float(loaded.coefficient_variable.numpy()), 0.75)
        self.assertEqual(loaded.coefficient, 1.0)  # the config keeps the initial value

    def test_rejects_bad_coefficient(self):
        for value in (-0.1, float("inf"), "1", True):
            with self.assertRaisesRegex(ValueError, "`coefficient` must be a finite number"
                                                    r" >= 0\. Received: coefficient="):
                GradientReversal(value)
