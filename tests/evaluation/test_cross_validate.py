import json

import keras
import numpy as np
import tensorflow as tf
from scipy import stats

from keras_transfer.evaluation.cross_validate import SUMMARY_METRICS
from keras_transfer.evaluation.cross_validate import cross_validate
from keras_transfer.evaluation.cross_validate import fold_summary
from keras_transfer.evaluation.cross_validate import t_quantile
from keras_transfer.testing import TestCase

NUM_CLASSES = 3


def blobs(n=45, seed=0):
    """Three overlapping Gaussian blobs in 4-D, classes interleaved."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % NUM_CLASSES
    x = rng.normal(size=(n, 4)) + 2.0 * np.eye(NUM_CLASSES, 4)[y]
    return x.astype("float32"), y


def build():
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(8, activation="relu", name="backbone")(inputs)
    return keras.Model(inputs, keras.layers.Dense(NUM_CLASSES, activation="softmax",
                                                  name="head")(hidden))


def fit(model, train_data):
    model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy")
    model.fit(train_data, epochs=15, verbose=0)


class IdLookup(keras.layers.Layer):
    """Input: an example's id. Output: the softmax of the row `fit` stored for it."""

    def __init__(self, size, **kwargs):
        super().__init__(**kwargs)
        self.table = self.add_weight(shape=(size, NUM_CLASSES), initializer="zeros",
                                     trainable=False)

    def call(self, ids):
        logits = tf.gather(self.table, tf.cast(ids[:, 0], "int32"))
        return tf.nn.softmax(logits)


