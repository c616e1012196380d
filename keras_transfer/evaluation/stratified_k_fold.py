"""`stratified_k_fold`: deterministic stratified K-fold indices, NumPy only."""

import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.argument_validation import check_int


@keras_transfer_export(["keras_transfer.stratified_k_fold",
                        "keras_transfer.evaluation.stratified_k_fold"])
def stratified_k_fold(labels, folds=5, seed=0):
    """Splits example indices into `folds` stratified (train, test) pairs.

    Every index is in exactly one test fold, and each class is spread over the
    folds as evenly as possible: the examples of each class are shuffled (one
    `numpy.random.default_rng(seed)` for the whole split), the classes are
    laid end to end in label order, and position `p` of that sequence goes to
    fold `p % folds`. So a class of `n_c` examples puts `floor(n_c / folds)`
    or `ceil(n_c / folds)` examples in each fold, and fold sizes differ by at
    most one. The same labels and seed always give the same folds.

    Args:
        labels: array-like of int. Class index of each example, shape `(n,)`
            (or one-hot rows, `(n, num_classes)`).
        folds: int. Number of folds K, at least 2 and at most the size of the
            smallest class (each class needs an example in every test fold).
            Defaults to 5.
        seed: int. Seed of the shuffle. Defaults to 0.

    Returns:
        A list of `folds` tuples `(train_indices, test_indices)` of sorted
        int64 arrays; the test folds are disjoint and cover `range(n)`.

    Raises:
        ValueError: if `labels` are not integer class indices, `folds` is not
            an integer in `[2, smallest class size]`, or `seed` is not an
            integer.

    Example:

    ```python
    labels = [0, 0, 0, 1, 1, 1]
    for train, test in keras_transfer.stratified_k_fold(labels, folds=3):
        print(train, test)  # each test fold holds one example of each class
    ```
    """
    labels = _as_labels(labels)
    check_int(folds, "folds", minimum=2)
    check_int(seed, "seed")
    classes, counts = np.unique(labels, return_counts=True)
    smallest = int(counts.min())
    if folds > smallest:
        name = classes[int(np.argmin(counts))]
        raise ValueError(
            f"`folds` must be at most the size of the smallest class ({smallest} examples "
            f"of class {name}), so that every test fold holds every class. "
            f"Received: folds={folds}")
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(np.flatnonzero(labels == c)) for c in classes])
    fold_of = np.empty(len(labels), dtype=np.int64)
    fold_of[order] = np.arange(len(order)) % folds
    everything = np.arange(len(labels), dtype=np.int64)
    return [(everything[fold_of != k], everything[fold_of == k]) for k in range(folds)]


def _as_labels(labels):
    array = np.asarray(labels)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    elif array.ndim == 2 and array.dtype.kind in "biuf":
        array = np.argmax(array, axis=1)
    if array.ndim != 1 or array.size == 0 or array.dtype.kind not in "biuf":
        raise ValueError(
            "`labels` must be a non-empty 1-D array of integer class indices (or one-hot "
            f"rows). Received: shape={array.shape}, dtype={array.dtype}")
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            raise ValueError("`labels` must hold integer class indices. Received non-integer "
                             "values.")
    return array.astype(np.int64)
