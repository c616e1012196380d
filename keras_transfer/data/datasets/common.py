"""Helpers shared by the offline dataset loaders: partitions, subsampling, caching."""

import hashlib
import json
import logging
import os
import tempfile

import numpy as np

from keras_transfer.utils.paths import cache_dir
from keras_transfer.utils.argument_validation import check_int

logger = logging.getLogger(__name__)

SPLITS = ("train", "test")


def check_split(name, split):
    """Raises a ValueError naming the splits when `split` is not one of them."""
    if split not in SPLITS:
        raise ValueError(
            f"Dataset {name!r} has splits {list(SPLITS)}. Received: "
            f"split={split!r}"
        )


def check_num_examples(num_examples, available, split):
    """Validates `num_examples` against the size of the split's pool."""
    if num_examples is None:
        return available
    check_int(num_examples, "num_examples", minimum=1, allow_none=True)
    if num_examples > available:
        raise ValueError(
            f"The {split!r} split holds {available} examples, fewer than "
            f"requested. Received: num_examples={num_examples}"
        )
    return int(num_examples)


def stratified_sample(labels, num_examples, seed):
    """Picks `num_examples` indices keeping each class's share, then shuffles.

    Class quotas are the largest-remainder rounding of
    `num_examples * share`, so a balanced pool gives a balanced sample and a
    skewed pool keeps its skew. Deterministic for a given `seed`.

    Args:
        labels: int array of shape `(n,)`.
        num_examples: int. How many indices to return (at most `n`).
        seed: int. Seed of the NumPy generator.

    Returns:
        int64 array of `num_examples` distinct indices into `labels`, in an
        order shuffled by `seed`.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    exact = num_examples * counts / counts.sum()
    quota = np.floor(exact).astype(np.int64)
    remainder_order = np.argsort(-(exact - quota), kind="stable")
    quota[remainder_order[: num_examples - quota.sum()]] += 1
    picked = []
    for cls, take in zip(classes, quota):
        members = np.flatnonzero(labels == cls)
        picked.append(rng.choice(members, size=take, replace=False))
    picked = np.concatenate(picked)
    rng.shuffle(picked)
    return picked


def grouped_partition(groups, test_share, seed):
    """Fixed partition that keeps every group on one side: train or test.

    The distinct groups (sorted) are shuffled once with `seed` and given to
    the test pool, in that order, until it holds `test_share` of the rows
    (the group that crosses the mark goes to test too). The same groups and
    seed always give the same partition.

    Args:
        groups: array of shape `(n,)`. The group of each row (a movie, a
            review, a document); rows of one group end on the same side.
        test_share: float. Fraction of the rows wanted in the test pool.
        seed: int. Seed of the group shuffle (a constant of each dataset).

    Returns:
        dict `{"train": indices, "test": indices}` of sorted int64 row
        indices.
    """
    names, inverse, counts = np.unique(
        groups, return_inverse=True, return_counts=True
    )
    order = np.random.RandomState(seed).permutation(len(names))
    target = len(groups) * test_share
    cumulative = np.cumsum(counts[order])
    test_groups = order[: int(np.searchsorted(cumulative, target)) + 1]
    is_test = np.isin(inverse, test_groups)
    return {
        "train": np.flatnonzero(~is_test),
        "test": np.flatnonzero(is_test),
    }


def cached_arrays(name, options, build):
    """Returns arrays from `<cache>/datasets/<name>-<hash>.npz`, building once.

    Args:
        name: str. Dataset name, the start of the file name.
        options: dict of JSON-serializable values that determine the arrays
            (split, sizes, seed, source version); their hash ends the name.
        build: callable returning a dict of NumPy arrays (no object arrays).

    Returns:
        dict of NumPy arrays.
    """
    key = hashlib.sha1(
        json.dumps(options, sort_keys=True).encode("utf-8")
    ).hexdigest()[:12]
    folder = cache_dir("datasets")
    path = folder / f"{name}-{key}.npz"
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as data:
                return {k: data[k] for k in data.files}
        except (OSError, ValueError) as error:
            logger.warning("Rebuilding unreadable cache file %s (%s)", path, error)
    arrays = build()
    handle, tmp = tempfile.mkstemp(dir=folder, suffix=".npz.tmp")
    try:
        with os.fdopen(handle, "wb") as f:
            np.savez(f, **arrays)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    logger.info("Cached %s %s at %s", name, options, path)
    return arrays
