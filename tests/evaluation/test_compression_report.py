import os
import shutil
import tempfile

import keras
import numpy as np

from keras_transfer.evaluation.compression_report import compression_report
from keras_transfer.export.convert_to_tflite import convert_to_tflite
from keras_transfer.testing import TestCase


def tiny_model(width):
    inputs = keras.Input((6,), name="features")
    x = keras.layers.Dense(width, activation="relu")(inputs)
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))


class CompressionReportTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = tempfile.mkdtemp()
        cls.addClassCleanup(shutil.rmtree, cls.root, ignore_errors=True)
        keras.utils.set_random_seed(0)
        cls.big, cls.small = tiny_model(256), tiny_model(4)
        cls.x = np.random.default_rng(0).normal(size=(10, 6)).astype("float32")
        cls.y = np.argmax(cls.big.predict(cls.x, verbose=0), -1)  # the big model is right
        cls.tflite = convert_to_tflite(cls.big, os.path.join(cls.root, "big.tflite"),
                                       quantization="dynamic_range")

    def test_rows(self):
        report = compression_report(
            {"big": self.big, "small": self.small, "big int8": self.tflite},
            self.x, self.y, num_calls=5)
        self.assertEqual(list(report), ["big", "small", "big int8"])
        big, small, int8 = report["big"], report["small"], report["big int8"]
        self.assertEqual(big["accuracy"], 1.0)
        small_predictions = np.argmax(self.small.predict(self.x, verbose=0), -1)
        self.assertEqual(small["accuracy"], np.mean(small_predictions == self.y))
        self.assertEqual(big["macro_f1"], 1.0)
        f1 = [2 * np.sum((small_predictions == c) & (self.y == c))
              / max(np.sum(small_predictions == c) + np.sum(self.y == c), 1) for c in range(3)]
        self.assertAlmostEqual(small["macro_f1"], float(np.mean(f1)), places=6)
        self.assertEqual(big["num_params"], 6 * 256 + 256 + 256 * 3 + 3)
        self.assertEqual(small["num_params"], 6 * 4 + 4 + 4 * 3 + 3)
        self.assertIsNone(int8["num_params"])
        self.assertEqual(int8["size_bytes"], os.path.getsize(self.tflite))
        # float32 variables of the big model alone take 4 bytes per parameter,
        # stored once: the difference of the two models' sizes is about 4 bytes
        # per extra parameter (8 if every weight were stored twice).
        self.assertGreater(big["size_bytes"], 4 * big["num_params"])
        extra = big["num_params"] - small["num_params"]
        self.assertLess(big["size_bytes"] - small["size_bytes"], 6 * extra)
        self.assertGreater(big["size_bytes"], small["size_bytes"])
        self.assertLess(int8["size_bytes"], 4 * big["num_params"])
        self.assertGreaterEqual(int8["accuracy"], 0.8)
        for row in report.values():
            self.assertGreater(row["latency_ms"], 0)
            self.assertLess(row["latency_ms"], 1000)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "non-empty dict"):
            compression_report({}, self.x, self.y)
        with self.assertRaisesRegex(ValueError, r"`models\['m'\]` must be a keras.Model"):
            compression_report({"m": "model.h5"}, self.x, self.y)
        with self.assertRaisesRegex(ValueError, "10 inputs and 3 labels"):
            compression_report({"big": self.big}, self.x, self.y[:3])
