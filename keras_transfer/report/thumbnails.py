"""Small PNG thumbnails of image inputs, for the report's worst predictions. Not public API."""

import numpy as np

# Longest side of a thumbnail, in pixels.
MAX_SIDE = 96
# Smallest side of a 2-D array drawn as a (grayscale) image; narrower
# arrays are not pictures.
_MIN_SIDE = 8


def as_image(example):
    """`example` as a uint8 `(h, w)` or `(h, w, 3 or 4)` array of at most `MAX_SIDE`
    pixels a side, or `None` if it is not an image.

    Images are arrays `(h, w)`, `(h, w, 1)`, `(h, w, 3)` or `(h, w, 4)`
    with both sides at least 8. uint8 values are kept; other values in
    [0, 1] are scaled by 255, values in [0, 255] kept, anything else
    stretched from its minimum to its maximum. Larger images are sampled
    down (nearest pixel), so the work does not grow with the input's size.
    """
    if hasattr(example, "numpy") and not isinstance(example, np.ndarray):
        example = example.numpy()
    if isinstance(example, (str, bytes, dict)) or not hasattr(example, "shape"):
        return None
    shape = tuple(example.shape)
    if len(shape) == 3 and shape[-1] == 1:
        shape = shape[:2]
    elif len(shape) == 3 and shape[-1] not in (3, 4):
        return None
    if len(shape) not in (2, 3) or min(shape[:2]) < _MIN_SIDE:
        return None
    array = np.asarray(example)
    if array.dtype.kind not in "biuf":
        return None
    scale = MAX_SIDE / max(shape[:2])
    if scale < 1:
        rows = np.linspace(0, shape[0] - 1, max(1, round(shape[0] * scale))).round()
        columns = np.linspace(0, shape[1] - 1, max(1, round(shape[1] * scale))).round()
        array = array[rows.astype(np.int64)][:, columns.astype(np.int64)]
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.dtype == np.uint8:
        return array
    array = array.astype(np.float64)
    finite = np.isfinite(array)
    if not np.any(finite):
        return np.zeros(array.shape, np.uint8)
    array = np.where(finite, array, 0.0)
    low, high = float(array.min()), float(array.max())
    if low >= 0 and high <= 1:
        array = array * 255
    elif not (low >= 0 and high <= 255):
        array = (array - low) / (high - low) * 255 if high > low else array * 0
    return np.clip(np.round(array), 0, 255).astype(np.uint8)


def save_thumbnail(example, path):
    """Writes `example` as a PNG thumbnail at `path`; `False` if it is not an image."""
    image = as_image(example)
    if image is None:
        return False
    from matplotlib import image as mpimg

    if image.ndim == 2:
        mpimg.imsave(path, image, cmap="gray", vmin=0, vmax=255, format="png")
    else:
        mpimg.imsave(path, image, format="png")
    return True
