"""`evaluate_classifier`: error analysis of a classifier's predicted probabilities."""

import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.argument_validation import check_int

# Rows of `probabilities` must sum to 1 within this (float32 softmax outputs
# are off by ~1e-7; logits are off by far more).
_SUM_TOLERANCE = 1e-3


@keras_transfer_export(["keras_transfer.evaluate_classifier",
                        "keras_transfer.evaluation.evaluate_classifier"])
def evaluate_classifier(y_true, probabilities, class_names=None, examples=None, top_k_worst=8,
                        num_bins=15):
    """Computes a classifier's metrics and error analysis from its probabilities.

    Everything is computed with NumPy and returned as a plain, JSON-serializable
    dict: overall accuracy; per-class precision, recall, F1 and support and
    their macro and support-weighted averages (the numbers of scikit-learn's
    `classification_report` over all `num_classes` classes, with 0 where a
    ratio is undefined); the confusion matrix; the most confused
    (true, predicted) pairs; the worst-predicted examples; the log loss and
    the expected calibration error.

    The worst-predicted examples are the `top_k_worst` examples with the
    highest loss, i.e. the lowest probability given to their true class
    (fastai's "top losses"); they are usually, but not always, errors.

    The expected calibration error is Guo et al.'s (2017, "On Calibration of
    Modern Neural Networks"): with `confidence` the highest probability of an
    example, the examples are put in `num_bins` equal-width bins
    `((b - 1) / num_bins, b / num_bins]` (15 by default, as in the paper)
    and `ECE = sum_b (n_b / n) * |accuracy_b - mean confidence_b|`, where
    `accuracy_b` is the fraction of bin `b` predicted right. It is 0 when, in
    every bin, the accuracy equals the mean confidence.
    `keras_transfer.build_reliability_diagram_figure` draws the bins.

    Args:
        y_true: array-like of int. True class indices, shape `(n,)` (or
            `(n, 1)`), or one-hot labels of shape `(n, num_classes)`.
        probabilities: array-like of float. Predicted probabilities, shape
            `(n, num_classes)`, each row summing to 1 (apply a softmax to
            logits first, or use `keras_transfer.predict_and_evaluate`). For a
            binary classifier, the probability of class 1 with shape `(n,)` or
            `(n, 1)` is also accepted.
        class_names: list of str. One name per class. Defaults to `None`
            (`"0"`, `"1"`, ...).
        examples: list or array. The `n` inputs, in the order of `y_true`.
            Texts (str or bytes) are kept as they are for the worst-predicted
            examples; arrays are described by shape, dtype and value range.
            Defaults to `None` (no example in the result).
        top_k_worst: int. How many worst-predicted examples to return.
            Defaults to 8.
        num_bins: int. Equal-width confidence bins of the expected
            calibration error. Defaults to 15.

    Returns:
        A dict with keys `num_examples`, `num_classes`, `class_names`,
        `accuracy`, `macro_precision`, `macro_recall`, `macro_f1`,
        `weighted_precision`, `weighted_recall`, `weighted_f1`, `log_loss`,
        `expected_calibration_error`, `calibration_bins` (list of
        `num_bins` dicts: `lower`, `upper`, `count`, `accuracy`,
        `confidence`; accuracy and confidence are 0 in an empty bin),
        `per_class`
        (list of dicts: `index`, `name`, `precision`, `recall`, `f1`,
        `support`), `confusion_matrix` (list of lists of int, rows are true
        classes, columns predicted ones), `most_confused` (list of dicts:
        `true`, `predicted`, `true_index`, `predicted_index`, `count`,
        `fraction_of_true`; every non-zero off-diagonal cell, by count
        descending, ties by (true, predicted) index) and `worst_predictions`
        (list of dicts: `index`, `true`, `predicted`, `true_index`,
        `predicted_index`, `confidence` (probability of the predicted
        class), `true_probability`, `loss`, `correct`, plus `example` and
        `example_type` (`"text"` or `"array"`) when `examples` is given).

    Raises:
        ValueError: if shapes disagree, a label is not an integer in
            `[0, num_classes)`, probabilities are negative, not finite or do
            not sum to 1, or `class_names`, `examples`, `top_k_worst` or
            `num_bins` do not fit.

    Example:

    ```python
    result = keras_transfer.evaluate_classifier(
        y_true=[0, 1, 1, 2],
        probabilities=[[0.8, 0.1, 0.1], [0.2, 0.7, 0.1],
                       [0.6, 0.3, 0.1], [0.1, 0.2, 0.7]],
        class_names=["cat", "dog", "fox"])
    result["accuracy"]  # 0.75
    result["most_confused"][0]  # {"true": "dog", "predicted": "cat", ...}
    ```
    """
    probabilities = _as_probabilities(probabilities)
    num_examples, num_classes = probabilities.shape
    labels = _as_labels(y_true, num_examples, num_classes)
    class_names = _as_class_names(class_names, num_classes)
    check_int(top_k_worst, "top_k_worst", minimum=0)
    check_int(num_bins, "num_bins", minimum=1)
    if examples is not None and _length(examples) != num_examples:
        raise ValueError(
            f"`examples` must hold one input per label ({num_examples}). "
            f"Received: {_length(examples)} examples.")

    predicted = np.argmax(probabilities, axis=1)
    confusion = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)

    true_positives = np.diag(confusion).astype(np.float64)
    support = confusion.sum(axis=1)
    predicted_counts = confusion.sum(axis=0)
    errors_false_positive = predicted_counts - true_positives
    errors_false_negative = support - true_positives
    precision = _safe_divide(true_positives, predicted_counts)
    recall = _safe_divide(true_positives, support)
    f1 = _safe_divide(2 * true_positives,
                      2 * true_positives + errors_false_positive + errors_false_negative)
    weights = support / num_examples

    # sklearn's log_loss: clip to [eps, 1 - eps] with eps of the input dtype.
    eps = np.finfo(probabilities.dtype).eps
    true_probability = probabilities[np.arange(num_examples), labels]
    losses = -np.log(np.clip(true_probability, eps, 1 - eps))

    ece, bins = _calibration(probabilities, predicted == labels, num_bins)

    return {
        "num_examples": int(num_examples),
        "num_classes": int(num_classes),
        "class_names": class_names,
        "accuracy": float(np.mean(predicted == labels)),
        "macro_precision": float(np.mean(precision)),
        "macro_recall": float(np.mean(recall)),
        "macro_f1": float(np.mean(f1)),
        "weighted_precision": float(np.sum(precision * weights)),
        "weighted_recall": float(np.sum(recall * weights)),
        "weighted_f1": float(np.sum(f1 * weights)),
        "log_loss": float(np.mean(losses)),
        "expected_calibration_error": ece,
        "calibration_bins": bins,
        "per_class": [
            {"index": i, "name": class_names[i], "precision": float(precision[i]),
             "recall": float(recall[i]), "f1": float(f1[i]), "support": int(support[i])}
            for i in range(num_classes)
        ],
        "confusion_matrix": confusion.tolist(),
        "most_confused": _most_confused(confusion, class_names),
        "worst_predictions": _worst_predictions(
            losses, labels, predicted, probabilities, class_names, examples, top_k_worst),
    }


