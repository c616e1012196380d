import keras
import numpy as np

from keras_transfer.heads.classification_head import ClassificationHead
from keras_transfer.testing import TestCase


class ClassificationHeadTest(TestCase):
    def test_layer(self):
        """Shape, float32 probabilities, weights, round trips, and one SGD step moves them all."""
        x = np.random.default_rng(0).normal(size=(4, 6)).astype("float32")
        head = self.run_layer_test(
            ClassificationHead,
            {"num_classes": 3, "dropout": 0.2, "activation": "softmax", "seed": 4,
             "normalize": True},
            x, expected_output_shape=(4, 3), expected_output_dtype="float32",
            expected_num_trainable_weights=4, expected_num_non_trainable_weights=0,
            run_training_check=True)
        self.assertAllClose(keras.ops.convert_to_numpy(head(x)).sum(-1), np.ones(4), atol=1e-6)

    def test_softmax_probabilities_are_the_dense_layer_output(self):
        head = ClassificationHead(3, dropout=0.5, seed=1)
        x = np.random.default_rng(0).normal(size=(4, 6)).astype("float32")
        probabilities = keras.ops.convert_to_numpy(head(x, training=False))
        kernel, bias = head.dense.kernel.numpy(), head.dense.bias.numpy()
        logits = x @ kernel + bias
        expected = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        self.assertAllClose(probabilities, expected, atol=1e-6)
        self.assertAllClose(probabilities.sum(-1), np.ones(4), atol=1e-6)
        self.assertEqual([v.path.split("/", 1)[1] for v in head.weights],
                         ["dense/kernel", "dense/bias"])
        self.assertLen(head.trainable_weights, 2)

    def test_logits_and_dropout_only_in_training(self):
        head = ClassificationHead(2, dropout=0.5, activation=None, seed=3)
        x = np.ones((64, 10), "float32")
        inference = keras.ops.convert_to_numpy(head(x, training=False))
        expected = x @ head.dense.kernel.numpy() + head.dense.bias.numpy()
        self.assertAllClose(inference, expected, atol=1e-6)
        training = keras.ops.convert_to_numpy(head(x, training=True))
        # Different rows drop different features.
        self.assertGreater(np.abs(training - inference).max(), 1e-3)
        self.assertGreater(len({tuple(np.round(r, 5)) for r in training}), 1)

    def test_output_is_float32_under_mixed_precision(self):
        for policy in ("mixed_bfloat16", "mixed_float16"):
            head = ClassificationHead(4, dropout=0.1, dtype=policy)
            out = head(np.ones((2, 3), "float32"))
            self.assertEqual(keras.backend.standardize_dtype(out.dtype), "float32")
            self.assertEqual(head.compute_dtype, policy.split("_")[1])
            self.assertEqual(head.dense.compute_dtype, "float32")

        keras.config.set_dtype_policy("mixed_bfloat16")
        head = ClassificationHead(4)
        self.assertEqual(keras.backend.standardize_dtype(head(np.ones((2, 3))).dtype), "float32")

    def test_applies_per_token(self):
        head = ClassificationHead(5, dropout=0.1)
        out = head(np.ones((2, 7, 3), "float32"))
        self.assertEqual(tuple(out.shape), (2, 7, 5))
        self.assertEqual(head.compute_output_shape((None, 7, 3)), (None, 7, 5))

    def test_serialization_round_trip(self):
        inputs = keras.Input((6,))
        model = keras.Model(inputs, ClassificationHead(3, dropout=0.2, seed=4, name="head")(inputs))
        x = np.random.default_rng(1).normal(size=(2, 6)).astype("float32")
        reloaded = self.run_serialization_test(model, x, safe_mode=True)
        config = reloaded.get_layer("head").get_config()
        self.assertEqual((config["num_classes"], config["dropout"], config["activation"],
                          config["seed"]), (3, 0.2, "softmax", 4))

    def test_training_lowers_loss(self):
        rng = np.random.default_rng(0)
        x = rng.normal(size=(32, 4)).astype("float32")
        y = (x[:, 0] > 0).astype("int32")
        inputs = keras.Input((4,))
        model = keras.Model(inputs, ClassificationHead(2)(inputs))
        history = self.run_fit_smoke(model, x, y, epochs=5,
                                     optimizer=keras.optimizers.Adam(0.1))
        self.assertLess(history.history["loss"][-1], 0.6 * history.history["loss"][0])

    def test_errors_name_the_argument(self):
        with self.assertRaisesRegex(ValueError, r"`num_classes` must be an integer >= 1. "
                                                r"Received: num_classes=0"):
            ClassificationHead(0)
        with self.assertRaisesRegex(ValueError, r"Received: num_classes=2.5"):
            ClassificationHead(2.5)
        with self.assertRaisesRegex(ValueError, r"`dropout` must be a number in \[0, 1\). "
                                                r"Received: dropout=1.0"):
            ClassificationHead(2, dropout=1.0)
        with self.assertRaisesRegex(ValueError, r"Received: activation='softmaxx'"):
            ClassificationHead(2, activation="softmaxx")

    def test_normalize_makes_the_head_scale_invariant(self):
        head = ClassificationHead(4, normalize=True, name="head")
        x = np.random.default_rng(0).normal(size=(3, 96)).astype("float32")
        # Equal up to LayerNormalization's epsilon (1e-3 against a variance of ~1).
        self.assertAllClose(head(x), head(70.0 * x), atol=1e-3, rtol=0)
        plain = ClassificationHead(4)
        self.assertNotAllClose(plain(x), plain(70.0 * x), atol=1e-2)
        clone = ClassificationHead.from_config(head.get_config())
        self.assertTrue(clone.normalize)
        self.assertIs(clone.get_config()["normalize"], True)
