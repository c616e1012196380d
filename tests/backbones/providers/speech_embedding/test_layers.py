"""Tests for speech_embedding/layers.py: `MelSpectrogram` and `FlooredLeakyReLU`."""

import numpy as np
import pytest

from keras_transfer.backbones.providers.speech_embedding.layers import (
    FlooredLeakyReLU, MelSpectrogram)
from keras_transfer.backbones.providers.speech_embedding.model import (
    build_embedding_model)


def test_argument_errors():
    with pytest.raises(ValueError, match=r"`weights` must be .*weights=42"):
        build_embedding_model(weights=42)
    with pytest.raises(ValueError, match=r"`top_db` must be > 0. Received: top_db=0"):
        MelSpectrogram(top_db=0)
    with pytest.raises(ValueError, match=r"`hop_length` must be a positive int"):
        MelSpectrogram(hop_length=0)
    with pytest.raises(ValueError, match=r"`floor` must be <= 0. Received: floor=1"):
        FlooredLeakyReLU(floor=1)


def test_floored_leaky_relu_values_and_config():
    layer = FlooredLeakyReLU()
    out = np.asarray(layer(np.array([-5.0, -1.0, 0.0, 2.0], np.float32)))
    np.testing.assert_allclose(out, [-0.4, -0.2, 0.0, 2.0], atol=1e-7)
    clone = FlooredLeakyReLU.from_config(layer.get_config())
    assert (clone.negative_slope, clone.floor) == (0.2, -0.4)
