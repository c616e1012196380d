"""Tests of `adapt_language_model` on the tiny BERT-shaped SavedModel."""

import json
import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf

from keras_transfer.backbones import registry
from keras_transfer.layers.hub_backbone import HubBackbone
from keras_transfer.models.build_text_classifier import build_text_classifier
from keras_transfer.models.build_token_classifier import build_token_classifier
from keras_transfer.recipes.adapt_language_model import adapt_language_model
from keras_transfer.testing import TestCase
from tests import savedmodels

TEXTS = ["the film was great fun", "a dull and boring movie", "the cast was great",
         "boring plot and dull jokes"] * 8


class AdaptLanguageModelTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = tempfile.mkdtemp()
        cls.encoder = savedmodels.bert_encoder(cls.root)
        cls.preprocessor = savedmodels.string_preprocessor(cls.root)
        # The same preprocessor with a BERT-style vocabulary as an asset, so
        # the mask and special ids are looked up rather than passed.
        cls.with_vocab = os.path.join(cls.root, "with_vocab")
        shutil.copytree(cls.preprocessor, cls.with_vocab)
        os.makedirs(os.path.join(cls.with_vocab, "assets"), exist_ok=True)
        vocab = ["[PAD]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(46)]
        with open(os.path.join(cls.with_vocab, "assets", "vocab.txt"), "w") as f:
            f.write("\n".join(vocab) + "\n")

    def tearDown(self):
        registry.BACKBONES.pop("tiny_adapted", None)
        super().tearDown()

    def test_adapts_saves_registers_and_builds(self):
        export_dir = os.path.join(self.temp_dir(), "adapted")
        result = adapt_language_model(
            self.encoder, TEXTS, export_dir, preprocessor=self.with_vocab,
            name="tiny_adapted", epochs=3, batch_size=8, learning_rate=1e-2)
        self.assertEqual(sorted(os.listdir(export_dir)),
                         ["adapted.json", "encoder", "preprocessor"])
        self.assertEqual(result["num_texts"], 32)
        self.assertEqual(len(result["history"]["loss"]), 3)
        self.assertLess(result["history"]["loss"][-1], result["history"]["loss"][0])
        record = json.loads(open(os.path.join(export_dir, "adapted.json")).read())
        self.assertEqual(record["entry"]["handles"]["encoder"],
                         os.path.join(os.path.abspath(export_dir), "encoder"))
        self.assertNotIn("provider", record["entry"])

        original = {v.name: v.numpy() for v in HubBackbone(self.encoder).weights}
        adapted = {v.name: v.numpy() for v in HubBackbone(result["path"] + "/encoder").weights}
        self.assertGreater(np.abs(adapted["word_embeddings__embeddings"]
                                  - original["word_embeddings__embeddings"]).max(), 1e-3)
        np.testing.assert_array_equal(adapted["pooler_dense__kernel"],
                                      original["pooler_dense__kernel"])

        # Registered: the builders take the name, with the copied preprocessor.
        model = build_text_classifier("tiny_adapted", 2, output_key="pooled_output")
        self.assertEqual(model.predict(tf.constant(["great fun"]), verbose=0).shape, (1, 2))
        np.testing.assert_array_equal(model.get_layer("backbone").weights[0].numpy(),
                                      adapted["word_embeddings__embeddings"])
        token = build_token_classifier("tiny_adapted", num_tags=3, string_inputs=True)
        self.assertEqual(token.predict(tf.constant(["great fun"]), verbose=0).shape, (1, 8, 3))
        # A later process registers it from adapted.json.
        registry.BACKBONES.pop("tiny_adapted")
        registry.register_backbone("tiny_adapted", record["entry"])
        self.assertEqual(registry.get_backbone("tiny_adapted")["handles"],
                         result["entry"]["handles"])

    def test_same_seed_same_encoder(self):
        paths = [adapt_language_model(
            self.encoder, TEXTS[:8], os.path.join(self.temp_dir(), f"run{i}"),
            preprocessor=self.preprocessor, batch_size=4, mask_token_id=49,
            special_token_ids=(0, 1, 49), seed=3)["path"] for i in range(2)]
        a, b = (HubBackbone(p + "/encoder").weights[0].numpy() for p in paths)
        np.testing.assert_array_equal(a, b)

    def test_errors(self):
        out = os.path.join(self.temp_dir(), "x")
        with self.assertRaisesRegex(ValueError, "at least one text"):
            adapt_language_model(self.encoder, [], out, preprocessor=self.preprocessor)
        with self.assertRaisesRegex(ValueError, "needs a preprocessor"):
            adapt_language_model(self.encoder, TEXTS, out)
        with self.assertRaisesRegex(ValueError, "no assets/vocab.txt.*mask_token_id"):
            adapt_language_model(self.encoder, TEXTS, out, preprocessor=self.preprocessor)
        with self.assertRaisesRegex(ValueError, "epochs"):
            adapt_language_model(self.encoder, TEXTS, out, epochs=0)
        os.makedirs(out)
        with self.assertRaises(FileExistsError):
            adapt_language_model(self.encoder, TEXTS, out, preprocessor=self.preprocessor)
        self.assertEqual(os.listdir(os.path.dirname(out)), ["x"])  # no staging left
