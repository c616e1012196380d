"""Shared base class for keras_transfer tests."""

import json
import os
import subprocess
import sys
import tempfile

import keras
import numpy as np
import tensorflow as tf


class TestCase(tf.test.TestCase):
    """`tf.test.TestCase` plus helpers for layers, serialization and fit."""

    def setUp(self):
        super().setUp()
        keras.backend.clear_session()
        keras.config.set_dtype_policy("float32")
        keras.utils.set_random_seed(1337)

    def tearDown(self):
        keras.config.set_dtype_policy("float32")
        super().tearDown()

    def temp_dir(self):
        return tempfile.mkdtemp(dir=self.get_temp_dir())

    def run_serialization_test(self, model, inputs, atol=1e-6, safe_mode=False):
        """Config JSON round trip and `.keras` save/load give identical predictions.

        Returns the reloaded model.
        """
        expected = keras.ops.convert_to_numpy(model(inputs, training=False))
        config = json.loads(json.dumps(keras.saving.serialize_keras_object(model)))
        rebuilt = keras.saving.deserialize_keras_object(config, safe_mode=safe_mode)
        self.assertEqual(
            json.dumps(rebuilt.get_config(), sort_keys=True, default=str),
            json.dumps(model.get_config(), sort_keys=True, default=str),
        )
        path = os.path.join(self.temp_dir(), "model.keras")
        model.save(path)
        reloaded = keras.saving.load_model(path, safe_mode=safe_mode)
        actual = keras.ops.convert_to_numpy(reloaded(inputs, training=False))
        self.assertAllClose(expected, actual, atol=atol, rtol=0)
        return reloaded

    def run_fit_smoke(self, model, x, y, epochs=2, **compile_kwargs):
        """Compiles (if needed) and fits; returns the History."""
        if not model.compiled:
            model.compile(optimizer=compile_kwargs.pop("optimizer", "adam"),
                          loss=compile_kwargs.pop("loss", "sparse_categorical_crossentropy"),
                          **compile_kwargs)
        return model.fit(x, y, epochs=epochs, batch_size=4, verbose=0)

    def run_in_subprocess(self, code, timeout=300):
        """Runs Python code in a fresh interpreter; returns its stdout."""
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                                text=True, timeout=timeout, env=env)
        if result.returncode != 0:
            raise AssertionError(f"subprocess failed:\n{result.stderr[-3000:]}")
        return result.stdout

    @staticmethod
    def mirrored_strategy():
        """The process-wide MirroredStrategy over two logical CPUs."""
        from keras_transfer.distribute.strategy import get_strategy

        devices = [d.name for d in tf.config.list_logical_devices("CPU")][:2]
        assert len(devices) == 2, "tests/conftest.py should create two logical CPUs"
        return get_strategy("mirrored", devices=devices)

    @staticmethod
    def weights_snapshot(variables):
        return [np.array(v.numpy(), copy=True) for v in variables]
