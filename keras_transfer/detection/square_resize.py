"""`square_resize`: a photo padded at the bottom or right to a square, then resized (and its boxes)."""

import numpy as np
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export


@keras_transfer_export("keras_transfer.detection.square_resize")
def square_resize(image, size):
    """Pads a photo with zeros to a square (bottom or right), then resizes it.

    The network input of every detector here, in training, in
    `keras_transfer.detection.detect_objects` and in the served graph
    (`keras_transfer.export.export_detector`): face-api's
    `NetInput.toBatchTensor(size, isCenterInputs=false)`, i.e. the photo in
    the top-left corner of a `side x side` square of zeros (`side` its
    longer side), resized bilinearly without half-pixel centres (output
    pixel `(i, j)` samples the square at `(i * side / height, j * side /
    width)`). Boxes relative to that square are pixels divided by `side`.

    The square is never built: `tf.image.crop_and_resize` samples the photo
    with one more row and column (zeros on the padded side, the edge
    repeated on the longer side, where `ResizeBilinear` clamps when
    enlarging), with zeros beyond, so memory stays that of the photo
    whatever its aspect ratio.

    Args:
        image: `[height, width, 3]` tensor or array: uint8 (0..255) or float
            (0..1).
        size: `(height, width)` of the output, ints.

    Returns:
        float32 tensor `[size[0], size[1], 3]` in [0, 1].

    Example:

    ```python
    square = keras_transfer.detection.square_resize(photo_uint8, (416, 416))
    ```
    """
    image = tf.convert_to_tensor(image)
    scale = 1.0 / 255.0 if image.dtype == tf.uint8 else 1.0
    out_height, out_width = int(size[0]), int(size[1])
    shape = tf.shape(image)
    height = tf.cast(shape[0], tf.float32)
    width = tf.cast(shape[1], tf.float32)
    side = tf.maximum(height, width)
    # The row (column) the sampling can reach past the photo: zeros of the
    # padding, or for the longer side (no padding), the edge repeated, as
    # ResizeBilinear clamps there.
    last_row = image[-1:]
    rows = tf.concat([image, tf.where(height < side, tf.zeros_like(last_row), last_row)], 0)
    last_column = rows[:, -1:]
    padded = tf.concat(
        [rows, tf.where(width < side, tf.zeros_like(last_column), last_column)], 1)
    # crop_and_resize samples row i at y2 * height * i / (out_height - 1)
    # (the padded photo has height + 1 rows): this makes it i * side / out_height.
    y2 = side * (out_height - 1) / (out_height * height)
    x2 = side * (out_width - 1) / (out_width * width)
    boxes = tf.stack([0.0, 0.0, y2, x2])[None]
    resized = tf.image.crop_and_resize(
        padded[None], boxes, tf.zeros([1], tf.int32), [out_height, out_width],
        method="bilinear", extrapolation_value=0.0)[0]
    return resized * scale


@keras_transfer_export("keras_transfer.detection.square_resize_boxes")
def square_resize_boxes(item, size):
    """Moves an image's boxes to where `square_resize` puts its pixels.

    The photo sits in the top-left corner of a square of its longer side
    `side`, which is resized to `size`: a pixel `(x, y)` lands at `(x *
    width / side, y * height / side)` of the output. Training targets must
    be relative to that square, not to the photo: for a 640 x 480 photo a
    box at y = 400 is 0.83 of the photo's height but 0.625 of the square's.

    Args:
        item: `keras_transfer.data.ImageBoxes` of the photo (pixels).
        size: `(height, width)` of `square_resize`'s output, ints.

    Returns:
        `ImageBoxes` with `height, width = size` and the boxes in its
        pixels (image id, classes and scores unchanged).

    Example:

    ```python
    image = keras_transfer.detection.square_resize(photo, (256, 256))
    boxes = keras_transfer.detection.square_resize_boxes(photo_boxes, (256, 256))
    ```
    """
    out_height, out_width = int(size[0]), int(size[1])
    side = float(max(item.width, item.height))
    scale = np.array([out_width, out_height, out_width, out_height], "float32") / side
    boxes = np.asarray(item.boxes, "float32").reshape(-1, 4) * scale
    return item._replace(width=out_width, height=out_height, boxes=boxes)