class CrossValidateTest(TestCase):
    def test_no_example_leaks_from_train_to_test(self):
        # x holds each example's id. The model memorises the labels of the ids
        # it trained on and predicts class 1 for any other id, so a test
        # example that leaked into training would be predicted right.
        n = 30
        x = np.arange(n, dtype="float32")[:, None]
        y = np.arange(n) % NUM_CLASSES
        seen_by_fold = []

        def build_lookup():
            inputs = keras.Input((1,))
            return keras.Model(inputs, IdLookup(n)(inputs))

        def memorise(model, train_data):
            table = np.zeros((n, NUM_CLASSES), "float32")
            table[:, 1] = 20.0  # unseen ids: predicted class 1
            seen = []
            for ids, labels in train_data:
                for i, label in zip(ids.numpy()[:, 0].astype(int), labels.numpy()):
                    table[i] = 0.0
                    table[i, label] = 20.0
                    seen.append(i)
            model.layers[-1].table.assign(table)
            seen_by_fold.append(sorted(seen))

        result = cross_validate(build_lookup, x, y, folds=5, fit_fn=memorise)
        tested = [row["test_indices"] for row in result["folds"]]
        self.assertEqual(sorted(sum(tested, [])), list(range(n)))  # every index once
        for seen, test in zip(seen_by_fold, tested):
            self.assertEmpty(set(seen) & set(test))
            self.assertEqual(sorted(seen + test), list(range(n)))
        # Unseen ids all get class 1: exactly the class-1 examples are right,
        # 2 of 6 per fold. A leaked test example would be memorised, so right.
        for row in result["folds"]:
            self.assertAllClose(row["accuracy"], 1 / 3)
        self.assertEqual(result["confusion_matrix"], [[0, 10, 0], [0, 10, 0], [0, 10, 0]])

    def test_end_to_end_tiny_dense_model(self):
        x, y = blobs()
        result = cross_validate(build, x, y, folds=3, fit_fn=fit, seed=0,
                                class_names=["a", "b", "c"])
        self.assertEqual(json.loads(json.dumps(result)), result)
        self.assertEqual(result["num_folds"], 3)
        self.assertEqual(result["class_names"], ["a", "b", "c"])
        self.assertEqual([(r["train_size"], r["test_size"]) for r in result["folds"]],
                         [(30, 15)] * 3)
        self.assertEqual(np.sum(result["confusion_matrix"]), 45)
        self.assertEqual(np.asarray(result["confusion_matrix"]).sum(axis=1).tolist(),
                         [15, 15, 15])
        accuracies = [row["accuracy"] for row in result["folds"]]
        self.assertGreater(min(accuracies), 0.6)  # chance is 1/3: it learned
        for key in SUMMARY_METRICS:
            values = [row[key] for row in result["folds"]]
            summary = result["summary"][key]
            self.assertAllClose(summary["mean"], np.mean(values))
            self.assertAllClose(summary["std"], np.std(values, ddof=1))
            half = stats.t.ppf(0.975, 2) * np.std(values, ddof=1) / np.sqrt(3)
            self.assertAllClose([summary["ci95_low"], summary["ci95_high"]],
                                [np.mean(values) - half, np.mean(values) + half])
        self.assertGreater(result["summary"]["accuracy"]["std"], 0.0)
        # Same seed, same folds and same scores; another seed, other folds.
        again = cross_validate(build, x, y, folds=3, fit_fn=fit, seed=0,
                               class_names=["a", "b", "c"])
        self.assertEqual(again["folds"], result["folds"])
        other = cross_validate(build, x, y, folds=3, fit_fn=fit, seed=1)
        self.assertNotEqual([r["test_indices"] for r in other["folds"]],
                            [r["test_indices"] for r in result["folds"]])

    def test_default_fit_is_fine_tune(self):
        x, y = blobs(30)
        result = cross_validate(build, x, y, folds=2)
        # fine_tune's plan: 5 examples per class -> linear probe on the
        # "backbone" layer's features.
        self.assertGreater(result["summary"]["accuracy"]["mean"], 0.6)

    def test_lists_of_strings_and_custom_data_fn(self):
        texts = [f"file_{i}.wav" for i in range(12)]
        y = np.arange(12) % 2
        calls = []

        def data_fn(paths, labels, training):
            calls.append((training, list(paths)))
            self.assertIsInstance(paths, list)
            features = np.array([[float(p[5:-4]) % 2] for p in paths], "float32")
            return features, labels

        def build_parity():
            inputs = keras.Input((1,))
            return keras.Model(inputs, keras.layers.Concatenate()([1 - inputs, inputs]))

        result = cross_validate(build_parity, texts, y, folds=3, fit_fn=lambda m, d: None,
                                data_fn=data_fn)
        self.assertEqual(result["summary"]["accuracy"]["mean"], 1.0)
        self.assertEqual(result["summary"]["accuracy"]["std"], 0.0)
        self.assertEqual([t for t, _ in calls], [True, False] * 3)
        held_out = sorted(sum((paths for training, paths in calls if not training), []))
        self.assertEqual(held_out, sorted(texts))

    def test_confidence_interval_by_hand(self):
        # Scores 0.8, 0.9, 0.7, 0.85, 0.75: mean 0.8; squared deviations sum
        # to 0.025, so std = sqrt(0.025 / 4) = 0.0790569; t(0.975, 4) =
        # 2.7764451; half width 2.7764451 * 0.0790569 / sqrt(5) = 0.0981622.
        summary = fold_summary([0.8, 0.9, 0.7, 0.85, 0.75])
        self.assertAllClose(summary["mean"], 0.8, atol=1e-12)
        self.assertAllClose(summary["std"], 0.0790569, atol=1e-7)
        self.assertAllClose(summary["ci95_half_width"], 0.0981622, atol=1e-7)
        self.assertAllClose([summary["ci95_low"], summary["ci95_high"]],
                            [0.7018378, 0.8981622], atol=1e-7)

    def test_t_quantile(self):
        # Printed tables: t(0.975, df).
        for df, expected in [(1, 12.7062), (2, 4.3027), (4, 2.7764), (9, 2.2622),
                             (29, 2.0452)]:
            self.assertAllClose(t_quantile(0.975, df), expected, atol=1e-4)
        for df in range(1, 40):
            for probability in (0.9, 0.975, 0.995):
                self.assertAllClose(t_quantile(probability, df),
                                    stats.t.ppf(probability, df), rtol=1e-9)

    def test_errors(self):
        x, y = blobs(12)
        with self.assertRaisesRegex(ValueError, "same number of examples. Received: 12 "
                                                "inputs and 11 labels"):
            cross_validate(build, x, y[:11], fit_fn=fit)
        with self.assertRaisesRegex(ValueError, r"smallest class \(4 examples"):
            cross_validate(build, x, y, folds=5, fit_fn=fit)
        with self.assertRaisesRegex(ValueError, "`fit_fn` must be callable"):
            cross_validate(build, x, y, folds=2, fit_fn="adam")
        with self.assertRaisesRegex(ValueError, "must keep every held-out example"):
            cross_validate(build, x, y, folds=2, fit_fn=lambda m, d: None,
                           data_fn=lambda a, b, training: (a[:-1], b[:-1]))
