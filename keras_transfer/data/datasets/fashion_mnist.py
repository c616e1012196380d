"""Fashion-MNIST (Zalando, MIT licence) from the Debian package.

Debian's `dataset-fashion-mnist` installs the four original IDX files under
`/usr/share/datasets/fashion-mnist/`. They are parsed with NumPy (60,000 train
and 10,000 test 28x28 grayscale images, 10 balanced classes). Resizing to a
backbone's input size and conversion to RGB floats happen later, batch by
batch, in `keras_transfer.data.from_arrays(..., image_size=96)`, so a
subsample is never blown up in memory.
"""

import gzip
import os
from pathlib import Path

import numpy as np

from keras_transfer.data.array_split import ArraySplit
from keras_transfer.data.datasets.common import cached_arrays
from keras_transfer.data.datasets.common import check_num_examples
from keras_transfer.data.datasets.common import check_split
from keras_transfer.data.datasets.common import stratified_sample

DEFAULT_PATH = "/usr/share/datasets/fashion-mnist"
CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def load_fashion_mnist(split="train", num_examples=None, seed=0, path=None):
    """Loads Fashion-MNIST images as uint8 arrays, optionally subsampled.

    A subsample is stratified: `num_examples=2000` gives exactly 200 images of
    each class.

    Args:
        split: str. `"train"` (60,000 images) or `"test"` (10,000). Defaults
            to `"train"`.
        num_examples: int. How many images to return. Defaults to `None`
            (the whole split).
        seed: int. Chooses and orders the images. Defaults to `0`.
        path: str. Folder holding the four `*-ubyte.gz` files. Defaults to
            `None`, which means `/usr/share/datasets/fashion-mnist`.

    Returns:
        `keras_transfer.data.ArraySplit` with `x` uint8 of shape
        `(num_examples, 28, 28)` and `y` int32 labels.

    Raises:
        ValueError: if `split` or `num_examples` is invalid, or a file is not
            in IDX format.
        FileNotFoundError: if the files are missing; the message says how to
            install them.

    Example:

    ```python
    split = keras_transfer.data.load_dataset(
        "fashion_mnist", split="train", num_examples=2000)
    ds = keras_transfer.data.from_arrays(*split, image_size=96)
    ```
    """
    check_split("fashion_mnist", split)
    folder = Path(path or DEFAULT_PATH)
    files = [folder / name for name in _FILES[split]]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        raise FileNotFoundError(
            f"Fashion-MNIST files not found: {missing}. Install them with "
            "`sudo apt-get install dataset-fashion-mnist`, or pass `path=` "
            "to a folder holding the original *-ubyte.gz files."
        )

    def build():
        images = _read_idx(files[0], expected_dims=3)
        labels = _read_idx(files[1], expected_dims=1).astype(np.int32)
        count = check_num_examples(num_examples, len(labels), split)
        picked = stratified_sample(labels, count, seed)
        return {"x": images[picked], "y": labels[picked]}

    arrays = cached_arrays(
        "fashion_mnist",
        {"split": split, "num_examples": num_examples, "seed": seed,
         "source": [str(f) for f in files],
         "mtime": [int(os.path.getmtime(f)) for f in files], "version": 1},
        build,
    )
    return ArraySplit(arrays["x"], arrays["y"].astype(np.int32), CLASS_NAMES)


def _read_idx(path, expected_dims):
    """Parses a gzipped IDX file of unsigned bytes into a NumPy array."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[:2] != b"\x00\x00" or data[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes.")
    dims = data[3]
    if dims != expected_dims:
        raise ValueError(
            f"{path} has {dims} dimensions, expected {expected_dims}."
        )
    shape = tuple(
        int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)
    )
    offset = 4 + 4 * dims
    if len(data) - offset != int(np.prod(shape)):
        raise ValueError(
            f"{path} is truncated: its header declares shape {shape} but it "
            f"holds {len(data) - offset} bytes of data."
        )
    return np.frombuffer(data, np.uint8, offset=offset).reshape(shape)
