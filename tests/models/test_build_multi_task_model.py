import shutil
import tempfile

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.models.build_multi_task_model import build_multi_task_model
from keras_transfer.models.build_text_classifier import build_text_classifier
from keras_transfer.testing import TestCase
from tests import savedmodels

TEXTS = ["good fine great", "bad awful poor", "great good film", "poor bad film",
         "fine good", "awful bad", "good great fine", "bad poor awful"]
SENTIMENT = np.array([1, 0, 1, 0, 1, 0, 1, 0])
RATING = np.array([4.5, 1.0, 4.0, 1.5, 3.5, 1.0, 5.0, 0.5], "float32")
TASKS = {"sentiment": {"num_classes": 2, "dropout": 0.0},
         "rating": {"units": 1, "loss_weight": 0.5, "dropout": 0.0}}


class BuildMultiTaskModelTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = tempfile.mkdtemp()
        cls.addClassCleanup(shutil.rmtree, cls.root, ignore_errors=True)
        cls.encoder = savedmodels.mean_pooled_encoder(cls.root)
        cls.preprocessor = savedmodels.string_preprocessor(cls.root)

    def base(self):
        keras.utils.set_random_seed(0)
        return build_text_classifier(self.encoder, 2, preprocessor=self.preprocessor,
                                     output_key="default", compile=False)

    def test_shared_backbone_named_outputs(self):
        base = self.base()
        model = build_multi_task_model(base, TASKS)
        self.assertIs(model.get_layer("backbone"), base.get_layer("backbone"))
        self.assertNotIn("head", [layer.name for layer in model.layers])
        outputs = model(tf.constant(TEXTS[:3]))
        self.assertEqual(sorted(outputs), ["rating", "sentiment"])
        self.assertEqual(tuple(outputs["sentiment"].shape), (3, 2))
        self.assertEqual(tuple(outputs["rating"].shape), (3, 1))
        self.assertAllClose(keras.ops.sum(outputs["sentiment"], -1), np.ones(3), atol=1e-6)

    def test_fit_on_dict_targets_logs_per_head_metrics(self):
        model = build_multi_task_model(self.base(), TASKS, learning_rate=1e-2)
        history = model.fit(tf.constant(TEXTS), {"sentiment": SENTIMENT, "rating": RATING},
                            epochs=3, verbose=0)
        for key in ("loss", "sentiment_loss", "rating_loss", "sentiment_accuracy",
                    "rating_mae"):
            self.assertEqual(len(history.history[key]), 3, key)
        self.assertLess(history.history["rating_loss"][-1], history.history["rating_loss"][0])

    def test_total_loss_is_the_weighted_sum(self):
        x = tf.constant(TEXTS)
        y = {"sentiment": SENTIMENT, "rating": RATING}
        totals = {}
        for weight in (0.5, 2.0):
            tasks = dict(TASKS, rating=dict(TASKS["rating"], loss_weight=weight))
            model = build_multi_task_model(self.base(), tasks)
            result = model.evaluate(x, y, batch_size=8, return_dict=True, verbose=0)
            outputs = model(x)
            ce = -np.mean(np.log(keras.ops.convert_to_numpy(outputs["sentiment"])[
                np.arange(8), SENTIMENT]))
            mse = np.mean((keras.ops.convert_to_numpy(outputs["rating"])[:, 0] - RATING) ** 2)
            self.assertAllClose(result["sentiment_loss"], ce, rtol=1e-5)
            self.assertAllClose(result["rating_loss"], mse, rtol=1e-5)
            self.assertAllClose(result["loss"], ce + weight * mse, rtol=1e-5)
            totals[weight] = (result["loss"], mse)
        # Same base weights (same seed), so the totals differ by 1.5 x the MSE.
        self.assertAllClose(totals[2.0][0] - totals[0.5][0], 1.5 * totals[0.5][1], rtol=1e-4)

    def test_errors(self):
        base = self.base()
        with self.assertRaisesRegex(ValueError, "exactly one of `num_classes`"):
            build_multi_task_model(base, {"a": {"num_classes": 2, "units": 1}})
        with self.assertRaisesRegex(ValueError, r"keys from \['num_classes'"):
            build_multi_task_model(base, {"a": {"classes": 2}})
        with self.assertRaisesRegex(ValueError, "loss_weight"):
            build_multi_task_model(base, {"a": {"units": 1, "loss_weight": -1}})
        with self.assertRaisesRegex(ValueError, "non-empty dict"):
            build_multi_task_model(base, {})
        with self.assertRaisesRegex(ValueError, "must be identifiers"):
            build_multi_task_model(base, {"a b": {"units": 1}})
        plain = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="dense")])
        with self.assertRaisesRegex(ValueError, r"layer named 'head'.*\['dense'\]"):
            build_multi_task_model(plain, {"a": {"units": 1}})
