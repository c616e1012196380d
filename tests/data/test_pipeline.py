"""Tests of the shared preprocessing helpers."""

import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.data import pipeline


def test_prepare_images_scales_and_repeats_gray():
    gray = tf.constant(np.full((2, 4, 4, 1), 255, np.uint8))
    out = pipeline.prepare_images(gray, (8, 6), scale=False)
    assert out.shape == (2, 8, 6, 3)
    np.testing.assert_allclose(out.numpy(), 255.0)
    floats = tf.fill((4, 4, 3), 127.5)
    assert float(pipeline.prepare_images(floats, None, scale=False)[0, 0, 0]) == 127.5
    unit = pipeline.prepare_images(floats / 255, None, scale=True)
    assert float(unit[0, 0, 0]) == 127.5


def test_prepare_audio_int16_and_length():
    x = tf.constant([[16384, -32768, 0, 0]], tf.int16)
    out = pipeline.prepare_audio(x, None, None, 6).numpy()
    np.testing.assert_allclose(out, [[0.5, -1.0, 0, 0, 0, 0]])


def test_check_helpers():
    assert pipeline.normalize_image_size(96) == (96, 96)
    with pytest.raises(ValueError, match=r"Received: sample_rate=-5"):
        pipeline.check_common(8, None, -5, None)
    with pytest.raises(ValueError, match=r"\['sample_rate'\] do not apply to "
                       r"modality='image'"):
        pipeline.check_unused("image", sample_rate=16000, image_size=None)
