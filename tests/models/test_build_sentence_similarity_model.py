import shutil
import tempfile

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.backbones import conversion
from keras_transfer.layers.hub_backbone import HubBackbone
from keras_transfer.models.build_sentence_similarity_model import (
    build_sentence_similarity_model,
)
from keras_transfer.testing import TestCase
from keras_transfer.testing import require
from tests import savedmodels

A = ["good fine great", "bad awful poor", "the film", "good great"]
B = ["great good fine", "good great fine", "the film", "bad poor"]


def pairs(a=A, b=B):
    return {"text_a": tf.constant(a), "text_b": tf.constant(b)}


class BuildSentenceSimilarityModelTest(TestCase):
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

    def build(self, **kwargs):
        return build_sentence_similarity_model(
            self.encoder, preprocessor=self.preprocessor, output_key="default", **kwargs)

    def reference_encoder(self):
        preprocessor = HubBackbone(self.preprocessor)
        encoder = HubBackbone(self.encoder, output_key="default")
        return lambda text: encoder(preprocessor(text))

    def test_cosine_similarity_of_shared_embeddings(self):
        model = self.build()
        self.assertEqual(model.name, "sentence_similarity")
        names = [layer.name for layer in model.layers]
        self.assertEqual(names.count("backbone"), 1)
        self.assertNotIn("head", names)
        scores = model.predict(pairs(), verbose=0)
        self.assertEqual(scores.shape, (4, 1))
        self.assertEqual(scores.dtype, np.float32)
        embed = self.reference_encoder()
        u = keras.ops.convert_to_numpy(embed(tf.constant(A)))
        v = keras.ops.convert_to_numpy(embed(tf.constant(B)))
        expected = (u * v).sum(-1) / np.linalg.norm(u, axis=-1) / np.linalg.norm(v, axis=-1)
        self.assertAllClose(scores[:, 0], expected, atol=1e-5)
        # Same words in another order: identical mean embedding; identical text: 1.
        self.assertAllClose(scores[[0, 2], 0], [1.0, 1.0], atol=1e-5)

    def test_similarity_regression_fine_tunes_the_shared_encoder(self):
        model = self.build(learning_rate=0.02)
        self.assertIsInstance(model.loss, str)
        encoder = model.get_layer("backbone")
        self.assertLen(model.trainable_weights, len(encoder.trainable_weights))
        before = self.weights_snapshot(encoder.trainable_weights)
        targets = np.array([1.0, -0.5, 1.0, -0.5])
        history = model.fit(pairs(), targets, epochs=8, batch_size=4, verbose=0)
        self.assertLess(history.history["loss"][-1], 0.7 * history.history["loss"][0])
        self.assertNotAllClose(before[0], encoder.trainable_weights[0].numpy())

    def test_siamese_classifier_features_and_training(self):
        model = self.build(num_classes=3, dropout=0.0, trainable=False, learning_rate=0.05)
        self.assertEqual(model.name, "siamese_classifier")
        self.assertEqual(model.get_layer("pair_features").output.shape, (None, 32))
        head = model.get_layer("head")
        self.assertEqual(tuple(head.dense.kernel.shape), (32, 3))
        embed = self.reference_encoder()
        u = keras.ops.convert_to_numpy(embed(tf.constant(A)))
        v = keras.ops.convert_to_numpy(embed(tf.constant(B)))
        features = np.concatenate([u, v, np.abs(u - v), u * v], axis=-1)
        expected = keras.ops.softmax(features @ head.dense.kernel.numpy() + head.dense.bias)
        self.assertAllClose(model.predict(pairs(), verbose=0), expected, atol=1e-5)
        history = model.fit(pairs(), np.array([0, 1, 0, 2]), epochs=10, verbose=0)
        self.assertLess(history.history["loss"][-1], history.history["loss"][0])

    def test_precision_and_serialization(self):
        model = self.build(num_classes=2, precision="mixed_bfloat16", compile=False)
        self.assertEqual(model.get_layer("pair_features").compute_dtype, "bfloat16")
        out = model(pairs())
        self.assertEqual(keras.backend.standardize_dtype(out.dtype), "float32")
        keras.config.set_dtype_policy("float32")
        cosine = self.build(precision="mixed_float16")
        self.assertIsInstance(cosine.optimizer, keras.optimizers.LossScaleOptimizer)
        self.assertEqual(keras.backend.standardize_dtype(cosine(pairs()).dtype), "float32")
        # Built-in layers only: it reloads (the backbone still needs safe_mode=False).
        self.run_serialization_test(self.build(num_classes=2, compile=False), pairs(),
                                    atol=1e-5)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, r"is an image backbone"):
            build_sentence_similarity_model("efficientnet_lite0")
        with self.assertRaisesRegex(ValueError, r"Received: num_classes=1"):
            self.build(num_classes=1)


@pytest.mark.large
class BuildSentenceSimilarityModelLargeTest(TestCase):
    def test_minilm_l6_scores_paraphrases_higher(self):
        try:
            conversion.backbone_path("minilm_l6", "encoder")
            conversion.backbone_path("minilm_l6", "preprocessor")
        except Exception as error:  # noqa: BLE001 (the provider needs its wheel and deps)
            require(False, f"minilm_l6 is not available: {error}")
        model = build_sentence_similarity_model("minilm_l6", learning_rate=1e-5)
        scores = model.predict(pairs(
            ["A man is playing a guitar.", "A man is playing a guitar."],
            ["Someone plays the guitar.", "The stock market fell sharply today."]),
            verbose=0)[:, 0]
        self.assertGreater(scores[0], scores[1] + 0.3)
        history = model.fit(pairs(A, B), np.array([1.0, 0.0, 1.0, 0.0]), epochs=2,
                            batch_size=4, verbose=0)
        self.assertTrue(np.isfinite(history.history["loss"]).all())
