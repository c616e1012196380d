"""Tests for vgg16_hed/layers.py: `SideOutputResize`."""

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.backbones.providers.vgg16_hed.layers import SideOutputResize


def _random_images(shape, seed=0):
    return np.random.default_rng(seed).uniform(size=shape).astype("float32")


def test_side_output_resize_matches_tf_resize_and_serializes():
    layer = SideOutputResize(name="resize")
    x = _random_images((2, 5, 7, 1))
    reference = np.zeros((2, 67, 93, 3), "float32")

    out = layer([x, reference]).numpy()
    rebuilt = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(layer))

    np.testing.assert_array_equal(
        out, tf.image.resize(x, (67, 93), method="bilinear").numpy())
    assert layer.compute_output_shape(((None, 5, 7, 1), (None, 67, 93, 3))) == (
        None, 67, 93, 1)
    assert isinstance(rebuilt, SideOutputResize)
    assert rebuilt.name == "resize"
