"""Tests for tiny_face_detector/model.py: the Keras network against face-api's forward pass."""

import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.backbones.providers.tiny_face_detector.config import MEAN_RGB
from keras_transfer.backbones.providers.tiny_face_detector.model import build_model


def _leaky(x):  # face-api's tinyYolov2/leaky.ts, literally
    minimum = x * 0.10000000149011612
    return tf.nn.relu(x - minimum) + minimum


def _separable(x, tensors, prefix):  # tinyYolov2/depthwiseSeparableConv.ts
    x = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])
    x = tf.nn.separable_conv2d(x, tensors[f"{prefix}/depthwise_filter"],
                               tensors[f"{prefix}/pointwise_filter"],
                               [1, 1, 1, 1], "VALID")
    return _leaky(x + tensors[f"{prefix}/bias"])


def face_api_forward(pixels, tensors):
    """TinyYolov2Base.forwardInput + runMobilenet for the Tiny face detector."""
    x = (pixels - np.array(MEAN_RGB, "float32")) / 255.0
    x = _leaky(tf.nn.conv2d(x, tensors["conv0/filters"], 1, "VALID") + tensors["conv0/bias"])
    for index, stride in zip(range(1, 6), (2, 2, 2, 2, 2)):
        x = tf.nn.max_pool2d(x, 2, stride, "SAME")
        x = _separable(x, tensors, f"conv{index}")
    x = tf.nn.max_pool2d(x, 2, 1, "SAME")
    return tf.nn.conv2d(x, tensors["conv8/filters"], 1, "VALID") + tensors["conv8/bias"]


def test_matches_face_api_forward_pass(tensors, detector):
    pixels = np.random.default_rng(0).uniform(0, 255, (2, 128, 96, 3)).astype("float32")

    expected = face_api_forward(pixels, tensors).numpy()
    out = detector(pixels / 255.0, training=False).numpy()

    assert out.shape == (2, 4, 3, 25)
    np.testing.assert_allclose(out, expected, atol=2e-4)
    assert np.abs(expected).max() > 1.0  # not a degenerate all-zero comparison


def test_feature_vector_and_random_initialization(root, detector):
    features = build_model(weights=root, include_top=False)
    images = np.random.default_rng(1).uniform(size=(1, 64, 64, 3)).astype("float32")

    vectors = features(images).numpy()
    blank = build_model()

    assert vectors.shape == (1, 512)
    assert "conv8" not in [layer.name for layer in features.layers]
    np.testing.assert_array_equal(features.get_layer("conv5").get_weights()[2],
                                  detector.get_layer("conv5").get_weights()[2])
    assert not np.allclose(blank.get_layer("conv5").get_weights()[2],
                           detector.get_layer("conv5").get_weights()[2])


@pytest.mark.parametrize("weights, include_top, message", [
    ("imagenet", True, "`weights` must be None, 'face_api' or an existing folder"),
    (None, 1, "`include_top` must be a bool. Received: include_top=1"),
])
def test_refuses_bad_arguments(weights, include_top, message):
    with pytest.raises(ValueError, match=message):
        build_model(weights=weights, include_top=include_top)
