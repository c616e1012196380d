"""keras_transfer.testing.TestCase.run_layer_test passes good layers and catches broken ones."""

import keras
import numpy as np

from keras_transfer.testing import TestCase


@keras.saving.register_keras_serializable(package="keras_transfer_tests")
class _ForgetsConfig(keras.layers.Layer):
    """`get_config` leaves out the `scale` init argument."""

    def __init__(self, scale=2.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, x):
        return x * self.scale

    def get_config(self):
        config = super().get_config()
        config.pop("scale", None)
        return config


@keras.saving.register_keras_serializable(package="keras_transfer_tests")
class _DeadWeight(keras.layers.Layer):
    """A trainable weight that no gradient reaches."""

    def build(self, input_shape):
        self.kernel = self.add_weight((input_shape[-1], 2), name="kernel")
        self.unused = self.add_weight((2,), name="unused")

    def call(self, x):
        return keras.ops.matmul(x, self.kernel)


class _Unregistered(keras.layers.Dense):
    """Not registered as serializable: `.keras` loading cannot find it."""


class RunLayerTestTest(TestCase):
    def x(self):
        return np.random.default_rng(0).normal(size=(4, 3)).astype("float32")

    def test_passes_a_keras_layer_and_returns_it(self):
        layer = self.run_layer_test(
            keras.layers.Dense, {"units": 2, "activation": "relu"}, self.x(),
            expected_output_shape=(4, 2), expected_output_dtype="float32",
            expected_num_trainable_weights=2, expected_num_non_trainable_weights=0,
            run_training_check=True)
        self.assertIsInstance(layer, keras.layers.Dense)
        self.assertEqual(tuple(layer.kernel.shape), (3, 2))

    def test_wrong_expectations_fail(self):
        for kwargs in ({"expected_output_shape": (4, 3)},
                       {"expected_output_dtype": "float16"},
                       {"expected_num_trainable_weights": 1}):
            with self.subTest(**{k: str(v) for k, v in kwargs.items()}):
                with self.assertRaises(AssertionError):
                    self.run_layer_test(keras.layers.Dense, {"units": 2}, self.x(), **kwargs)

    def test_config_missing_an_init_argument_fails(self):
        with self.assertRaisesRegex(AssertionError, "lacks the init argument 'scale'"):
            self.run_layer_test(_ForgetsConfig, {"scale": 3.0}, self.x())

    def test_unregistered_layer_fails_unless_given_as_custom_object(self):
        with self.assertRaisesRegex(TypeError, "Could not locate class '_Unregistered'"):
            self.run_layer_test(_Unregistered, {"units": 2}, self.x())
        self.run_layer_test(_Unregistered, {"units": 2}, self.x(),
                            custom_objects={"_Unregistered": _Unregistered})

    def test_training_check_catches_a_weight_without_gradient(self):
        self.run_layer_test(_DeadWeight, {}, self.x(), expected_output_shape=(4, 2))
        with self.assertRaisesRegex(AssertionError, "left .*unused unchanged"):
            self.run_layer_test(_DeadWeight, {}, self.x(), run_training_check=True)
