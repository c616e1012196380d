import json

import numpy as np
from sklearn import metrics

from keras_transfer.evaluation.evaluate_classifier import evaluate_classifier
from keras_transfer.testing import TestCase

NAMES = ["cat", "dog", "fox"]
# True classes and hand-picked probabilities: argmax gives
# cat -> cat, cat, dog, dog; dog -> dog, cat, fox; fox -> fox, dog, dog.
Y = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
P = [
    [0.90, 0.05, 0.05],
    [0.60, 0.30, 0.10],
    [0.30, 0.60, 0.10],
    [0.05, 0.90, 0.05],
    [0.20, 0.70, 0.10],
    [0.50, 0.40, 0.10],
    [0.10, 0.20, 0.70],
    [0.10, 0.10, 0.80],
    [0.10, 0.55, 0.35],
    [0.02, 0.96, 0.02],
]


def random_case(seed, num_examples, num_classes, drop_label=None, never_predicted=None):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_classes, num_examples)
    if drop_label is not None:
        labels[labels == drop_label] = 0
    logits = rng.normal(size=(num_examples, num_classes))
    logits[np.arange(num_examples), labels] += 1.5
    if never_predicted is not None:
        logits[:, never_predicted] -= 20.0
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    return labels, probabilities / probabilities.sum(axis=1, keepdims=True)


