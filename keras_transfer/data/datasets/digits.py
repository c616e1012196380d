"""scikit-learn's 8x8 handwritten digits, redrawn in MNIST's format.

`sklearn.datasets.load_digits` ships 1,797 digits (the test part of the UCI
"optdigits" set: 32x32 bitmaps by 13 writers, who wrote none of MNIST,
reduced to 8x8 counts of ink per 4x4 block, 0-16) inside the scikit-learn
package, so nothing is downloaded. Each image is turned into an MNIST-like
28x28 uint8 image the way MNIST itself was made from NIST's bitmaps:

1. scaled to 20x20 with bilinear interpolation (half-pixel centres, as
   `tf.image.resize(..., "bilinear")`); every 8x8 digit touches its top and
   bottom rows, so this is MNIST's "fit the longer side to a 20-pixel box,
   keeping the aspect ratio";
2. placed on a 28x28 canvas so that its centre of mass lands on pixel
   (14, 14) (rounded to whole pixels; the mean centre of mass of `mnist_5k`
   is (13.99, 14.00)), never shifting the 20x20 box off the canvas;
3. rescaled from 0-16 to 0-255 (x 255 / 16) and rounded to uint8.

Measured over all 1,797: the mean centre of mass is (14.00, 14.01) and every
digit's ink spans 20 pixels on its longer side, as in `mnist_5k`; but the
digits stay blurrier and bolder than MNIST's (they went through 8x8): 36.0%
of the pixels are non-zero against 19.3% in `mnist_5k`, the mean pixel is
39.7 against 33.5. That difference is part of the domain shift.

The partition is fixed and follows the file's order: the first 1,198 images
are the train pool, the last 599 the test pool (55 to 62 of each digit). The
file holds no writer ids, so the two pools are not known to be
writer-disjoint.
"""

import numpy as np

from keras_transfer.data.array_split import ArraySplit
from keras_transfer.data.datasets.common import check_num_examples
from keras_transfer.data.datasets.common import check_split
from keras_transfer.data.datasets.common import stratified_sample
from keras_transfer.utils.argument_validation import check_int

CLASS_NAMES = tuple(str(d) for d in range(10))
NUM_TRAIN = 1198
_BOX = 20
_CANVAS = 28
_CENTRE = 14.0


def load_digits(split="train", num_examples=None, seed=0):
    """Loads scikit-learn's digits as 28x28 MNIST-like uint8 images.

    Args:
        split: str. `"train"` (1,198 images) or `"test"` (599). Defaults to
            `"train"`.
        num_examples: int. How many images to return, stratified by digit.
            Defaults to `None` (the whole split).
        seed: int. Chooses and orders the images. Defaults to `0`.

    Returns:
        `keras_transfer.data.ArraySplit` with `x` uint8 of shape
        `(num_examples, 28, 28)` in 0-255, `y` int32 digits and
        `class_names == ("0", ..., "9")`, as `mnist_5k` returns them.

    Raises:
        ValueError: if `split` or `num_examples` is invalid.
        ImportError: if scikit-learn is not installed.

    Example:

    ```python
    x, y, names = keras_transfer.data.load_dataset("digits", split="test")
    ```
    """
    check_split("digits", split)
    check_int(seed, "seed", minimum=0)
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise ImportError(
            "The `digits` dataset needs scikit-learn: `pip install "
            "scikit-learn`."
        ) from None
    bunch = sklearn_digits()
    images, labels = bunch.images, bunch.target.astype(np.int32)
    pool = np.arange(NUM_TRAIN) if split == "train" else np.arange(
        NUM_TRAIN, len(labels))
    count = check_num_examples(num_examples, len(pool), split)
    picked = pool[stratified_sample(labels[pool], count, seed)]
    return ArraySplit(to_mnist_format(images[picked]), labels[picked],
                      CLASS_NAMES)


def to_mnist_format(images):
    """Turns 8x8 digits in 0-16 into 28x28 uint8 MNIST-like images.

    Args:
        images: array of shape `(n, 8, 8)`, ink counts in 0-16.

    Returns:
        uint8 array of shape `(n, 28, 28)`: each digit scaled to 20x20,
        centred by its centre of mass and rescaled to 0-255 (module
        docstring).
    """
    images = np.asarray(images, np.float64)
    weights = bilinear_weights(images.shape[1], _BOX)
    boxes = np.einsum("ij,njk,lk->nil", weights, images, weights)
    out = np.zeros((len(boxes), _CANVAS, _CANVAS), np.float64)
    coords = np.arange(_BOX)
    margin = _CANVAS - _BOX
    for i, box in enumerate(boxes):
        mass = box.sum()
        top = left = margin // 2
        if mass > 0:
            row = (box.sum(axis=1) @ coords) / mass
            col = (box.sum(axis=0) @ coords) / mass
            top = int(np.clip(np.rint(_CENTRE - row), 0, margin))
            left = int(np.clip(np.rint(_CENTRE - col), 0, margin))
        out[i, top: top + _BOX, left: left + _BOX] = box
    return np.clip(np.rint(out * (255.0 / 16.0)), 0, 255).astype(np.uint8)


def bilinear_weights(size_in, size_out):
    """Matrix `(size_out, size_in)` of 1-D bilinear resizing weights.

    Half-pixel centres and edge clamping, as `tf.image.resize` with
    `method="bilinear"` and no antialiasing: output `i` samples the input at
    `(i + 0.5) * size_in / size_out - 0.5`.
    """
    position = (np.arange(size_out) + 0.5) * size_in / size_out - 0.5
    position = np.clip(position, 0, size_in - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, size_in - 1)
    frac = position - low
    weights = np.zeros((size_out, size_in))
    np.add.at(weights, (np.arange(size_out), low), 1 - frac)
    np.add.at(weights, (np.arange(size_out), high), frac)
    return weights
