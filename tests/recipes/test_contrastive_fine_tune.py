import os
import shutil
import tempfile

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.export.export_for_serving import export_for_serving
from keras_transfer.layers.hub_backbone import HubBackbone
from keras_transfer.recipes.contrastive_fine_tune import contrastive_fine_tune
from tests import savedmodels
from keras_transfer.testing import TestCase

TEXTS = ["good fine", "great good", "fine great", "good film", "bad awful", "poor bad",
         "awful film", "bad poor awful"]
LABELS = np.array([1, 1, 1, 1, 0, 0, 0, 0])


def cosine_gap(embed):
    """Mean cosine of same-class pairs minus that of different-class pairs."""
    x = keras.ops.convert_to_numpy(embed(tf.constant(TEXTS)))
    x = x / np.linalg.norm(x, axis=-1, keepdims=True)
    cos = x @ x.T
    same = LABELS[:, None] == LABELS[None, :]
    off_diagonal = ~np.eye(len(TEXTS), dtype=bool)
    return cos[same & off_diagonal].mean() - cos[~same].mean()


class ContrastiveFineTuneTest(TestCase):
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

    def tune(self, **kwargs):
        kwargs = {"num_iterations": 5, "learning_rate": 1e-2, **kwargs}
        return contrastive_fine_tune(self.encoder, TEXTS, LABELS, preprocessor=self.preprocessor,
                                     output_key="default", **kwargs)

    def test_encoder_learns_to_separate_classes_and_head_fits(self):
        pre = HubBackbone(self.preprocessor)
        original = HubBackbone(self.encoder, output_key="default")
        gap_before = cosine_gap(lambda t: original(pre(t)))
        model = self.tune()
        self.assertEqual(model.name, "setfit_classifier")
        self.assertEqual([layer.name for layer in model.layers],
                         ["text", "preprocessor", "trim_padding", "backbone", "normalize",
                          "head"])
        tuned = model.get_layer("backbone")
        gap_after = cosine_gap(lambda t: tuned(pre(t)))
        # The pretrained encoder barely separates the classes; the tuned one does.
        self.assertLess(gap_before, 0.2)
        self.assertGreater(gap_after, gap_before + 0.3)
        self.assertNotAllClose(original.weights[0].numpy(),
                               tuned.weights[0].numpy())
        probabilities = model.predict(tf.constant(TEXTS), verbose=0)
        self.assertEqual(probabilities.shape, (8, 2))
        self.assertAllEqual(probabilities.argmax(-1), LABELS)
        self.assertEqual(model.loss.__class__.__name__, "SparseCategoricalCrossentropy")

    def test_same_seed_same_model(self):
        # Both stages run (pairs, then a seeded head); 5 head epochs instead of
        # the default 100 keep the two runs cheap.
        a = self.tune(num_pairs=16, head_epochs=5).predict(tf.constant(TEXTS), verbose=0)
        b = self.tune(num_pairs=16, head_epochs=5).predict(tf.constant(TEXTS), verbose=0)
        self.assertAllClose(a, b, atol=1e-5)

    def test_logistic_regression_head_matches_sklearn(self):
        from sklearn.linear_model import LogisticRegression

        model = self.tune(head="logistic_regression", num_classes=3)
        features = keras.Model(model.input, model.get_layer("normalize").output)
        x = features.predict(tf.constant(TEXTS), verbose=0)
        expected = LogisticRegression(max_iter=1000, random_state=0).fit(x, LABELS)
        probabilities = model.predict(tf.constant(TEXTS), verbose=0)
        self.assertEqual(probabilities.shape, (8, 3))
        self.assertAllClose(probabilities[:, :2], expected.predict_proba(x), atol=1e-4)
        self.assertAllClose(probabilities[:, 2], np.zeros(8), atol=1e-6)  # class never seen

    def test_export_for_serving_round_trip(self):
        model = self.tune(num_pairs=8, head_epochs=5)
        base = os.path.join(self.get_temp_dir(), "setfit")
        export_for_serving(model, base, class_names=["rotten", "fresh"], warmup=False)
        serve = tf.saved_model.load(os.path.join(base, "1")).signatures["serving_default"]
        served = serve(text=tf.constant(TEXTS[:3]))
        self.assertAllClose(served["probabilities"],
                            model.predict(tf.constant(TEXTS[:3]), verbose=0), atol=1e-5)

    def test_bad_arguments(self):
        for kwargs, message in [
            (dict(head="svm"), "head='svm'"),
            (dict(epochs=0), "epochs=0"),
            (dict(learning_rate=0), "learning_rate=0"),
            (dict(num_classes=1), "num_classes=1"),
        ]:
            with self.assertRaisesRegex(ValueError, message):
                self.tune(**kwargs)
        with self.assertRaisesRegex(ValueError, r"class ids in \[0, 2\)"):
            contrastive_fine_tune(self.encoder, TEXTS, LABELS + 1, num_classes=2,
                                  preprocessor=self.preprocessor)
        with self.assertRaisesRegex(ValueError, "integer class ids"):
            contrastive_fine_tune(self.encoder, TEXTS, LABELS * 0.5,
                                  preprocessor=self.preprocessor)


@pytest.mark.large
def test_setfit_on_minilm_learns_rotten_tomatoes_from_8_per_class():
    import keras_transfer

    train = keras_transfer.data.load_dataset("rotten_tomatoes", split="train", seed=0)
    test = keras_transfer.data.load_dataset("rotten_tomatoes", split="test",
                                            num_examples=300, seed=0)
    index = np.concatenate([np.flatnonzero(train.y == c)[:8] for c in (0, 1)])
    model = contrastive_fine_tune("minilm_l6", train.x[index], train.y[index],
                                  num_iterations=5)
    accuracy = (model.predict(tf.constant(test.x), verbose=0).argmax(-1) == test.y).mean()
    assert accuracy > 0.6, accuracy
