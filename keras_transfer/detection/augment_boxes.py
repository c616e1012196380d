"""`augment_boxes`: random flip, scale and crop of a photo that move its boxes with it."""

import numpy as np
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.data.image_boxes import make_image_boxes
from keras_transfer.utils.argument_validation import check_number


def flip_horizontal(image, item):
    """Mirrors `image` left-right; box `[x0, y0, x1, y1]` becomes `[W - x1, y0, W - x0, y1]`."""
    boxes = item.boxes.copy()
    boxes[:, [0, 2]] = item.width - item.boxes[:, [2, 0]]
    return image[:, ::-1], item._replace(boxes=boxes)


def scale_and_crop(image, item, scale, left, top, min_visible=0.5):
    """Resizes `image` by `scale`, then cuts the original-size window at (`left`, `top`).

    The window may reach past the scaled photo (when `scale < 1`, or with
    negative `left`/`top`); that part is zeros. Boxes are scaled, shifted,
    clipped to the window, and dropped when less than `min_visible` of
    their scaled area stays inside it.

    Args:
        image: `[height, width, 3]` array (`item.height`, `item.width`).
        item: `keras_transfer.data.ImageBoxes` of `image`.
        scale: float > 0.
        left, top: int. The window's corner in the scaled photo's pixels.
        min_visible: float in (0, 1]. Defaults to `0.5`.

    Returns:
        `(image, item)` of the same size as the input.
    """
    height, width = image.shape[:2]
    new_h, new_w = max(1, round(height * scale)), max(1, round(width * scale))
    scaled = tf.image.resize(image, (new_h, new_w)).numpy().astype(image.dtype)
    canvas = np.zeros_like(image)
    src_y0, src_x0 = max(top, 0), max(left, 0)
    src_y1, src_x1 = min(top + height, new_h), min(left + width, new_w)
    if src_y1 > src_y0 and src_x1 > src_x0:
        canvas[src_y0 - top:src_y1 - top, src_x0 - left:src_x1 - left] = (
            scaled[src_y0:src_y1, src_x0:src_x1])
    factors = np.array([new_w / width, new_h / height] * 2, "float32")
    moved = item.boxes * factors - np.array([left, top, left, top], "float32")
    clipped = np.clip(moved, 0, [width, height, width, height]).astype("float32")
    area = lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])  # noqa: E731
    keep = (area(clipped) > 0) & (area(clipped) >= min_visible * np.maximum(area(moved), 1e-9))
    return canvas, make_image_boxes(item.image_id, width, height, clipped[keep],
                                    item.class_ids[keep], item.class_names)


@keras_transfer_export("keras_transfer.detection.augment_boxes")
def augment_boxes(image, item, rng, flip=0.5, scale_range=(0.75, 1.25), min_visible=0.5):
    """Randomly flips, scales and crops a photo, moving its boxes with it.

    With probability `flip` the photo is mirrored left-right; it is then
    scaled by a factor drawn from `scale_range` and a window of the original
    size is cut at a random place (zoom in: a crop of the enlarged photo;
    zoom out: the smaller photo at a random place on black). Boxes follow
    exactly, are clipped to the window, and a box that keeps less than
    `min_visible` of its area is dropped (`scale_and_crop`).

    Args:
        image: `[height, width, 3]` array.
        item: `keras_transfer.data.ImageBoxes` of `image` (pixels).
        rng: `np.random.Generator`.
        flip: float in [0, 1]. Probability of a horizontal flip. Defaults
            to `0.5`.
        scale_range: `(low, high)` with `0 < low <= high`. Defaults to
            `(0.75, 1.25)`.
        min_visible: float in (0, 1]. Defaults to `0.5`.

    Returns:
        `(image, item)`: same size and dtype as the input.

    Raises:
        ValueError: on a bad argument or an image whose size is not the item's.

    Example:

    ```python
    rng = np.random.default_rng(0)
    image, boxes = keras_transfer.detection.augment_boxes(image, boxes, rng)
    ```
    """
    check_number(flip, "flip", 0, 1)
    check_number(min_visible, "min_visible", 0, 1, min_open=True)
    low, high = scale_range
    check_number(low, "scale_range[0]", 0, min_open=True)
    check_number(high, "scale_range[1]", low)
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[:2] != (item.height, item.width):
        raise ValueError(
            f"`image` must be [{item.height}, {item.width}, channels] like its boxes. "
            f"Received: shape={image.shape}")
    if rng.random() < flip:
        image, item = flip_horizontal(image, item)
    scale = float(rng.uniform(low, high))
    new_w, new_h = round(item.width * scale), round(item.height * scale)
    left = int(rng.integers(min(0, new_w - item.width), max(0, new_w - item.width) + 1))
    top = int(rng.integers(min(0, new_h - item.height), max(0, new_h - item.height) + 1))
    return scale_and_crop(image, item, scale, left, top, min_visible)
