"""verify_export: fresh-process load, saved_model_cli listing, tolerance check."""

import os
import shutil
import tempfile

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.export.export_for_serving import export_for_serving
from keras_transfer.export.verify_export import verify_export
from keras_transfer.testing import TestCase
from tests.export import tiny_classifiers as tiny


class VerifyExportTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = tempfile.mkdtemp()
        cls.addClassCleanup(shutil.rmtree, cls.root, ignore_errors=True)
        keras.utils.set_random_seed(0)
        cls.model = tiny.audio_classifier(cls.root)
        cls.path = export_for_serving(
            cls.model, os.path.join(cls.root, "speech"),
            class_names=["yes", "no", "up", "down"], warmup=False)
        cls.wavs = tiny.wav_files()
        waveforms = np.stack([tiny.decode_audio_like_training(w) for w in cls.wavs])
        cls.expected = cls.model.predict(waveforms, verbose=0)

    def test_served_predictions_match_and_signatures_are_listed(self):
        report = verify_export(self.path, self.wavs, self.expected, atol=1e-5)
        self.assertLess(report["max_abs_diff"], 1e-5)
        self.assertEqual(report["input_name"], "audio_bytes")
        listing = report["signatures"]
        fragments = ("signature_def['serving_default']",
                     "signature_def['predict_tensors']", "inputs['audio_bytes']",
                     "inputs['waveforms']", "outputs['class_name']", "shape: (-1, 4)")
        for fragment in fragments:
            self.assertIn(fragment, listing)
        names = ["yes", "no", "up", "down"]
        self.assertEqual(report["outputs"]["class_name"],
                         [names[i] for i in self.expected.argmax(-1)])

    def test_difference_above_atol_raises(self):
        wrong = self.expected.copy()
        wrong[2, 1] += 0.01
        pattern = r"differ .* by up to 0\.01 > atol=1e-05 \(instance 2, class 1"
        with self.assertRaisesRegex(AssertionError, pattern):
            verify_export(self.path, self.wavs, wrong, atol=1e-5)

    def test_argument_errors(self):
        with self.assertRaisesRegex(FileNotFoundError, "saved_model.pb"):
            verify_export(self.root, self.wavs, self.expected)
        with self.assertRaisesRegex(ValueError, "`raw_inputs` must be a list"):
            verify_export(self.path, self.wavs[0], self.expected)
        with self.assertRaisesRegex(ValueError, r"Received: shape \(3, 4\)"):
            verify_export(self.path, self.wavs, self.expected[:3])
        with self.assertRaisesRegex(ValueError, r"Received: atol=-1"):
            verify_export(self.path, self.wavs, self.expected, atol=-1)


@pytest.mark.large
class VerifyTfTextExportTest(TestCase):
    def test_tf_text_model_verifies_in_fresh_process(self):
        root = self.temp_dir()
        model = tiny.tf_text_classifier(root)
        path = export_for_serving(model, os.path.join(root, "reviews"), warmup=False)
        texts = ["Good acting", "bad movie", "hello"]
        expected = model.predict(tf.constant(texts), verbose=0)
        report = verify_export(path, texts, expected, atol=1e-6)
        self.assertLess(report["max_abs_diff"], 1e-6)
        self.assertIn("could not be listed due to the existence of custom ops",
                      report["signatures"])
        self.assertIn("signature_def['serving_default']", report["signatures"])
