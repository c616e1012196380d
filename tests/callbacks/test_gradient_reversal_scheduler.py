import keras
import numpy as np
import tensorflow as tf

from keras_transfer.callbacks.gradient_reversal_scheduler import GradientReversalScheduler
from keras_transfer.layers.gradient_reversal import GradientReversal
from keras_transfer.schedules.dann_coefficient import dann_coefficient
from keras_transfer.testing import TestCase


def reversed_linear_model():
    """y = GRL(w * x) with w a scalar weight: one SGD step adds lr * lambda * x to w."""
    inputs = keras.Input((1,))
    kernel = keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros", name="w")
    # Nested inside a sub-model: the callback must find the layer there too.
    inner = keras.Sequential([keras.Input((1,)), GradientReversal(name="grl")], name="inner")
    model = keras.Model(inputs, inner(kernel(inputs)))
    model.compile(optimizer=keras.optimizers.SGD(1.0),
                  loss=lambda y_true, y_pred: tf.reduce_mean(y_pred, axis=-1))
    return model


class WeightRecorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.before, self.after = [], []

    def on_train_batch_begin(self, batch, logs=None):
        self.before.append(float(self.model.get_layer("w").kernel.numpy()[0, 0]))

    def on_train_batch_end(self, batch, logs=None):
        self.after.append(float(self.model.get_layer("w").kernel.numpy()[0, 0]))


class GradientReversalSchedulerTest(TestCase):
    def test_sets_dann_coefficient_per_batch_and_the_train_step_uses_it(self):
        model = reversed_linear_model()
        scheduler, recorder = GradientReversalScheduler(), WeightRecorder()
        x, y = np.ones((10, 1), "float32"), np.zeros((10, 1), "float32")
        model.fit(x, y, batch_size=2, epochs=2, verbose=0, shuffle=False,
                  callbacks=[scheduler, recorder])
        # 5 steps per epoch, 10 in all: step k uses lambda(k / 10); the
        # reversed gradient of mean(w * 1) is -lambda, so SGD(1) adds lambda.
        expected = [dann_coefficient(k / 10) for k in range(10)]
        steps = np.array(recorder.after) - np.array(recorder.before)
        self.assertAllClose(steps, expected, rtol=1e-6, atol=1e-7)
        self.assertEqual(steps[0], 0.0)  # lambda(0) = 0: no gradient at the first step
        self.assertAllClose(scheduler.coefficient, dann_coefficient(0.9), rtol=1e-12)
        grl = model.get_layer("inner").get_layer("grl")
        self.assertAllClose(float(grl.coefficient_variable.numpy()), dann_coefficient(0.9))

    def test_explicit_total_steps_max_coefficient_and_initial_epoch(self):
        model = reversed_linear_model()
        scheduler = GradientReversalScheduler(total_steps=4, gamma=2.0, max_coefficient=0.5)
        recorder = WeightRecorder()
        model.fit(np.ones((6, 1)), np.zeros((6, 1)), batch_size=2, epochs=3, initial_epoch=1,
                  verbose=0, shuffle=False, callbacks=[scheduler, recorder])
        # Steps 3..8 of a 4-step schedule: 3/4, then clipped at 1.
        expected = [0.5 * dann_coefficient(min(k / 4, 1.0), gamma=2.0) for k in range(3, 9)]
        steps = np.array(recorder.after) - np.array(recorder.before)
        self.assertAllClose(steps, expected, rtol=1e-6, atol=1e-7)
        self.assertAllClose(scheduler.coefficient_at(2), 0.5 * np.tanh(0.5), rtol=1e-12)

    def test_unknown_length_counts_batches(self):
        model = reversed_linear_model()
        scheduler = GradientReversalScheduler(total_steps=3)
        data = tf.data.Dataset.from_tensor_slices((np.ones((4, 1)), np.zeros((4, 1)))).batch(2)
        data = data.filter(lambda x, y: True)  # unknown cardinality
        model.fit(data, epochs=2, verbose=0, callbacks=[scheduler])
        self.assertAllClose(scheduler.coefficient, dann_coefficient(1.0), rtol=1e-12)
        with self.assertRaisesRegex(ValueError, "needs the number of training steps"):
            reversed_linear_model().fit(data, epochs=1, verbose=0,
                                        callbacks=[GradientReversalScheduler()])

    def test_errors(self):
        inputs = keras.Input((1,))
        plain = keras.Model(inputs, keras.layers.Dense(1)(inputs), name="plain")
        plain.compile("sgd", "mse")
        with self.assertRaisesRegex(ValueError, "no GradientReversal layer in model 'plain'"):
            plain.fit(np.ones((2, 1)), np.ones((2, 1)), verbose=0,
                      callbacks=[GradientReversalScheduler()])
        with self.assertRaisesRegex(ValueError, r"`total_steps` must be an integer >= 1 or "
                                                r"None. Received: total_steps=0"):
            GradientReversalScheduler(total_steps=0)
        with self.assertRaisesRegex(ValueError, "`max_coefficient` must be a finite number"):
            GradientReversalScheduler(max_coefficient=-1)
        config = GradientReversalScheduler(total_steps=7, gamma=5.0).get_config()
        self.assertEqual(config, {"total_steps": 7, "gamma": 5.0, "max_coefficient": 1.0})
        self.assertEqual(GradientReversalScheduler.from_config(config).get_config(), config)
