"""Tests for tiny_face_detector/convert.py: the three TF Hub-format SavedModels."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.backbones.providers.tiny_face_detector.convert import convert
from keras_transfer.backbones.registry import get_backbone
from keras_transfer.groups.naming import group_names


def test_convert_writes_hub_savedmodels_that_match_keras(converted, detector):
    export_dir, paths = converted
    images = np.random.default_rng(3).uniform(size=(2, 96, 64, 3)).astype("float32")
    patterns = get_backbone("tiny_face_detector")["groups"]

    assert paths == {"feature_vector": str(export_dir / "feature_vector"),
                     "detector": str(export_dir / "detector"),
                     "feature_map": str(export_dir / "feature_map")}
    for name, output_shape, variables, groups in [
            ("feature_vector", [None, 512], 17, 6), ("detector", [None, None, None, 25], 19, 6),
            ("feature_map", [None, None, None, 512], 17, 6)]:
        loaded = tf.saved_model.load(paths[name])
        signature = loaded.signatures["serving_default"]
        assert signature.structured_input_signature[1]["images"].shape.as_list() == [
            None, None, None, 3]
        assert signature.structured_outputs["default"].shape.as_list() == output_shape
        names = [v.name for v in loaded.trainable_variables]
        assert len(names) == variables and names[0] == "conv0/kernel:0"
        assert len(group_names(names, patterns)) == groups
    loaded = tf.saved_model.load(paths["detector"])
    np.testing.assert_allclose(loaded(tf.constant(images), training=False).numpy(),
                               detector(images, training=False).numpy(), atol=1e-5)
    # The feature map is exactly what conv8 reads.
    pool5 = keras.Model(detector.input, detector.get_layer("pool5").output)
    np.testing.assert_allclose(
        tf.saved_model.load(paths["feature_map"])(tf.constant(images), training=False),
        pool5(images), atol=1e-5)
    with pytest.raises(FileExistsError, match="already holds"):
        convert(export_dir)


def test_registry_detection_data_is_the_providers():
    from keras_transfer.backbones.providers.tiny_face_detector import config

    detection = get_backbone("tiny_face_detector")["detection"]

    assert [tuple(a) for a in detection["anchors"]] == list(config.ANCHORS)
    assert tuple(detection["class_names"]) == config.CLASS_NAMES
    assert (detection["input_size"], detection["score_threshold"],
            detection["iou_threshold"]) == (config.IMAGE_SIZE, config.SCORE_THRESHOLD,
                                            config.IOU_THRESHOLD)
    assert detection["variant"] in convert.__globals__["VARIANTS"]
