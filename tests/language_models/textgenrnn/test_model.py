"""Tests of build_textgenrnn: textgenrnn's layer names and shapes."""

import numpy as np
import pytest

from keras_transfer.language_models.textgenrnn.model import build_textgenrnn


def test_layers_and_shapes_are_textgenrnns():
    model = build_textgenrnn()
    assert [layer.name for layer in model.layers] == [
        "input", "embedding", "rnn_1", "rnn_2", "rnn_concat", "attention", "output"]
    assert model.input_shape == (None, 40) and model.output_shape == (None, 465)
    assert model.get_layer("rnn_concat").output.shape == (None, 40, 356)
    assert model.count_params() == 461_693
    probs = np.asarray(model(np.zeros((2, 40), "int32")))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_validation():
    with pytest.raises(ValueError, match=r"`rnn_layers` must be an integer >= 1. "
                                         r"Received: rnn_layers=0"):
        build_textgenrnn(rnn_layers=0)
