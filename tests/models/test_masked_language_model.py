"""Tests of `MaskedLanguageModel` on the tiny BERT-shaped SavedModel."""

import os
import tempfile

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.backbones import conversion

from keras_transfer.data.masked_lm_dataset import masked_lm_dataset
from keras_transfer.layers.hub_backbone import HubBackbone
from keras_transfer.models.build_text_classifier import build_text_classifier
from keras_transfer.models.build_token_classifier import build_token_classifier
from keras_transfer.models.masked_language_model import MaskedLanguageModel
from keras_transfer.recipes.adapt_language_model import _vocabulary_ids
from keras_transfer.testing import TestCase
from keras_transfer.testing import require
from tests import savedmodels

VOCAB, MASK, CLS = 50, 49, 1


def corpus(rows=64, length=8, seed=0):
    """[CLS] words [SEP], the words drawn from a skewed distribution (id 10
    three times in four): the tiny encoder has no attention, so a masked
    token is predictable only from the corpus' word frequencies (loss from
    about ln 50 = 3.9 down to their entropy, 1.1 nats)."""
    rng = np.random.default_rng(seed)
    words = np.where(rng.random((rows, length - 2)) < 0.75, 10,
                     rng.integers(2, 48, (rows, length - 2)))
    ids = np.concatenate([np.full((rows, 1), CLS), words,
                          np.full((rows, 1), 48)], axis=1).astype("int32")
    return {"input_word_ids": ids, "input_mask": np.ones_like(ids),
            "input_type_ids": np.zeros_like(ids)}


def compile_mlm(model, learning_rate=1e-2):
    model.compile(keras.optimizers.Adam(learning_rate),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True,
                                                             ignore_class=-1),
                  weighted_metrics=["accuracy"])
    return model


class MaskedLanguageModelTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = tempfile.mkdtemp()
        cls.encoder = savedmodels.bert_encoder(cls.root, vocab_size=VOCAB)

    def inputs(self):
        features = corpus(rows=2)
        features["masked_positions"] = np.array([[1, 2, 0], [3, 0, 0]], "int32")
        return features

    def test_output_layer_is_tied_to_the_word_embeddings(self):
        model = MaskedLanguageModel(self.encoder)
        features = self.inputs()
        logits = model(features).numpy()
        self.assertEqual(logits.shape, (2, 3, VOCAB))
        self.assertEqual(model.vocabulary_size, VOCAB)
        # The one embedding variable, shared: same object as the encoder's.
        embeddings = model.word_embeddings
        self.assertIs(embeddings, model.encoder.weights[0])
        self.assertEqual(embeddings.name, "word_embeddings__embeddings")
        ids = [id(v) for v in model.trainable_variables]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertEqual(len(ids), 12 + 4 + 1)  # encoder, transform + norm, bias
        # Known answer: LayerNorm(gelu(h W + b)) E^T + bias at the positions.
        sequence = HubBackbone(self.encoder, output_key="sequence_output")(
            {k: features[k] for k in ("input_word_ids", "input_mask", "input_type_ids")}
        ).numpy()
        h = np.take_along_axis(sequence, features["masked_positions"][..., None], 1)
        kernel, bias = (w.numpy() for w in model.transform.weights)
        x = keras.ops.gelu(h @ kernel + bias, approximate=False).numpy()
        x = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-12)
        gamma, beta = (w.numpy() for w in model.transform_norm.weights)
        expected = (x * gamma + beta) @ embeddings.numpy().T + model.output_bias.numpy()
        np.testing.assert_allclose(logits, expected, atol=1e-5)
        # Assigning the embedding changes the logits through both paths.
        embeddings.assign(embeddings.numpy() * 2)
        self.assertGreater(np.abs(model(features).numpy() - logits).max(), 1e-3)

    def test_fit_lowers_the_loss_and_saves_a_changed_encoder(self):
        keras.utils.set_random_seed(0)
        model = compile_mlm(MaskedLanguageModel(self.encoder))
        before = {v.name: v.numpy() for v in model.encoder.weights}
        dataset = masked_lm_dataset(corpus(), VOCAB, MASK, (0, CLS, 48, MASK),
                                    batch_size=16, max_predictions=3)
        history = model.fit(dataset, epochs=15, verbose=0, shuffle=False).history
        self.assertLess(history["loss"][-1], 0.6 * history["loss"][0])
        self.assertGreater(history["accuracy"][-1], history["accuracy"][0])

        path = model.save_encoder(os.path.join(self.temp_dir(), "adapted"))
        adapted = HubBackbone(path)
        changed = {v.name for v in adapted.weights
                   if np.abs(v.numpy() - before[v.name]).max() > 1e-4}
        self.assertIn("word_embeddings__embeddings", changed)
        self.assertIn("transformer_layer_1_ffn__kernel", changed)
        self.assertNotIn("pooler_dense__kernel", changed)  # no MLM gradient reaches it
        for v in adapted.weights:  # the saved values are the trained ones
            trained = next(w for w in model.encoder.weights if w.name == v.name)
            np.testing.assert_array_equal(v.numpy(), trained.numpy())
        with self.assertRaises(FileExistsError):
            model.save_encoder(path)

        # The adapted encoder serves the text builders like the original.
        features = corpus(rows=4)
        token = build_token_classifier(path, num_tags=3)
        self.assertEqual(token.predict(features, verbose=0).shape, (4, 8, 3))
        preprocessor = savedmodels.string_preprocessor(self.temp_dir(), vocab_size=VOCAB)
        text = build_text_classifier(path, 2, preprocessor=preprocessor,
                                     output_key="pooled_output")
        self.assertEqual(text.predict(tf.constant(["a b", "c"]), verbose=0).shape, (2, 2))
        np.testing.assert_array_equal(
            text.get_layer("backbone").weights[0].numpy(),
            model.word_embeddings.numpy())

    def test_embedding_variable_by_name_and_errors(self):
        model = MaskedLanguageModel(self.encoder, embedding_variable="word_embeddings__embeddings")
        self.assertEqual(model.get_config()["embedding_variable"], "word_embeddings__embeddings")
        with self.assertRaisesRegex(ValueError, "Found 0 variables matching `embedding_variable="
                                    "'nope'`.*type_embeddings__embeddings"):
            MaskedLanguageModel(self.encoder, embedding_variable="nope")
        with self.assertRaisesRegex(ValueError, "needs a text backbone"):
            MaskedLanguageModel("efficientnet_lite0")
        model = MaskedLanguageModel(self.encoder)
        with self.assertRaisesRegex(ValueError, "lack \\['masked_positions'\\]"):
            model(corpus(rows=1))


@pytest.mark.large
class MaskedLanguageModelLargeTest(TestCase):
    def test_minilm_l6_ties_and_round_trips(self):
        try:
            encoder_path = conversion.backbone_path("minilm_l6", "encoder")
            preprocessor_path = conversion.backbone_path("minilm_l6", "preprocessor")
        except Exception as error:  # noqa: BLE001 (the provider needs its wheel and deps)
            require(False, f"minilm_l6 is not available: {error}")
        model = MaskedLanguageModel("minilm_l6")
        self.assertEqual(model.word_embeddings.name, "token_embedding__embeddings")
        self.assertEqual(tuple(model.word_embeddings.shape), (30522, 384))
        # [MASK] and the specials from the preprocessor's vocabulary.
        self.assertEqual(_vocabulary_ids(preprocessor_path), (103, (0, 101, 102, 103)))
        # Saving back without training gives the converted encoder exactly.
        path = model.save_encoder(os.path.join(self.temp_dir(), "encoder"))
        import tensorflow_text  # noqa: F401 (registers the preprocessor's ops)

        features = tf.saved_model.load(preprocessor_path)(tf.constant(["a witty film"]))
        original = tf.saved_model.load(encoder_path)(features)
        saved = tf.saved_model.load(path)(features)
        self.assertEqual(sorted(saved), ["default", "pooled_output", "sequence_output"])
        for key in saved:
            np.testing.assert_array_equal(saved[key].numpy(), original[key].numpy())
