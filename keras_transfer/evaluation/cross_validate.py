"""`cross_validate`: stratified K-fold cross-validation of any model builder."""

import math

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.evaluation.predict_and_evaluate import predict_and_evaluate
from keras_transfer.evaluation.stratified_k_fold import stratified_k_fold
from keras_transfer.utils.argument_validation import check_int
from keras_transfer.utils.messages import say

# Scalar metrics of `evaluate_classifier` summarised over the folds.
SUMMARY_METRICS = ("accuracy", "macro_f1", "weighted_f1", "macro_precision", "macro_recall",
                   "log_loss", "expected_calibration_error")
_CONFIDENCE = 0.95


@keras_transfer_export(["keras_transfer.cross_validate",
                        "keras_transfer.evaluation.cross_validate"])
def cross_validate(build_fn, x, y, folds=5, fit_fn=None, data_fn=None, seed=0,
                   class_names=None, batch_size=32, verbose=0):
    """Stratified K-fold cross-validation: a fresh model trained and scored per fold.

    The examples are split by `keras_transfer.stratified_k_fold(y, folds,
    seed)`. For each fold, the random seed is set to `seed + fold`
    (`keras.utils.set_random_seed`), `build_fn()` builds a new model,
    `fit_fn(model, train_data)` trains it on the other folds, and
    `keras_transfer.predict_and_evaluate` scores it on the held-out fold. The
    held-out fold is never given to `fit_fn`: pick epochs and other settings
    without it (or nest another split inside `fit_fn`).

    The summary gives, for each metric in `SUMMARY_METRICS` (accuracy, macro
    and weighted F1, macro precision and recall, log loss, expected
    calibration error), the mean over the folds, the sample standard
    deviation `std` (`ddof=1`) and a 95% confidence interval from Student's
    t-distribution with `folds - 1` degrees of freedom:
    `mean ± t(0.975, folds - 1) * std / sqrt(folds)` (e.g. t = 2.776 for 5
    folds). The interval treats the fold scores as independent; their
    training sets overlap, so it is somewhat too narrow (Bengio & Grandvalet,
    2004) and is best read as a guide to the spread.

    Args:
        build_fn: callable with no arguments returning a new `keras.Model`
            (e.g. `lambda: keras_transfer.build_text_classifier("minilm_l6",
            num_classes=2)`).
        x: the inputs, one per label: a NumPy array `(n, ...)`, a list of
            strings (texts or file paths), or a dict of such arrays for a
            multi-input model.
        y: array-like of int class indices `(n,)` (or one-hot rows).
        folds: int. Number of folds K, from 2 to the size of the smallest
            class. Defaults to 5.
        fit_fn: callable `fit_fn(model, train_data)` that trains `model` in
            place (its return value is ignored). Defaults to `None`:
            `keras_transfer.fine_tune(model, train_data, verbose=verbose)`.
        data_fn: callable `data_fn(x_part, y_part, training)` returning what
            `fit_fn` and `keras_transfer.predict_and_evaluate` accept (a
            batched `tf.data.Dataset` of `(x, y)` or a tuple `(x, y)`), for
            inputs that need loading, such as file paths. With
            `training=False` it must keep every example, in order. Defaults to
            `None`: `tf.data.Dataset.from_tensor_slices((x_part, y_part))`,
            shuffled with `seed` when training, batched by `batch_size`.
        seed: int. Seed of the split, and `seed + fold` of each fold's
            model. Defaults to 0.
        class_names: list of str. One name per class. Defaults to `None`.
        batch_size: int. Batch size of the default `data_fn`. Defaults to 32.
        verbose: int. 0 is silent; 1 prints one line per fold and passes
            `verbose` to the default `fit_fn`. Defaults to 0.

    Returns:
        A JSON-serializable dict: `num_folds`, `num_examples`, `seed`,
        `class_names`, `folds` (list of dicts, one per fold: `fold`,
        `train_size`, `test_size`, `test_indices` (sorted) and the metrics of
        `SUMMARY_METRICS` on that fold), `summary` (dict from each metric to
        a dict `mean`, `std`, `ci95_low`, `ci95_high`, `ci95_half_width`)
        and `confusion_matrix` (the held-out folds' confusion matrices summed:
        every example counted once).

    Raises:
        ValueError: if `x` and `y` have different lengths, `folds` does not
            fit the classes (see `keras_transfer.stratified_k_fold`),
            `build_fn`, `fit_fn` or `data_fn` is not callable, or `data_fn`
            drops held-out examples.

    Example:

    ```python
    def build():
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])

    def fit(model, train_data):
        model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(train_data, epochs=5, verbose=0)

    x = np.random.default_rng(0).normal(size=(60, 4)).astype("float32")
    y = np.arange(60) % 3
    result = keras_transfer.cross_validate(build, x, y, folds=5, fit_fn=fit)
    accuracy = result["summary"]["accuracy"]
    print(f"{accuracy['mean']:.3f} ± {accuracy['std']:.3f}, 95% CI "
          f"[{accuracy['ci95_low']:.3f}, {accuracy['ci95_high']:.3f}]")
    ```
    """
    for name, value in (("build_fn", build_fn), ("fit_fn", fit_fn), ("data_fn", data_fn)):
        if value is not None and not callable(value):
            raise ValueError(f"`{name}` must be callable. Received: {name}={value!r}")
    if build_fn is None:
        raise ValueError("`build_fn` must be a callable that returns a new model. "
                         "Received: build_fn=None")
    check_int(batch_size, "batch_size", minimum=1)
    check_int(seed, "seed")
    labels = np.asarray(y)
    num_examples = _length(x)
    if num_examples != len(labels):
        raise ValueError(
            f"`x` and `y` must hold the same number of examples. Received: {num_examples} "
            f"inputs and {len(labels)} labels")
    splits = stratified_k_fold(labels, folds, seed)
    if fit_fn is None:
        from keras_transfer.recipes.fine_tune import fine_tune

        def fit_fn(model, train_data):
            return fine_tune(model, train_data, verbose=verbose)

    if data_fn is None:
        def data_fn(x_part, y_part, training):
            return _default_data(x_part, y_part, training, batch_size, seed)

    rows, confusion, names = [], None, None
    for fold, (train_index, test_index) in enumerate(splits):
        keras.utils.set_random_seed(seed + fold)
        model = build_fn()
        fit_fn(model, data_fn(_take(x, train_index), labels[train_index], True))
        evaluation = predict_and_evaluate(
            model, data_fn(_take(x, test_index), labels[test_index], False),
            class_names=class_names, batch_size=batch_size, top_k_worst=0)
        if evaluation["num_examples"] != len(test_index):
            raise ValueError(
                f"`data_fn(..., training=False)` must keep every held-out example: fold "
                f"{fold} has {len(test_index)}, {evaluation['num_examples']} were evaluated "
                "(do not drop the last batch).")
        # Every fold's model has the same outputs, so the matrices have one shape.
        matrix = np.asarray(evaluation["confusion_matrix"], dtype=np.int64)
        confusion = matrix if confusion is None else confusion + matrix
        names = evaluation["class_names"]
        rows.append({"fold": fold, "train_size": len(train_index),
                     "test_size": len(test_index), "test_indices": test_index.tolist(),
                     **{key: evaluation[key] for key in SUMMARY_METRICS}})
        say(f"Fold {fold + 1}/{folds}: accuracy {evaluation['accuracy']:.4f}, "
            f"macro F1 {evaluation['macro_f1']:.4f}", verbose)
    summary = {key: fold_summary([row[key] for row in rows]) for key in SUMMARY_METRICS}
    accuracy = summary["accuracy"]
    say(f"Cross-validation ({folds} folds): accuracy {accuracy['mean']:.4f} ± "
        f"{accuracy['std']:.4f}, 95% CI [{accuracy['ci95_low']:.4f}, "
        f"{accuracy['ci95_high']:.4f}]", verbose)
    return {"num_folds": folds, "num_examples": num_examples, "seed": seed,
            "class_names": names, "folds": rows, "summary": summary,
            "confusion_matrix": confusion.tolist()}


