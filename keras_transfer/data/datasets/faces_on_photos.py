"""Faces on photos: real face crops pasted onto real photos, with exact boxes (detection).

Built the way `digits_on_photos` is, from real parts (no download): the 100 face crops of `skimage.data.lfw_subset`
(25x25 grey crops of Labeled Faces in the Wild, from the eyebrows to the
chin) pasted at random scale and position onto random square crops of
real photos (scikit-image's and Debian opencv-doc's), together with some of the subset's 100
non-face crops of the same size as distractors (no box). The photos are
split as in `digits_on_photos`, and so are the crops: faces 0-69 and
non-faces 100-169 for train, faces 70-99 and non-faces 170-199 for test (a
person may appear in both splits).
"""

import numpy as np

from keras_transfer.data.datasets.common import cached_arrays, check_split
from keras_transfer.data.datasets.objects_on_photos import (
    free_place, load_photos, random_crop, resize, skimage_data)
from keras_transfer.data.image_boxes import make_image_boxes
from keras_transfer.utils.argument_validation import check_int, check_number

CLASS_NAMES = ("face",)
# Indices into skimage.data.lfw_subset(): faces first, non-faces second.
CROPS = {
    "train": {"faces": range(0, 70), "non_faces": range(100, 170)},
    "test": {"faces": range(70, 100), "non_faces": range(170, 200)},
}
MAX_IMAGES = 20000
MAX_IMAGE_SIZE = 512
# A face crop's side, as a fraction of the image side.
SIDE_RANGE = (0.2, 0.45)


def load_faces_on_photos(split="train", num_images=100, image_size=128, max_faces=3,
                         max_distractors=2, seed=0):
    """Builds (once, then cached) a faces-on-photos detection set.

    Each image is a random `image_size` square crop of one of the split's
    photos (as in `digits_on_photos`) with 0 to `max_distractors` non-face
    crops and then 1 to `max_faces` face crops pasted on it, each scaled to
    `SIDE_RANGE` of the image side, opaque (grey, as the crops are), at a
    random place where it does not overlap an earlier crop. A face's box is
    its whole crop.

    Args:
        split: str. `"train"` or `"test"` (photos and crops differ).
            Defaults to `"train"`.
        num_images: int. At most `MAX_IMAGES`. Defaults to `100`.
        image_size: int. Side in pixels, 32 to `MAX_IMAGE_SIZE`. Defaults to `128`.
        max_faces: int. 1 to 8. Defaults to `3`.
        max_distractors: int. 0 to 8. Defaults to `2`.
        seed: int. Defaults to `0`.

    Returns:
        `(images, boxes)`: uint8 `[num_images, image_size, image_size, 3]`
        and a list of `keras_transfer.data.ImageBoxes` (one class, `"face"`).

    Raises:
        ValueError: on a bad argument.
        ImportError: if scikit-image is not installed.
        FileNotFoundError: if Debian's opencv-doc photos are missing.

    Example:

    ```python
    from keras_transfer.data.datasets.faces_on_photos import load_faces_on_photos
    images, boxes = load_faces_on_photos("train", num_images=200)
    targets = keras_transfer.detection.pad_boxes(boxes, max_boxes=3)
    ```
    """
    check_split("faces_on_photos", split)
    for value, argument, low, high in ((num_images, "num_images", 1, MAX_IMAGES),
                                       (image_size, "image_size", 32, MAX_IMAGE_SIZE),
                                       (max_faces, "max_faces", 1, 8),
                                       (max_distractors, "max_distractors", 0, 8)):
        check_int(value, argument, minimum=low)
        check_number(value, argument, low, high)
    check_int(seed, "seed", minimum=0)
    arrays = cached_arrays(
        "faces_on_photos",
        {"split": split, "num_images": num_images, "image_size": image_size,
         "max_faces": max_faces, "max_distractors": max_distractors, "seed": seed,
         "version": 2},
        lambda: _build(split, num_images, image_size, max_faces, max_distractors, seed))
    results = []
    for index, (count, boxes) in enumerate(zip(arrays["counts"], arrays["boxes"])):
        results.append(make_image_boxes(f"{split}-{index}", image_size, image_size,
                                        boxes[:count], np.zeros(count, np.int32),
                                        CLASS_NAMES))
    return arrays["images"], results


def _crops(split):
    """The split's face and non-face crops, float32 in [0, 1], `[n, 25, 25]`."""
    subset = np.asarray(skimage_data("faces_on_photos").lfw_subset(), np.float32)
    return (subset[list(CROPS[split]["faces"])],
            subset[list(CROPS[split]["non_faces"])])


def _photos(split):
    return load_photos("faces_on_photos", split)


def _build(split, num_images, image_size, max_faces, max_distractors, seed):
    rng = np.random.default_rng(seed)
    photos = _photos(split)
    faces, non_faces = _crops(split)
    images = np.zeros((num_images, image_size, image_size, 3), np.uint8)
    boxes = np.zeros((num_images, max_faces, 4), np.float32)
    counts = np.zeros(num_images, np.int32)
    for index in range(num_images):
        canvas = random_crop(photos, image_size, rng)
        placed, faces_placed = [], 0
        distractors = rng.integers(0, max_distractors + 1)
        for number in range(distractors + rng.integers(1, max_faces + 1)):
            is_face = number >= distractors
            pool = faces if is_face else non_faces
            crop = pool[rng.integers(len(pool))]
            side = max(8, round(image_size * rng.uniform(*SIDE_RANGE)))
            spot = free_place(rng, image_size, side, (0, 0, side, side), placed)
            if spot is None:
                continue
            y, x, box = spot
            canvas[y:y + side, x:x + side] = 255.0 * resize(crop[..., None], side, side)
            placed.append(box)
            if is_face:
                boxes[index, faces_placed] = box
                faces_placed += 1
        images[index] = np.clip(np.round(canvas), 0, 255).astype(np.uint8)
        counts[index] = faces_placed
    return {"images": images, "boxes": boxes, "counts": counts}
