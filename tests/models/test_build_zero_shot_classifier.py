import os
import shutil
import tempfile

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.export.export_for_serving import export_for_serving
from keras_transfer.layers.hub_backbone import HubBackbone
from keras_transfer.models.build_text_classifier import build_text_classifier
from keras_transfer.models.build_zero_shot_classifier import build_zero_shot_classifier
from keras_transfer.models.init_head_from_class_descriptions import (
    init_head_from_class_descriptions,
)
from tests import savedmodels
from keras_transfer.testing import TestCase

CLASSES = ["good great fine", "bad awful poor", "the plot"]
TEXTS = ["great fine good", "poor awful bad", "plot the", "good bad the", "fine plot"]


class BuildZeroShotClassifierTest(TestCase):
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

    def build(self, classes=CLASSES, **kwargs):
        return build_zero_shot_classifier(self.encoder, classes, preprocessor=self.preprocessor,
                                          output_key="default", **kwargs)

    def embed(self, texts):
        encoder = HubBackbone(self.encoder, output_key="default")
        x = keras.ops.convert_to_numpy(encoder(HubBackbone(self.preprocessor)(tf.constant(texts))))
        return x / np.linalg.norm(x, axis=-1, keepdims=True)

    def test_probabilities_are_softmax_of_cosine_over_temperature(self):
        model = self.build(template="{}", temperature=0.1)
        self.assertEqual(model.name, "zero_shot_classifier")
        self.assertEqual([layer.name for layer in model.layers],
                         ["text", "preprocessor", "trim_padding", "backbone", "normalize",
                          "head"])
        classes = self.embed(CLASSES)
        kernel, bias = model.get_layer("head").dense.get_weights()
        self.assertAllClose(kernel, classes.T / 0.1, atol=1e-5)
        self.assertAllEqual(bias, np.zeros(3))
        got = model.predict(tf.constant(TEXTS), verbose=0)
        logits = self.embed(TEXTS) @ classes.T / 0.1
        expected = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        self.assertAllClose(got, expected, atol=1e-5)
        # The same words as a description (mean embedding): cosine 1, that class.
        self.assertAllEqual(got[:3].argmax(-1), [0, 1, 2])
        self.assertAllClose(logits[[0, 1, 2], [0, 1, 2]], [10.0, 10.0, 10.0], atol=1e-4)

    def test_template_changes_the_class_embeddings(self):
        plain = self.build(template="{}").get_layer("head").dense.get_weights()[0]
        framed = self.build(template="the plot is {}").get_layer("head").dense.get_weights()[0]
        self.assertAllClose(framed, self.embed([f"the plot is {c}" for c in CLASSES]).T / 0.05,
                            atol=1e-4)
        self.assertNotAllClose(plain, framed)

    def test_head_trains_from_the_zero_shot_start(self):
        model = self.build(template="{}", learning_rate=0.01)
        self.assertFalse(model.get_layer("backbone").trainable)
        self.assertLen(model.trainable_weights, 2)  # the head only
        before = model.get_layer("head").dense.get_weights()[0]
        x, y = tf.constant(TEXTS), np.array([0, 1, 2, 1, 0])
        start = model.evaluate(x, y, verbose=0)[0]
        model.fit(x, y, epochs=40, batch_size=5, verbose=0)
        self.assertLess(model.evaluate(x, y, verbose=0)[0], 0.7 * start)
        self.assertNotAllClose(before, model.get_layer("head").dense.get_weights()[0])

    def test_text_classifier_head_initialised_from_descriptions(self):
        zero_shot = self.build(template="{}")
        model = build_text_classifier(self.encoder, num_classes=3,
                                      preprocessor=self.preprocessor, output_key="default")
        embeddings = init_head_from_class_descriptions(model, CLASSES, template="{}")
        self.assertAllClose(embeddings, self.embed(CLASSES), atol=1e-5)
        self.assertAllClose(np.linalg.norm(embeddings, axis=-1), np.ones(3), atol=1e-5)
        # Unnormalized features: same predicted classes as the cosine head.
        self.assertAllEqual(model.predict(tf.constant(TEXTS), verbose=0).argmax(-1),
                            zero_shot.predict(tf.constant(TEXTS), verbose=0).argmax(-1))

    def test_export_for_serving_round_trip(self):
        model = self.build(template="{}")
        base = os.path.join(self.get_temp_dir(), "zero_shot")
        export_for_serving(model, base, class_names=["good", "bad", "plot"], warmup=False)
        serve = tf.saved_model.load(os.path.join(base, "1")).signatures["serving_default"]
        served = serve(text=tf.constant(TEXTS))
        expected = model.predict(tf.constant(TEXTS), verbose=0)
        self.assertAllClose(served["probabilities"], expected, atol=1e-5)
        self.assertAllEqual([n.decode() for n in served["class_name"].numpy()[:3]],
                            ["good", "bad", "plot"])

    def test_bad_arguments(self):
        for kwargs, message in [
            (dict(classes=["only one"]), "len\\(class_descriptions\\)"),
            (dict(classes="good bad"), "list of strings"),
            (dict(classes=["good", ""]), "non-empty string"),
            (dict(template="no slot"), "exactly one `{}`.*template='no slot'"),
            (dict(temperature=0.0), "temperature=0.0"),
        ]:
            with self.assertRaisesRegex(ValueError, message):
                self.build(**kwargs)
        model = build_text_classifier(self.encoder, num_classes=2,
                                      preprocessor=self.preprocessor, output_key="default")
        with self.assertRaisesRegex(ValueError, "2 outputs but 3 class descriptions"):
            init_head_from_class_descriptions(model, CLASSES)
        with self.assertRaisesRegex(ValueError, "no layer named 'top'"):
            init_head_from_class_descriptions(model, CLASSES[:2], head="top")
        with self.assertRaisesRegex(ValueError, "image backbone"):
            build_zero_shot_classifier("efficientnet_lite0", CLASSES)