def fold_summary(values, confidence=_CONFIDENCE):
    """Mean, sample std and Student-t confidence interval of per-fold scores.

    Not public API (`cross_validate` documents the formula).
    """
    values = np.asarray(values, dtype=np.float64)
    mean = float(np.mean(values))
    std = float(np.std(values, ddof=1))
    half = t_quantile((1 + confidence) / 2, len(values) - 1) * std / math.sqrt(len(values))
    return {"mean": mean, "std": std, "ci95_low": mean - half, "ci95_high": mean + half,
            "ci95_half_width": half}


def t_quantile(probability, df):
    """The `probability` quantile (> 0.5) of Student's t with integer `df` degrees of freedom.

    Inverts the exact finite-sum CDF for integer degrees of freedom
    (Abramowitz & Stegun 26.7.3 and 26.7.4) by bisection. Not public API.
    """
    check_int(df, "df", minimum=1)
    if not 0.5 < probability < 1:
        raise ValueError(f"`probability` must be in (0.5, 1). Received: {probability!r}")
    target = 2 * probability - 1  # P(|T| <= t)
    low, high = 0.0, 1.0
    while _two_sided_cdf(high, df) < target:
        low, high = high, high * 2
    for _ in range(200):
        middle = (low + high) / 2
        if _two_sided_cdf(middle, df) < target:
            low = middle
        else:
            high = middle
        if high - low <= 1e-13 * high:
            break
    return (low + high) / 2


def _two_sided_cdf(t, df):
    """P(|T| <= t) for Student's t with integer `df` (A&S 26.7.3 / 26.7.4)."""
    theta = math.atan(t / math.sqrt(df))
    sin, cos2 = math.sin(theta), math.cos(theta) ** 2
    if df % 2 == 0:
        term = total = 1.0
        for m in range(1, (df - 2) // 2 + 1):
            term *= (2 * m - 1) / (2 * m) * cos2
            total += term
        return sin * total
    if df == 1:
        return 2 * theta / math.pi
    term = total = math.cos(theta)
    for m in range(1, (df - 3) // 2 + 1):
        term *= (2 * m) / (2 * m + 1) * cos2
        total += term
    return 2 / math.pi * (theta + sin * total)


def _default_data(x, y, training, batch_size, seed):
    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    if training:
        dataset = dataset.shuffle(len(y), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size)


def _length(x):
    if isinstance(x, dict):
        lengths = {len(value) for value in x.values()}
        if len(lengths) != 1:
            raise ValueError("The arrays of a dict `x` must have the same length. Received "
                             f"lengths {({key: len(value) for key, value in x.items()})}")
        return lengths.pop()
    if isinstance(x, (str, bytes)) or not hasattr(x, "__len__"):
        raise ValueError("`x` must be an array, a list (texts or file paths) or a dict of "
                         f"arrays. Received: x of type {type(x).__name__}")
    return len(x)


def _take(x, index):
    """The examples of `x` at `index`, in the container type of `x`."""
    if isinstance(x, dict):
        return {key: _take(value, index) for key, value in x.items()}
    if isinstance(x, np.ndarray):
        return x[index]
    if isinstance(x, (list, tuple)):
        return [x[i] for i in index.tolist()]
    return np.asarray(x)[index]

