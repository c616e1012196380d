"""Tests for efficientnet_lite0/convert.py: the two TF Hub-format SavedModels."""

import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.backbones.providers.efficientnet_lite0.convert import convert


@pytest.mark.large
def test_convert_writes_hub_savedmodels(converted):
    export_dir, paths = converted

    assert paths == {"feature_vector": str(export_dir / "feature_vector"),
                     "classification": str(export_dir / "classification"),
                     "feature_map": str(export_dir / "feature_map")}
    for name, width in [("feature_vector", 1280), ("classification", 1000),
                        ("feature_map", 1280)]:
        loaded = tf.saved_model.load(paths[name])
        signature = loaded.signatures["serving_default"]
        spec = signature.structured_input_signature[1]["images"]
        assert spec.shape.as_list() == [None, None, None, 3]
        assert spec.dtype == tf.float32
        assert signature.structured_outputs["default"].shape.as_list() == (
            [None, None, None, width] if name == "feature_map" else [None, width])
        assert loaded.regularization_losses == []
        names = [v.name for v in loaded.variables]
        assert names[0] == "stem_conv/kernel:0"
        assert len(loaded.trainable_variables) == (149 if width == 1000 else 147)
    with pytest.raises(FileExistsError, match="already holds"):
        convert(export_dir)


@pytest.mark.large
def test_savedmodel_matches_keras_logits(converted, imagenet_model, photos):
    _, paths = converted
    loaded = tf.saved_model.load(paths["classification"])

    saved_logits = loaded(tf.constant(photos), training=False).numpy()
    serving = loaded.signatures["serving_default"](
        images=tf.constant(photos))["default"].numpy()
    keras_logits = imagenet_model(photos, training=False).numpy()

    np.testing.assert_allclose(saved_logits, keras_logits, atol=1e-5)
    np.testing.assert_allclose(serving, keras_logits, atol=1e-5)
    features = tf.saved_model.load(paths["feature_vector"])
    pooled = features(tf.constant(photos), training=False).numpy()
    head = imagenet_model.get_layer("predictions")
    np.testing.assert_allclose(
        pooled @ head.kernel.numpy() + head.bias.numpy(), keras_logits,
        atol=1e-4)
