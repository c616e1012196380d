"""`fit --folds K`: stratified K-fold cross-validation of the `fit` recipe.

Before `fit` trains its model, `--folds K` estimates how well the recipe
does on this data, from the training split alone: the training examples
are cut into K stratified folds (`keras_transfer.stratified_k_fold`) and
`keras_transfer.cross_validate` builds a fresh model per fold with the same
builder and trains it with the same `fine_tune` call as `fit` (plan, epochs,
learning rate, decay, schedule, unfreezing) on the other K - 1 folds, then
scores it on the held-out fold. The test split is never used. `fit` then
goes on as without `--folds`: one model trained on every training example,
evaluated on the test split and exported (scikit-learn's
`cross_val_score`, then `fit`).
"""

import time

import numpy as np

from keras_transfer.cli.errors import UsageError
from keras_transfer.utils.argument_validation import check_int
from keras_transfer.utils.messages import say

# tfds: and folder sources are decoded (and resized) into memory to be cut
# into folds; beyond this, `--folds` is refused instead of filling memory.
MAX_IN_MEMORY_BYTES = 2 * 2 ** 30
# The metrics `fit` reports, summarised in metrics.json and printed.
REPORTED = ("accuracy", "macro_f1")


def check_folds(folds):
    """`--folds` must be an integer >= 2 when given (the size of the smallest
    class is checked once the data is loaded)."""
    if folds is None:
        return None
    try:
        return check_int(folds, "folds", minimum=2)
    except ValueError as error:
        raise UsageError(str(error).replace("`folds`", "--folds")
                         .replace("folds=", "--folds ")) from None


def run_cross_validation(config, source, build_model, train, verbose=1):
    """Cross-validates `build_model()` trained by `train(model, data)` on
    `source`'s training examples; returns `cross_validate`'s result dict
    (with `seconds` added)."""
    from keras_transfer.evaluation.cross_validate import cross_validate

    folds = config["folds"]
    x, y, make_dataset = _training_examples(source, config)
    _check_class_sizes(folds, y, source.class_names)
    say(f"Cross-validation: {folds} stratified folds of the {len(y)} training examples, a "
        "fresh model per fold, trained like the final model below (the test split is not "
        "used)", verbose)
    started = time.perf_counter()
    result = cross_validate(build_model, x, y, folds=folds, fit_fn=train, data_fn=make_dataset,
                            seed=config["seed"], class_names=source.class_names,
                            batch_size=config["batch_size"], verbose=verbose)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def summarise(result):
    """The part of a `cross_validate` result that goes into metrics.json:
    per-fold values, mean, std and 95% CI of accuracy and macro F1."""
    return {"num_folds": result["num_folds"], "num_examples": result["num_examples"],
            "seconds": result.get("seconds"),
            **{key: {"folds": [fold[key] for fold in result["folds"]],
                     **result["summary"][key]} for key in REPORTED}}


def _training_examples(source, config):
    """`(x, y, make_dataset)`: the training examples and how to batch a part."""
    if source.train_arrays is not None:
        x, y = source.train_arrays
        return x, np.asarray(y), source.make_dataset
    from keras_transfer import data

    parts, labels, size = [], [], 0
    for inputs, batch_labels in source.train:
        inputs = np.asarray(inputs)
        size += (inputs.nbytes if inputs.dtype != object
                 else sum(len(value) for value in inputs.ravel()))
        if size > MAX_IN_MEMORY_BYTES:
            raise UsageError(
                f"--folds holds the decoded training examples of --data {config['data']} in "
                f"memory, and they pass {MAX_IN_MEMORY_BYTES // 2 ** 20} MiB; use fewer or "
                "smaller examples (e.g. --image-size), or keras_transfer.cross_validate with "
                "a data_fn that loads files per fold")
        parts.append(inputs)
        labels.append(np.asarray(batch_labels).reshape(-1))
    x = np.concatenate(parts)
    if x.dtype.kind in "SO":
        x = np.array([value.decode("utf-8") if isinstance(value, bytes) else str(value)
                      for value in x])
    y = np.concatenate(labels).astype(np.int64)

    def make_dataset(x_part, y_part, training):
        # Already decoded and resized: from_arrays only batches (and shuffles).
        return data.from_arrays(x_part, y_part, source.class_names, modality=source.modality,
                                batch_size=config["batch_size"], shuffle=training,
                                seed=config["seed"])

    return x, y, make_dataset


def _check_class_sizes(folds, y, class_names):
    counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=len(class_names))
    present = np.flatnonzero(counts)
    smallest = int(present[np.argmin(counts[present])])
    smallest_count = int(counts[smallest])
    if folds <= smallest_count:
        return
    name = class_names[smallest]
    if smallest_count < 2:
        raise UsageError(f"--folds {folds}: class {name!r} has a single training example, "
                         "and every held-out fold needs every class")
    raise UsageError(f"--folds {folds} is more than the {smallest_count} training examples of "
                     f"class {name!r}, the smallest; every held-out fold needs every class: "
                     f"use --folds 2 to {smallest_count}")
