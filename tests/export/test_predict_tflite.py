import os
import shutil
import tempfile

import keras
import numpy as np

from keras_transfer.export.convert_to_tflite import convert_to_tflite
from keras_transfer.export.predict_tflite import predict_tflite
from keras_transfer.testing import TestCase


class PredictTFLiteTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = tempfile.mkdtemp()
        cls.addClassCleanup(shutil.rmtree, cls.root, ignore_errors=True)
        inputs = {"a": keras.Input((3,), name="a"), "b": keras.Input((3,), name="b")}
        outputs = keras.layers.Dense(2, activation="softmax")(inputs["a"] - 2.0 * inputs["b"])
        cls.model = keras.Model(inputs, outputs)
        cls.path = convert_to_tflite(cls.model, os.path.join(cls.root, "two.tflite"))
        rng = np.random.default_rng(0)
        cls.x = {"a": rng.normal(size=(7, 3)).astype("float32"),
                 "b": rng.normal(size=(7, 3)).astype("float32")}

    def test_named_inputs_in_batches(self):
        expected = self.model.predict(self.x, verbose=0)
        for batch_size in (1, 3, 32):
            self.assertAllClose(predict_tflite(self.path, self.x, batch_size=batch_size),
                                expected, atol=1e-5)

    def test_input_errors(self):
        with self.assertRaisesRegex(ValueError, r"takes 2 inputs \['a', 'b'\]: pass `x` as a dict"):
            predict_tflite(self.path, self.x["a"])
        with self.assertRaisesRegex(ValueError, r"takes inputs \['a', 'b'\]. Received: x with keys \['a'\]"):
            predict_tflite(self.path, {"a": self.x["a"]})
        with self.assertRaisesRegex(ValueError, "batch_size"):
            predict_tflite(self.path, self.x, batch_size=0)