class EvaluateClassifierTest(TestCase):
    def assert_matches_sklearn(self, labels, probabilities):
        num_classes = probabilities.shape[1]
        result = evaluate_classifier(labels, probabilities)
        predicted = probabilities.argmax(axis=1)
        classes = list(range(num_classes))
        report = metrics.classification_report(labels, predicted, labels=classes,
                                               output_dict=True, zero_division=0)
        self.assertAllClose(result["accuracy"], metrics.accuracy_score(labels, predicted),
                            atol=1e-9, rtol=0)
        for i, row in enumerate(result["per_class"]):
            expected = report[str(i)]
            self.assertAllClose(
                [row["precision"], row["recall"], row["f1"]],
                [expected["precision"], expected["recall"], expected["f1-score"]],
                atol=1e-9, rtol=0)
            self.assertEqual(row["support"], expected["support"])
        for average in ("macro", "weighted"):
            expected = report[f"{average} avg"]
            self.assertAllClose(
                [result[f"{average}_precision"], result[f"{average}_recall"],
                 result[f"{average}_f1"]],
                [expected["precision"], expected["recall"], expected["f1-score"]],
                atol=1e-9, rtol=0)
        self.assertAllEqual(result["confusion_matrix"],
                            metrics.confusion_matrix(labels, predicted, labels=classes))
        self.assertAllClose(result["log_loss"],
                            metrics.log_loss(labels, y_proba=probabilities, labels=classes),
                            atol=1e-9, rtol=0)
        return result

    def test_matches_sklearn_on_random_data(self):
        labels, probabilities = random_case(0, 500, 7)
        result = self.assert_matches_sklearn(labels, probabilities)
        self.assertEqual(result["num_examples"], 500)
        self.assertEqual(result["class_names"], [str(i) for i in range(7)])
        self.assertBetween(result["accuracy"], 0.3, 0.9)

    def test_matches_sklearn_with_absent_and_never_predicted_classes(self):
        # Class 5 has no example (recall undefined), class 4 is never
        # predicted (precision undefined): both count as 0 in the averages.
        labels, probabilities = random_case(1, 300, 6, drop_label=5, never_predicted=4)
        result = self.assert_matches_sklearn(labels, probabilities)
        self.assertEqual(result["per_class"][5]["support"], 0)
        self.assertEqual(result["per_class"][4]["precision"], 0.0)
        self.assertEqual(result["per_class"][5]["f1"], 0.0)

    def test_hand_made_confusions(self):
        result = evaluate_classifier(Y, P, class_names=NAMES, top_k_worst=3)
        self.assertEqual(result["confusion_matrix"], [[2, 2, 0], [1, 1, 1], [0, 2, 1]])
        self.assertAllClose(result["accuracy"], 0.4)
        self.assertAllClose([row["precision"] for row in result["per_class"]],
                            [2 / 3, 1 / 5, 1 / 2])
        self.assertAllClose([row["recall"] for row in result["per_class"]],
                            [1 / 2, 1 / 3, 1 / 3])
        # Ties (count 2, then count 1) are ordered by (true, predicted) index.
        self.assertEqual(
            [(p["true"], p["predicted"], p["count"]) for p in result["most_confused"]],
            [("cat", "dog", 2), ("fox", "dog", 2), ("dog", "cat", 1), ("dog", "fox", 1)])
        self.assertEqual(result["most_confused"][0]["true_index"], 0)
        self.assertEqual(result["most_confused"][0]["predicted_index"], 1)
        self.assertAllClose(result["most_confused"][2]["fraction_of_true"], 1 / 3)
        # Lowest probability of the true class: 0.02 (#9), 0.05 (#3), 0.10 (#6).
        worst = result["worst_predictions"]
        self.assertEqual([w["index"] for w in worst], [9, 3, 6])
        self.assertEqual(worst[0], {
            "index": 9, "true": "fox", "predicted": "dog", "true_index": 2,
            "predicted_index": 1, "confidence": 0.96, "true_probability": 0.02,
            "loss": -np.log(0.02), "correct": False})
        self.assertAllClose(result["log_loss"],
                            metrics.log_loss(Y, y_proba=P, labels=[0, 1, 2]), atol=1e-12)

    def test_result_is_json_serializable(self):
        result = evaluate_classifier(np.array(Y, dtype="int32"), np.array(P, dtype="float32"),
                                     class_names=np.array(NAMES), examples=[str(i) for i in Y])
        self.assertEqual(json.loads(json.dumps(result)), result)
        self.assertIsInstance(result["accuracy"], float)
        self.assertIsInstance(result["confusion_matrix"][0][0], int)

    def test_expected_calibration_error(self):
        # 15 bins of width 1/15 (Guo et al. 2017). Confidences (predicted
        # class 0) and whether they are right:
        #   (14/15, 1]:     0.97 right, 0.98 wrong  -> acc 1/2, conf 0.975
        #   (10/15, 11/15]: 0.70, 0.72 right, 0.71 wrong -> acc 2/3, conf 0.71
        #   (8/15, 9/15]:   0.55 wrong              -> acc 0, conf 0.55
        # ECE = 2/6 * 0.475 + 3/6 * |2/3 - 0.71| + 1/6 * 0.55 = 0.2716667.
        confidence = [0.97, 0.98, 0.70, 0.72, 0.71, 0.55]
        right = [True, False, True, True, False, False]
        probabilities = [[c, 1 - c] for c in confidence]
        labels = [0 if r else 1 for r in right]
        result = evaluate_classifier(labels, probabilities)
        self.assertAllClose(result["expected_calibration_error"],
                            2 / 6 * 0.475 + 3 / 6 * (0.71 - 2 / 3) + 1 / 6 * 0.55, atol=1e-12)
        self.assertAllClose(result["expected_calibration_error"], 0.2716667, atol=1e-7)
        self.assertLen(result["calibration_bins"], 15)
        filled = [(b["lower"], b["upper"], b["count"], b["accuracy"], b["confidence"])
                  for b in result["calibration_bins"] if b["count"]]
        self.assertAllClose(filled, [(8 / 15, 9 / 15, 1, 0.0, 0.55),
                                     (10 / 15, 11 / 15, 3, 2 / 3, 0.71),
                                     (14 / 15, 1.0, 2, 0.5, 0.975)])
        # The same data in 10 bins: 0.70 moves to (0.6, 0.7], alone and right.
        ten = evaluate_classifier(labels, probabilities, num_bins=10)
        self.assertLen(ten["calibration_bins"], 10)
        self.assertAllClose(ten["expected_calibration_error"],
                            2 / 6 * 0.475 + 1 / 6 * 0.30 + 2 / 6 * 0.215 + 1 / 6 * 0.55,
                            atol=1e-12)
        # Another example, from before the default became 15 bins, in 10 bins:
        # (1/4)|1 - 0.95| + (1/4)|0 - 0.85| + (2/4)|1 - 0.575| = 0.4375.
        old = evaluate_classifier([0, 1, 0, 0], [[0.95, 0.05], [0.85, 0.15], [0.6, 0.4],
                                                 [0.55, 0.45]], num_bins=10)
        self.assertAllClose(old["expected_calibration_error"], 0.4375, atol=1e-12)

    def test_expected_calibration_error_is_zero_when_calibrated(self):
        # Each bin's accuracy equals its mean confidence: 4 examples at 0.75
        # with 3 right; 5 at 0.6 with 3 right; 2 at 1.0, both right.
        confidence = [0.75] * 4 + [0.6] * 5 + [1.0] * 2
        right = [1, 1, 1, 0] + [1, 1, 1, 0, 0] + [1, 1]
        probabilities = [[c, 1 - c] for c in confidence]
        result = evaluate_classifier([1 - r for r in right], probabilities)
        self.assertAllClose(result["expected_calibration_error"], 0.0, atol=1e-12)
        self.assertEqual(sum(b["count"] for b in result["calibration_bins"]), 11)
        perfect = evaluate_classifier([0, 1], [[1.0, 0.0], [0.0, 1.0]])
        self.assertEqual(perfect["expected_calibration_error"], 0.0)
        self.assertEqual(perfect["most_confused"], [])
        with self.assertRaisesRegex(ValueError, "`num_bins` must be an integer >= 1. "
                                                "Received: num_bins=0"):
            evaluate_classifier([0, 1], [[1.0, 0.0], [0.0, 1.0]], num_bins=0)

    def test_binary_one_column_and_one_hot_labels(self):
        positive = np.array([0.9, 0.2, 0.4, 0.7])
        two_columns = np.stack([1 - positive, positive], axis=1)
        expected = evaluate_classifier([1, 0, 1, 0], two_columns)
        self.assertEqual(evaluate_classifier([1, 0, 1, 0], positive), expected)
        self.assertEqual(evaluate_classifier([[1], [0], [1], [0]], positive[:, None]), expected)
        self.assertEqual(evaluate_classifier(np.eye(2)[[1, 0, 1, 0]], two_columns), expected)
        self.assertEqual(expected["confusion_matrix"], [[1, 1], [1, 1]])

    def test_examples_text_and_arrays(self):
        texts = [f"text {i}".encode() if i % 2 else f"text {i}" for i in range(10)]
        worst = evaluate_classifier(Y, P, examples=texts, top_k_worst=2)["worst_predictions"]
        self.assertEqual([(w["example_type"], w["example"]) for w in worst],
                         [("text", "text 9"), ("text", "text 3")])
        images = np.arange(10 * 4, dtype="float32").reshape(10, 2, 2)
        worst = evaluate_classifier(Y, P, examples=images, top_k_worst=1)["worst_predictions"]
        self.assertEqual(worst[0]["example_type"], "array")
        self.assertEqual(worst[0]["example"],
                         "array shape (2, 2) float32, min 36, max 39, mean 37.5")
        inputs = {"a": images, "b": np.array(texts, dtype=object)}
        worst = evaluate_classifier(Y, P, examples=inputs, top_k_worst=1)["worst_predictions"]
        self.assertEqual(worst[0]["example"],
                         "a: array shape (2, 2) float32, min 36, max 39, mean 37.5; b: text 9")
        self.assertEqual(evaluate_classifier(Y, P, top_k_worst=0)["worst_predictions"], [])

    def test_errors(self):
        cases = [
            (dict(probabilities=[[2.0, -1.0, 0.0]] * 10),
             "must be non-negative (they look like logits"),
            (dict(probabilities=[[0.2, 0.2, 0.2]] * 10), "row 0 sums to 0.6"),
            (dict(probabilities=[[np.nan, 0.5, 0.5]] + P[1:]), "must be finite"),
            (dict(probabilities=[1.5, 0.2]), "must lie in [0, 1]"),
            (dict(probabilities=np.full((10, 1, 3), 1 / 3)), "Received: shape=(10, 1, 3)"),
            (dict(probabilities=[["a", "b"]]), "must be numeric"),
            (dict(y_true=Y[:-1] + [3]), "labels must be in [0, 3)"),
            (dict(y_true=Y[:-1] + [-1]), "Received: label -1 at index 9"),
            (dict(y_true=Y[:-1]), "`y_true` must have shape (10,)"),
            (dict(y_true=[0.5] * 10), "must hold integer class indices"),
            (dict(y_true=np.eye(4)[Y]), "must have 3 columns"),
            (dict(class_names=["cat", "dog"]), "one name per class (3). Received 2"),
            (dict(class_names="cat"), "Received: class_names='cat'"),
            (dict(examples=["x"] * 9), "one input per label (10). Received: 9 examples"),
            (dict(top_k_worst=-1), "Received: top_k_worst=-1"),
        ]
        for overrides, message in cases:
            kwargs = dict(y_true=Y, probabilities=P)
            kwargs.update(overrides)
            with self.subTest(message=message):
                with self.assertRaises(ValueError) as context:
                    evaluate_classifier(**kwargs)
                self.assertIn(message, str(context.exception))