def _as_probabilities(probabilities):
    try:
        array = np.asarray(probabilities)
    except ValueError as error:
        raise ValueError(
            "`probabilities` must be a numeric array of shape (n, num_classes). "
            f"It could not be converted: {error}") from error
    if array.dtype.kind not in "biuf":
        raise ValueError(
            "`probabilities` must be numeric, shape (n, num_classes). "
            f"Received: dtype={array.dtype}")
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim == 1:
        # Binary classifier: probability of class 1.
        if array.size and (np.nanmin(array) < 0 or np.nanmax(array) > 1):
            raise ValueError(
                "1-D `probabilities` are read as the probability of class 1 and must lie "
                f"in [0, 1]. Received values in [{np.nanmin(array):.4g}, "
                f"{np.nanmax(array):.4g}]; apply a sigmoid to logits first.")
        array = np.stack([1 - array, array], axis=1)
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] < 2:
        raise ValueError(
            "`probabilities` must have shape (n, num_classes) with n >= 1 and "
            f"num_classes >= 2 (or (n,) for binary). Received: shape={np.shape(probabilities)}")
    if not np.all(np.isfinite(array)):
        raise ValueError(
            f"`probabilities` must be finite. Received {int(np.sum(~np.isfinite(array)))} "
            "NaN or infinite value(s).")
    if np.min(array) < 0:
        raise ValueError(
            "`probabilities` must be non-negative (they look like logits: apply a softmax, "
            f"or use `keras_transfer.predict_and_evaluate`). Received a minimum of "
            f"{np.min(array):.4g}.")
    sums = array.sum(axis=1)
    bad = np.abs(sums - 1) > _SUM_TOLERANCE
    if np.any(bad):
        row = int(np.argmax(bad))
        raise ValueError(
            "Each row of `probabilities` must sum to 1 (apply a softmax to logits, or use "
            f"`keras_transfer.predict_and_evaluate`). Received: row {row} sums to "
            f"{sums[row]:.6g} ({int(np.sum(bad))} row(s) off).")
    return array


