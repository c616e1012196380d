import shutil
import tempfile

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.backbones import conversion
from keras_transfer.layers.hub_backbone import HubBackbone
from keras_transfer.models.build_token_classifier import build_token_classifier
from keras_transfer.testing import TestCase
from keras_transfer.testing import require
from tests import savedmodels


def bert_inputs(n=8, length=6, seed=0):
    ids = np.random.default_rng(seed).integers(2, 50, (n, length)).astype("int32")
    ids[:, 0] = 1  # [CLS]
    return {"input_word_ids": ids, "input_mask": np.ones_like(ids),
            "input_type_ids": np.zeros_like(ids)}


def tag_labels(inputs):
    """Tag = word id mod 3 on positions 1..4; -1 on [CLS] and the last position."""
    labels = inputs["input_word_ids"] % 3
    labels[:, 0] = -1
    labels[:, -1] = -1
    return labels


class BuildTokenClassifierTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = tempfile.mkdtemp()
        cls.encoder = savedmodels.bert_encoder(cls.root)
        cls.preprocessor = savedmodels.string_preprocessor(cls.root)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)
        super().tearDownClass()

    def test_dict_inputs_and_per_token_probabilities(self):
        model = build_token_classifier(self.encoder, 4, dropout=0.0)
        self.assertEqual(sorted(model.input), ["input_mask", "input_type_ids",
                                              "input_word_ids"])
        self.assertEqual([layer.name for layer in model.layers][-2:], ["backbone", "head"])
        inputs = bert_inputs(2)
        probabilities = keras.ops.convert_to_numpy(model(inputs))
        self.assertEqual(probabilities.shape, (2, 6, 4))
        self.assertEqual(probabilities.dtype, np.float32)
        sequence = HubBackbone(self.encoder, output_key="sequence_output")(inputs)
        head = model.get_layer("head")
        expected = keras.ops.softmax(sequence @ head.dense.kernel + head.dense.bias)
        self.assertAllClose(probabilities, expected, atol=1e-5)

    def test_ignored_positions_do_not_count(self):
        model = build_token_classifier(self.encoder, 3, dropout=0.0)
        inputs = bert_inputs(4)
        labels = tag_labels(inputs)
        probabilities = model.predict(inputs, verbose=0)
        keep = labels >= 0
        picked = probabilities[keep, labels[keep]]
        # Keras divides by the number of labelled positions.
        expected = -np.log(picked).mean()
        loss = model.evaluate(inputs, labels, verbose=0, return_dict=True)["loss"]
        self.assertAllClose(loss, expected, atol=1e-5)
        # Accuracy over labelled positions only, with sample_weight = labels >= 0.
        accuracy = model.evaluate(inputs, labels, sample_weight=keep.astype("float32"),
                                  verbose=0, return_dict=True)["accuracy"]
        expected_accuracy = (probabilities.argmax(-1)[keep] == labels[keep]).mean()
        self.assertAllClose(accuracy, expected_accuracy, atol=1e-6)

    def test_training_lowers_loss_and_frozen_encoder_stays(self):
        model = build_token_classifier(self.encoder, 3, trainable=False, dropout=0.0,
                                       learning_rate=0.05)
        encoder = model.get_layer("backbone")
        before = self.weights_snapshot(encoder.weights)
        inputs = bert_inputs(16)
        labels = tag_labels(inputs)
        history = model.fit(inputs, labels, sample_weight=(labels >= 0).astype("float32"),
                            epochs=10, batch_size=16, verbose=0)
        self.assertLess(history.history["loss"][-1], 0.8 * history.history["loss"][0])
        for old, new in zip(before, encoder.weights):
            self.assertTrue(np.array_equal(old, new.numpy()), new.path)

    def test_string_inputs_through_the_preprocessor(self):
        model = build_token_classifier(self.encoder, 2, string_inputs=True,
                                       preprocessor=self.preprocessor,
                                       precision="mixed_bfloat16", compile=False)
        self.assertEqual([layer.name for layer in model.layers],
                         ["text", "preprocessor", "backbone", "head"])
        out = model(tf.constant(["jim henson was a puppeteer", "hello"]))
        self.assertEqual(tuple(out.shape), (2, 8, 2))
        self.assertEqual(keras.backend.standardize_dtype(out.dtype), "float32")
        self.assertEqual(keras.config.dtype_policy().name, "float32")

    def test_serialization_round_trip(self):
        model = build_token_classifier(self.encoder, 3, compile=False)
        self.run_serialization_test(model, bert_inputs(2))

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, r"`num_tags` must be an integer >= 2.*"
                                                r"Received: num_tags=1"):
            build_token_classifier(self.encoder, 1)
        with self.assertRaisesRegex(ValueError, r"`preprocessor` is only used with "
                                                r"`string_inputs=True`"):
            build_token_classifier(self.encoder, 2, preprocessor=self.preprocessor)
        with self.assertRaisesRegex(ValueError, r"`string_inputs=True` needs a preprocessor"):
            build_token_classifier(self.encoder, 2, string_inputs=True)
        with self.assertRaisesRegex(ValueError, r"is an audio backbone"):
            build_token_classifier("speech_embedding", 2)


@pytest.mark.large
class BuildTokenClassifierLargeTest(TestCase):
    def test_minilm_l6_end_to_end(self):
        try:
            conversion.backbone_path("minilm_l6", "encoder")
            conversion.backbone_path("minilm_l6", "preprocessor")
        except Exception as error:  # noqa: BLE001 (the provider needs its wheel and deps)
            require(False, f"minilm_l6 is not available: {error}")
        model = build_token_classifier("minilm_l6", 3, string_inputs=True, trainable=False,
                                       learning_rate=0.01)
        text = tf.constant(["Jim Henson was a puppeteer", "Paris is in France"] * 2)
        out = model(text)
        length = out.shape[1]
        self.assertEqual(tuple(out.shape), (4, length, 3))
        labels = np.full((4, length), -1)
        labels[:, 1:4] = [[1, 2, 0], [1, 0, 0], [1, 2, 0], [1, 0, 0]]
        history = model.fit(text, labels, sample_weight=(labels >= 0).astype("float32"),
                            epochs=10, batch_size=4, verbose=0)
        self.assertLess(history.history["loss"][-1], history.history["loss"][0])
