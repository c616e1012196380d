import keras
import numpy as np
import tensorflow as tf

from keras_transfer.regularizers.l2_sp import L2SP
from keras_transfer.testing import TestCase


class L2SPTest(TestCase):
    def test_value_and_gradient_are_exact(self):
        variable = keras.Variable(np.array([[1.0, -2.0], [0.5, 3.0]], "float32"))
        regularizer = L2SP(0.3, variable)
        start = variable.numpy().copy()
        variable.assign(start + np.array([[0.1, 0.2], [-0.4, 1.0]], "float32"))
        with tf.GradientTape() as tape:
            penalty = regularizer(variable)
        gradient = tape.gradient(penalty, variable)
        difference = variable.numpy() - start
        self.assertAllClose(penalty, 0.5 * 0.3 * np.sum(difference ** 2), rtol=1e-6)
        self.assertAllClose(gradient, 0.3 * difference, rtol=1e-6)

    def test_reference_is_a_copy_and_the_loss_reaches_model_losses(self):
        keras.utils.set_random_seed(0)
        layer = keras.layers.Dense(3, name="toy")
        model = keras.Sequential([keras.Input((4,)), layer])
        kernel = layer.kernel
        start = kernel.numpy().copy()
        kernel.regularizer = L2SP(0.5, kernel)
        self.assertAllClose(sum(float(v) for v in model.losses), 0.0)
        kernel.assign(start + 1.0)  # w - w0 = 1 everywhere: 0.5/2 * 12
        self.assertAllClose(float(sum(model.losses)), 0.25 * 12, rtol=1e-6)
        # One SGD step (lr 1) on a zero data loss moves w by exactly -alpha (w - w0).
        model.compile(optimizer=keras.optimizers.SGD(1.0), loss=lambda y, p: 0.0 * p)
        model.train_on_batch(np.zeros((2, 4), "float32"), np.zeros((2, 3), "float32"))
        self.assertAllClose(kernel.numpy(), start + 1.0 - 0.5 * 1.0, rtol=1e-6)
        self.assertEqual(L2SP(0.5, kernel).get_config(), {"alpha": 0.5})

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "`alpha` must be a finite number >= 0. "
                                                "Received: alpha=-1"):
            L2SP(-1, np.zeros(2))