def _as_labels(y_true, num_examples, num_classes):
    labels = np.asarray(y_true)
    if labels.dtype.kind not in "biuf":
        raise ValueError(
            "`y_true` must hold integer class indices (or one-hot rows). "
            f"Received: dtype={labels.dtype}")
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    elif labels.ndim == 2:
        if labels.shape[1] != num_classes:
            raise ValueError(
                f"One-hot `y_true` must have {num_classes} columns, as `probabilities` has. "
                f"Received: y_true.shape={labels.shape}")
        labels = np.argmax(labels, axis=1)
    if labels.ndim != 1 or labels.shape[0] != num_examples:
        raise ValueError(
            f"`y_true` must have shape ({num_examples},), one label per row of "
            f"`probabilities`. Received: y_true.shape={np.shape(y_true)}")
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
            raise ValueError(
                "`y_true` must hold integer class indices. Received non-integer values, "
                f"e.g. {labels[np.argmax(labels != np.round(labels))]!r}")
    labels = labels.astype(np.int64)
    outside = (labels < 0) | (labels >= num_classes)
    if np.any(outside):
        raise ValueError(
            f"`y_true` labels must be in [0, {num_classes}) (`probabilities` has "
            f"{num_classes} columns). Received: label {int(labels[np.argmax(outside)])} "
            f"at index {int(np.argmax(outside))}.")
    return labels


def _as_class_names(class_names, num_classes):
    if class_names is None:
        return [str(i) for i in range(num_classes)]
    if isinstance(class_names, (str, bytes)):
        raise ValueError(
            f"`class_names` must be a list of names. Received: class_names={class_names!r}")
    names = [name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)
             for name in list(class_names)]
    if len(names) != num_classes:
        raise ValueError(
            f"`class_names` must have one name per class ({num_classes}). "
            f"Received {len(names)}: class_names={names!r}")
    return names


def _length(examples):
    if isinstance(examples, dict):
        lengths = {len(value) for value in examples.values()}
        return lengths.pop() if len(lengths) == 1 else -1
    return len(examples)


def _safe_divide(numerator, denominator):
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.zeros_like(numerator)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _calibration(probabilities, correct, num_bins):
    confidence = np.max(probabilities, axis=1).astype(np.float64)
    edges = np.linspace(0.0, 1.0, num_bins + 1)
    bins = []
    ece = 0.0
    for lower, upper in zip(edges[:-1], edges[1:]):
        in_bin = (confidence > lower) & (confidence <= upper)
        count = int(np.sum(in_bin))
        accuracy = float(np.mean(correct[in_bin])) if count else 0.0
        mean_confidence = float(np.mean(confidence[in_bin])) if count else 0.0
        ece += count / len(confidence) * abs(accuracy - mean_confidence)
        bins.append({"lower": float(lower), "upper": float(upper), "count": count,
                     "accuracy": accuracy, "confidence": mean_confidence})
    return float(ece), bins


def _most_confused(confusion, class_names):
    support = confusion.sum(axis=1)
    off_diagonal = confusion.copy()
    np.fill_diagonal(off_diagonal, 0)
    rows, columns = np.nonzero(off_diagonal)
    pairs = sorted((-int(off_diagonal[t, p]), int(t), int(p)) for t, p in zip(rows, columns))
    return [
        {"true": class_names[t], "predicted": class_names[p], "true_index": t,
         "predicted_index": p, "count": -negative_count,
         "fraction_of_true": -negative_count / int(support[t])}
        for negative_count, t, p in pairs
    ]


def _worst_predictions(losses, labels, predicted, probabilities, class_names, examples, top_k):
    order = np.argsort(-losses, kind="stable")[:top_k]
    worst = []
    for index in order.tolist():
        t, p = int(labels[index]), int(predicted[index])
        entry = {
            "index": index,
            "true": class_names[t],
            "predicted": class_names[p],
            "true_index": t,
            "predicted_index": p,
            "confidence": float(probabilities[index, p]),
            "true_probability": float(probabilities[index, t]),
            "loss": float(losses[index]),
            "correct": t == p,
        }
        if examples is not None:
            entry["example_type"], entry["example"] = _describe_example(_pick(examples, index))
        worst.append(entry)
    return worst


def _pick(examples, index):
    if isinstance(examples, dict):
        return {key: value[index] for key, value in examples.items()}
    return examples[index]


def _describe_example(example):
    """Returns `("text", text)` for a string input, else `("array", description)`."""
    text = _as_text(example)
    if text is not None:
        return "text", text
    if isinstance(example, dict):
        parts = [f"{key}: {_describe_example(value)[1]}" for key, value in example.items()]
        return "array", "; ".join(parts)
    array = np.asarray(example)
    if array.dtype.kind in "biuf" and array.size:
        return "array", (f"array shape {tuple(array.shape)} {array.dtype}, "
                         f"min {np.min(array):.4g}, max {np.max(array):.4g}, "
                         f"mean {np.mean(array):.4g}")
    return "array", f"array shape {tuple(array.shape)} {array.dtype}"


def _as_text(example):
    if hasattr(example, "numpy") and not isinstance(example, np.ndarray):
        example = example.numpy()
    if isinstance(example, np.ndarray) and example.ndim == 0:
        example = example.item()
    if isinstance(example, bytes):
        return example.decode("utf-8", "replace")
    if isinstance(example, str):
        return example
    return None
