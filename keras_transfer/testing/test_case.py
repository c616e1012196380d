"""`TestCase`: keras_transfer's test base class, with layer, serialization and fit helpers."""

import json
import os
import subprocess
import sys
import tempfile

import keras
import numpy as np
import tensorflow as tf


class TestCase(tf.test.TestCase):
    """`tf.test.TestCase` with helpers for layers, serialization and fit.

    Every test starts from a clear Keras session, the `"float32"` dtype
    policy and the random seed 1337, and the dtype policy is reset after it,
    so tests do not leak global state into each other. The session is cleared
    without a forced full garbage collection (`free_memory=False`): with
    TensorFlow and Keras loaded, each one costs about 0.2-0.3 CPU seconds, and
    Python's own collector still frees what earlier tests left. The helpers follow
    Keras' own `testing.TestCase`: `run_layer_test` checks a layer class
    end to end, `run_serialization_test` a model's config and `.keras` round
    trip, `run_fit_smoke` that a model trains.

    Example:

    ```python
    import keras_transfer

    class MyLayerTest(keras_transfer.testing.TestCase):
        def test_layer(self):
            self.run_layer_test(
                keras.layers.Dense, {"units": 3}, np.ones((2, 4), "float32"),
                expected_output_shape=(2, 3), run_training_check=True)
    ```
    """

    def setUp(self):
        super().setUp()
        keras.backend.clear_session(free_memory=False)
        keras.config.set_dtype_policy("float32")
        keras.utils.set_random_seed(1337)

    def tearDown(self):
        keras.config.set_dtype_policy("float32")
        super().tearDown()

    def temp_dir(self):
        """A fresh folder under the test's temporary directory."""
        return tempfile.mkdtemp(dir=self.get_temp_dir())

    def run_layer_test(self, layer_cls, init_kwargs, input_data, expected_output_shape=None,
                       expected_output_dtype=None, expected_num_trainable_weights=None,
                       expected_num_non_trainable_weights=None, run_training_check=False,
                       custom_objects=None, safe_mode=True, atol=1e-6):
        """Checks a layer class end to end, like Keras' `run_layer_test`.

        Builds `layer_cls(**init_kwargs)` and calls it on `input_data`
        (inference mode), then checks:

        - the output shape and dtype (per key for dict outputs), and the
          number of trainable and non-trainable weights, when expected values
          are given;
        - the config: every init argument appears in `get_config()` with the
          value given, and `from_config` of the JSON round-tripped config
          rebuilds a layer with the same config;
        - a functional model around the layer survives a config round trip
          and a `.keras` save/load with the same outputs
          (`run_serialization_test`);
        - with `run_training_check`, one `fit` step (SGD, mean squared error
          towards random targets) changes every trainable weight.

        Args:
            layer_cls: class. The layer class to test.
            init_kwargs: dict. Keyword arguments for `layer_cls`.
            input_data: array or dict of arrays. A batch of inputs; its shape
                without the batch dimension and dtype define the model inputs.
            expected_output_shape: tuple, or dict of tuples for dict outputs.
                Defaults to `None` (not checked).
            expected_output_dtype: str, or dict of str. Defaults to `None`
                (not checked).
            expected_num_trainable_weights: int. Defaults to `None`.
            expected_num_non_trainable_weights: int. Defaults to `None`.
            run_training_check: bool. Fit one step and check that every
                trainable weight changes. Needs a single (non-dict) float
                output. Defaults to `False`.
            custom_objects: dict. Classes to load that are not registered
                with `keras.saving.register_keras_serializable`. Defaults to
                `None`.
            safe_mode: bool. Passed to deserialization and `load_model`.
                Defaults to `True`.
            atol: float. Tolerance between the outputs before and after
                saving. Defaults to `1e-6`.

        Returns:
            The layer built and called on `input_data`.
        """
        layer = layer_cls(**init_kwargs)
        output = layer(input_data, training=False)

        if expected_output_shape is not None:
            expected = (
                {key: tuple(shape) for key, shape in expected_output_shape.items()}
                if isinstance(expected_output_shape, dict) else tuple(expected_output_shape))
            self.assertEqual(keras.tree.map_structure(lambda x: tuple(x.shape), output),
                             expected)
        if expected_output_dtype is not None:
            self.assertEqual(
                keras.tree.map_structure(lambda x: keras.backend.standardize_dtype(x.dtype),
                                         output),
                expected_output_dtype)
        if expected_num_trainable_weights is not None:
            self.assertLen(layer.trainable_weights, expected_num_trainable_weights)
        if expected_num_non_trainable_weights is not None:
            self.assertLen(layer.non_trainable_weights, expected_num_non_trainable_weights)

        config = json.loads(json.dumps(layer.get_config()))
        for name, value in init_kwargs.items():
            self.assertIn(name, config, f"`get_config()` lacks the init argument {name!r}")
            self.assertEqual(_jsonable(config[name]), _jsonable(value),
                             f"`get_config()[{name!r}]` differs from the init argument")
        rebuilt = layer_cls.from_config(config)
        self.assertEqual(_jsonable(rebuilt.get_config()), _jsonable(config))

        if isinstance(input_data, dict):
            inputs = {key: keras.Input(np.shape(x)[1:], dtype=_dtype(x), name=key)
                      for key, x in input_data.items()}
        else:
            inputs = keras.Input(np.shape(input_data)[1:], dtype=_dtype(input_data))
        model = keras.Model(inputs, layer(inputs))
        self.run_serialization_test(model, input_data, atol=atol, safe_mode=safe_mode,
                                    custom_objects=custom_objects)

        if run_training_check:
            self.assertFalse(isinstance(output, (dict, list, tuple)),
                             "run_training_check needs a single output")
            self.assertNotEmpty(layer.trainable_weights, "the layer has no trainable weights")
            before = self.weights_snapshot(layer.trainable_weights)
            target = np.random.default_rng(0).normal(size=np.shape(output)).astype("float32")
            model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
            model.fit(input_data, target, epochs=1, batch_size=len(target), verbose=0)
            for variable, old in zip(layer.trainable_weights, before):
                self.assertGreater(float(np.abs(variable.numpy() - old).max()), 0.0,
                                   f"one fit step left {variable.path} unchanged")
        return layer

    def run_serialization_test(self, model, inputs, atol=1e-6, safe_mode=False,
                               custom_objects=None):
        """Config JSON round trip and `.keras` save/load give identical predictions.

        Args:
            model: `keras.Model`. The model to serialize.
            inputs: array or dict of arrays. A batch to predict on.
            atol: float. Tolerance between the predictions. Defaults to `1e-6`.
            safe_mode: bool. Passed to deserialization and `load_model`.
                Defaults to `False`.
            custom_objects: dict. Classes that are not registered with
                `keras.saving.register_keras_serializable`. Defaults to `None`.

        Returns:
            The model loaded back from the `.keras` file.
        """
        expected = _to_numpy(model(inputs, training=False))
        config = json.loads(json.dumps(keras.saving.serialize_keras_object(model)))
        rebuilt = keras.saving.deserialize_keras_object(config, custom_objects=custom_objects,
                                                        safe_mode=safe_mode)
        self.assertEqual(
            json.dumps(rebuilt.get_config(), sort_keys=True, default=str),
            json.dumps(model.get_config(), sort_keys=True, default=str),
        )
        path = os.path.join(self.temp_dir(), "model.keras")
        model.save(path)
        reloaded = keras.saving.load_model(path, custom_objects=custom_objects,
                                           safe_mode=safe_mode)
        actual = _to_numpy(reloaded(inputs, training=False))
        self.assertAllClose(expected, actual, atol=atol, rtol=0)
        return reloaded

    def run_fit_smoke(self, model, x, y, epochs=2, **compile_kwargs):
        """Compiles the model (unless it is compiled) and fits it.

        Args:
            model: `keras.Model`. The model to train.
            x: array. Inputs.
            y: array. Targets.
            epochs: int. Defaults to 2.
            **compile_kwargs: for `compile`; `optimizer` defaults to `"adam"`
                and `loss` to `"sparse_categorical_crossentropy"`.

        Returns:
            The `History` of `fit` (batches of 4).
        """
        if not model.compiled:
            model.compile(optimizer=compile_kwargs.pop("optimizer", "adam"),
                          loss=compile_kwargs.pop("loss", "sparse_categorical_crossentropy"),
                          **compile_kwargs)
        return model.fit(x, y, epochs=epochs, batch_size=4, verbose=0)

    def run_in_subprocess(self, code, timeout=300):
        """Runs Python `code` in a fresh interpreter and returns its stdout.

        Raises:
            AssertionError: with the end of stderr, when the code fails.
        """
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                                text=True, timeout=timeout, env=env)
        if result.returncode != 0:
            raise AssertionError(f"subprocess failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def mirrored_strategy(self):
        """The process-wide MirroredStrategy over the first two logical CPUs.

        The CPU must be split into two logical devices before TensorFlow
        starts (`tf.config.set_logical_device_configuration`, as
        keras_transfer's `tests/conftest.py` does).
        """
        from keras_transfer.distribute.strategy import get_strategy

        devices = [d.name for d in tf.config.list_logical_devices("CPU")][:2]
        self.assertLen(devices, 2, "split the CPU into two logical devices before TF starts")
        return get_strategy("mirrored", devices=devices)

    @staticmethod
    def weights_snapshot(variables):
        """Copies of the variables' current values, as NumPy arrays."""
        return [np.array(v.numpy(), copy=True) for v in variables]


def _dtype(x):
    return keras.backend.standardize_dtype(getattr(x, "dtype", None) or np.asarray(x).dtype)


def _to_numpy(outputs):
    return keras.tree.map_structure(keras.ops.convert_to_numpy, outputs)


def _jsonable(value):
    """`value` as it reads after a JSON round trip (tuples become lists)."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))
