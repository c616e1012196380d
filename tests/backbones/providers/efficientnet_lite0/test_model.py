"""Tests for efficientnet_lite0/model.py.

The Keras network, with and without weights.
"""

import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.backbones.providers.efficientnet_lite0.model import build_model


ESPRESSO = 967
DOMESTIC_CATS = {281, 282, 283, 284, 285}


def test_known_answers_on_keras_model(imagenet_model, photos):
    probabilities = tf.nn.softmax(
        imagenet_model(photos, training=False)).numpy()

    coffee, cat = probabilities
    assert int(np.argmax(coffee)) == ESPRESSO
    assert coffee[ESPRESSO] > 0.9
    assert int(np.argmax(cat)) in DOMESTIC_CATS
    assert cat[sorted(DOMESTIC_CATS)].sum() > 0.9


def test_variable_paths_read_input_to_output(imagenet_model):
    paths = [v.path for v in imagenet_model.weights]

    assert paths[:2] == ["stem_conv/kernel", "stem_bn/gamma"]
    assert paths[-2:] == ["predictions/kernel", "predictions/bias"]
    block_order = [int(p.split("_")[1]) for p in paths if p.startswith("block_")]
    assert block_order == sorted(block_order)
    assert set(block_order) == set(range(16))
    assert "block_0_expand_conv/kernel" not in paths
    assert "block_1_expand_conv/kernel" in paths


def test_feature_model_accepts_any_image_size():
    model = build_model(include_top=False)

    assert model.input.shape == (None, None, None, 3)
    assert model(np.zeros((2, 96, 128, 3), "float32")).shape == (2, 1280)
    assert model.layers[-1].name == "avg_pool"


def test_build_model_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="Received: weights='imagenet21k'"):
        build_model(weights="imagenet21k")
    with pytest.raises(ValueError, match="Received: include_top='yes'"):
        build_model(include_top="yes")
    with pytest.raises(ValueError, match="Received: weights=3"):
        build_model(weights=3)
    with pytest.raises(ValueError, match="missing.pth"):
        build_model(weights=tmp_path / "missing.pth")
