"""Tests for vgg16_hed/convert.py: the two TF Hub-format SavedModels."""

import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.backbones.providers.vgg16_hed.convert import convert
from keras_transfer.groups.naming import group_names


BLOCKS = ["block1", "block2", "block3", "block4", "block5"]


def _random_images(shape, seed=0):
    return np.random.default_rng(seed).uniform(size=shape).astype("float32")


@pytest.mark.large
def test_convert_writes_hub_savedmodels(converted):
    export_dir, paths = converted

    assert paths == {"feature_vector": str(export_dir / "feature_vector"),
                     "edges": str(export_dir / "edges")}
    for name, output_shape, variables in [
            ("feature_vector", [None, 512], 26), ("edges", [None, None, None, 1], 38)]:
        loaded = tf.saved_model.load(paths[name])
        signature = loaded.signatures["serving_default"]
        spec = signature.structured_input_signature[1]["images"]
        assert spec.shape.as_list() == [None, None, None, 3]
        assert spec.dtype == tf.float32
        assert signature.structured_outputs["default"].shape.as_list() == output_shape
        assert loaded.regularization_losses == []
        names = [v.name for v in loaded.trainable_variables]
        assert len(names) == variables
        assert names[0] == "block1_conv1/kernel:0"
        assert [g for g, _ in group_names(names)] == (
            BLOCKS if name == "feature_vector" else BLOCKS + ["top"])
    with pytest.raises(FileExistsError, match="already holds"):
        convert(export_dir)


@pytest.mark.large
def test_savedmodels_match_keras(converted, edges_model, feature_model):
    _, paths = converted
    images = _random_images((2, 75, 61, 3), seed=2)

    for name, model in [("edges", edges_model), ("feature_vector", feature_model)]:
        loaded = tf.saved_model.load(paths[name])
        expected = model(images, training=False).numpy()
        called = loaded(tf.constant(images), training=False).numpy()
        serving = loaded.signatures["serving_default"](
            images=tf.constant(images))["default"].numpy()

        np.testing.assert_allclose(called, expected, atol=1e-5, err_msg=name)
        np.testing.assert_allclose(serving, expected, atol=1e-5, err_msg=name)
