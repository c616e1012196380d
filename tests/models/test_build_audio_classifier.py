import shutil
import tempfile

import keras
import numpy as np
import pytest

from keras_transfer.backbones import conversion, registry
from keras_transfer.layers.hub_backbone import HubBackbone
from keras_transfer.models.build_audio_classifier import build_audio_classifier
from keras_transfer.testing import TestCase
from keras_transfer.testing import require
from tests import savedmodels


def tones(n=8, num_samples=800, sample_rate=800, seed=0, low=20.0, high=150.0):
    """Low (class 0) and high (class 1) sine tones with a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(num_samples) / sample_rate
    labels = np.arange(n) % 2
    freqs = np.where(labels == 0, low, high)
    waves = 0.5 * np.sin(2 * np.pi * freqs[:, None] * t) + 0.05 * rng.normal(size=(n, num_samples))
    return waves.astype("float32"), labels


class BuildAudioClassifierTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = tempfile.mkdtemp()
        cls.path = savedmodels.waveform_model(cls.root)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)
        super().tearDownClass()

    def test_layers_shapes_and_outputs(self):
        model = build_audio_classifier(self.path, 4, sample_rate=800, clip_seconds=0.5,
                                       dropout=0.0)
        self.assertEqual([layer.name for layer in model.layers],
                         ["waveform", "backbone", "head"])
        self.assertEqual(model.input.shape, (None, 400))
        x, _ = tones(3, 400)
        probabilities = keras.ops.convert_to_numpy(model(x))
        self.assertEqual(probabilities.shape, (3, 4))
        self.assertEqual(probabilities.dtype, np.float32)
        features = HubBackbone(self.path)(x)
        head = model.get_layer("head")
        expected = keras.ops.softmax(features @ head.dense.kernel + head.dense.bias)
        self.assertAllClose(probabilities, expected, atol=1e-5)

    def test_frozen_backbone_training_lowers_loss(self):
        model = build_audio_classifier(self.path, 2, sample_rate=800, clip_seconds=1.0,
                                       trainable=False, dropout=0.0, learning_rate=0.05)
        backbone = model.get_layer("backbone")
        before = self.weights_snapshot(backbone.weights)
        x, y = tones(16)
        history = model.fit(x, y, epochs=10, batch_size=16, verbose=0)
        self.assertLess(history.history["loss"][-1], history.history["loss"][0])
        for old, new in zip(before, backbone.weights):
            self.assertTrue(np.array_equal(old, new.numpy()), new.path)

    def test_precision_keeps_waveform_and_output_float32(self):
        model = build_audio_classifier(self.path, 2, sample_rate=800,
                                       precision="mixed_bfloat16")
        self.assertEqual(model.input.dtype, "float32")
        self.assertEqual(model.get_layer("backbone").compute_dtype, "bfloat16")
        out = model(tones(2)[0])
        self.assertEqual(keras.backend.standardize_dtype(out.dtype), "float32")
        history = model.fit(*tones(4), epochs=1, verbose=0)
        self.assertTrue(np.isfinite(history.history["loss"][0]))

    def test_registry_sample_rate_and_minimum_length(self):
        registry.register_backbone("tiny_audio_test", {
            "modality": "audio", "description": "test", "variant": "feature_vector",
            "handles": {"feature_vector": self.path},
            "input": {"sample_rate": 800, "min_samples": 200},
        })
        self.addCleanup(registry.BACKBONES.pop, "tiny_audio_test")
        model = build_audio_classifier("tiny_audio_test", 2, sample_rate=800, clip_seconds=0.25)
        self.assertEqual(model.input.shape, (None, 200))
        self.assertEqual(model.get_layer("backbone").handle, "tiny_audio_test/feature_vector")
        with self.assertRaisesRegex(ValueError, r"expects 800 Hz audio. Received: "
                                                r"sample_rate=16000"):
            build_audio_classifier("tiny_audio_test", 2)
        with self.assertRaisesRegex(ValueError, r"at least 200 samples \(0.250 s at 800 Hz\). "
                                                r"Received: clip_seconds=0.2 \(160 samples\)"):
            build_audio_classifier("tiny_audio_test", 2, sample_rate=800, clip_seconds=0.2)

    def test_serialization_round_trip(self):
        model = build_audio_classifier(self.path, 3, sample_rate=800, compile=False)
        self.run_serialization_test(model, tones(2)[0])

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, r"Registered audio backbones: "
                                                r"\[.*'speech_embedding'.*\]"):
            build_audio_classifier("speech", 2)
        with self.assertRaisesRegex(ValueError, r"is a text backbone.*needs an audio backbone"):
            build_audio_classifier("minilm_l6", 2)
        with self.assertRaisesRegex(ValueError, r"Received: num_classes=True"):
            build_audio_classifier(self.path, True)
        with self.assertRaisesRegex(ValueError, r"Received: sample_rate=16000.0"):
            build_audio_classifier(self.path, 2, sample_rate=16000.0)
        with self.assertRaisesRegex(ValueError, r"Received: clip_seconds=0"):
            build_audio_classifier(self.path, 2, clip_seconds=0)


@pytest.mark.large
class BuildAudioClassifierLargeTest(TestCase):
    def test_speech_embedding_end_to_end(self):
        try:
            conversion.backbone_path("speech_embedding")
        except Exception as error:  # noqa: BLE001 (the provider needs its wheel)
            require(False, f"speech_embedding is not available: {error}")
        model = build_audio_classifier("speech_embedding", 2, clip_seconds=1.0,
                                       trainable=False, learning_rate=0.01)
        self.assertEqual(model.get_layer("backbone").output.shape, (None, 96))
        x, y = tones(8, num_samples=16000, sample_rate=16000, low=300.0, high=2500.0)
        history = model.fit(x, y, epochs=10, batch_size=8, verbose=0)
        self.assertLess(history.history["loss"][-1], history.history["loss"][0])
        self.assertEqual(history.history["accuracy"][-1], 1.0)
