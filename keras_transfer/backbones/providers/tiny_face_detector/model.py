"""face-api's Tiny face detector (Tiny-YOLOv2 with separable convolutions) in Keras 3.

The network follows face-api's `TinyYolov2Base.runMobilenet` with the Tiny
face detector's configuration (`withSeparableConvs`, `isFirstLayerConv2d`,
filter sizes 3-16-32-64-128-256-512): a 3x3 `valid` convolution (`conv0`),
five blocks of 1-pixel zero padding + 3x3 separable convolution (`conv1` ...
`conv5`), each followed by leaky ReLU (slope 0.1) and 2x2 max pooling
(stride 2, the last stride 1), and a 1x1 convolution (`conv8`) with 25
outputs per cell: 5 anchors x (x, y, w, h, objectness).
"""

import os
from pathlib import Path

import keras

from keras_transfer.backbones.providers.tiny_face_detector.config import (
    FILTERS, LEAKY_ALPHA, MEAN_RGB, NUM_OUTPUTS)
from keras_transfer.backbones.providers.tiny_face_detector.weights import (
    keras_weights, package_root, read_weights)


def build_model(weights=None, include_top=True):
    """Builds the Tiny face detector as a Keras 3 functional model.

    The model takes float32 RGB images with values in [0, 1] whose height
    and width are multiples of 32 (face-api uses 416x416: the photo padded
    at the bottom or right to a square, then resized; see
    `keras_transfer.detection.detect_objects`), and subtracts face-api's mean
    RGB inside.

    Args:
        weights: `None`, `"face_api"` or a folder holding the package's
            `package/model/tiny_face_detector_model*` files. `"face_api"`
            fetches them from the pinned npm package
            `@vladmandic/face-api@1.7.15` (cached, no Node.js needed).
            Defaults to `None` (random initialization).
        include_top: bool. `True` returns the raw YOLOv2 outputs
            `[batch, height / 32, width / 32, 25]` (decode them with
            `keras_transfer.detection.decode_yolo_v2`); `False` returns the
            512-d global-average-pooled features of the last block.
            Defaults to `True`.

    Returns:
        A `keras.Model` named `"tiny_face_detector"`, input
        `[batch, height, width, 3]` float32.

    Raises:
        ValueError: if `weights` is neither `None`, `"face_api"` nor an
            existing folder, or its files are not the Tiny face detector.

    Example:

    ```python
    model = keras_transfer.backbones.providers.tiny_face_detector.model.build_model(
        weights="face_api")
    outputs = model(np.zeros((1, 416, 416, 3), "float32"))  # (1, 13, 13, 25)
    ```
    """
    if weights is not None and weights != "face_api" and not (
            isinstance(weights, (str, os.PathLike)) and os.path.isdir(weights)):
        raise ValueError(
            "`weights` must be None, 'face_api' or an existing folder holding "
            f"the face-api model files. Received: weights={weights!r}")
    if not isinstance(include_top, bool):
        raise ValueError(
            f"`include_top` must be a bool. Received: include_top={include_top!r}")

    inputs = keras.Input(shape=(None, None, 3), dtype="float32", name="images")
    # face-api: (255 x - mean_rgb) / 255.
    x = keras.layers.Rescaling(
        1.0, offset=[-m / 255.0 for m in MEAN_RGB], name="normalize")(inputs)
    x = keras.layers.Conv2D(FILTERS[0], 3, padding="valid", name="conv0")(x)
    x = keras.layers.LeakyReLU(LEAKY_ALPHA, name="conv0_leaky")(x)
    x = keras.layers.MaxPooling2D(2, 2, padding="same", name="pool0")(x)
    last = len(FILTERS) - 1
    for index in range(1, len(FILTERS)):
        x = keras.layers.ZeroPadding2D(1, name=f"conv{index}_pad")(x)
        x = keras.layers.SeparableConv2D(
            FILTERS[index], 3, padding="valid", name=f"conv{index}")(x)
        x = keras.layers.LeakyReLU(LEAKY_ALPHA, name=f"conv{index}_leaky")(x)
        if index == last and not include_top:
            x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
            break
        x = keras.layers.MaxPooling2D(
            2, 1 if index == last else 2, padding="same", name=f"pool{index}")(x)
    if include_top:
        x = keras.layers.Conv2D(NUM_OUTPUTS, 1, name="conv8")(x)
    model = keras.Model(inputs, x, name="tiny_face_detector")

    if weights is not None:
        root = package_root() if weights == "face_api" else Path(weights)
        for name, arrays in keras_weights(read_weights(root)).items():
            if name == "conv8" and not include_top:
                continue
            model.get_layer(name).set_weights(arrays)
    return model
