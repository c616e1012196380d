"""The fine-tuning pieces under MirroredStrategy on two logical CPUs."""

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.callbacks.lr_finder import LRFinder
from keras_transfer.optimizers.discriminative import discriminative_optimizer
from keras_transfer.testing import TestCase


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="low"),
                             keras.layers.Dense(3, name="mid"), keras.layers.Dense(2, name="top")])


def _data():
    rng = np.random.default_rng(0)
    return rng.random((8, 4), dtype=np.float32), rng.random((8, 2), dtype=np.float32)


class MirroredCallbacksTest(TestCase):
    def setUp(self):
        super().setUp()
        self.strategy = self.mirrored_strategy()

    def test_discriminative_sgd_step_is_exact_under_mirrored(self):
        x, y = _data()
        reference = _model()
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(keras.losses.mean_squared_error(y, reference(x)))
        grads = [g.numpy() for g in tape.gradient(loss, reference.trainable_variables)]
        before = [v.numpy() for v in reference.trainable_variables]
        with self.strategy.scope():
            model = _model()
            model.compile(discriminative_optimizer(model, keras.optimizers.SGD(0.1), decay=2.0),
                          "mse")
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        factors = {"low": 0.025, "mid": 0.05, "top": 0.1}
        for old, var, grad in zip(before, model.trainable_variables, grads):
            expected = old - factors[var.path.split("/")[-2]] * grad
            self.assertAllClose(var.numpy(), expected, atol=1e-6)

    def test_lr_finder_restores_weights_under_mirrored(self):
        x, y = _data()
        with self.strategy.scope():
            model = _model()
            model.compile(keras.optimizers.Adam(1e-3), "mse")
        model.fit(x, y, epochs=1, verbose=0)
        weights = [w.copy() for w in model.get_weights()]
        state = [v.numpy().copy() for v in model.optimizer.variables]
        data = tf.data.Dataset.from_tensor_slices((x, y)).batch(4).repeat()
        finder = LRFinder.find(model, data, num_steps=20, steps_per_epoch=2)
        self.assertGreater(len(finder.learning_rates), 5)
        for a, b in zip(weights, model.get_weights()):
            self.assertTrue(np.array_equal(a, b))
        for a, b in zip(state, model.optimizer.variables):
            self.assertTrue(np.array_equal(a, b.numpy()))
