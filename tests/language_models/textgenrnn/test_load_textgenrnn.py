"""Known answers of the pretrained textgenrnn LM, and why the gate conversion is needed."""

import keras
import numpy as np
import pytest

from keras_transfer.language_models import generate, next_char_probabilities
from keras_transfer.language_models.textgenrnn.model import build_textgenrnn
from keras_transfer.language_models.textgenrnn.weights import (
    keras_weights, read_hdf5_weights, read_vocab)

PROMPT = "Thank you very muc"


def _top(probs, k=3):
    return [(c, round(probs[c], 4)) for c in sorted(probs, key=probs.get, reverse=True)[:k]]


def test_known_answer(loaded):
    model, vocab = loaded
    assert model.count_params() == 461_693
    assert len(vocab) == 464 and vocab["<s>"] == 464
    probs = next_char_probabilities(model, vocab, PROMPT)
    assert max(probs, key=probs.get) == "h"
    assert probs["h"] > 0.95
    # Measured: [('h', 0.9936), ('i', 0.0031), (' ', 0.0021)].
    assert probs["h"] == pytest.approx(0.9936, abs=2e-3), _top(probs)


def test_without_the_cudnn_conversion_the_answer_is_wrong(files, loaded):
    """Loading the saved LSTM arrays as they are (bias summed only) gives garbage."""
    weights_path, vocab_path = files
    vocab = read_vocab(vocab_path)
    raw = read_hdf5_weights(weights_path)
    naive = build_textgenrnn()
    for layer, arrays in raw.items():
        if layer.startswith("rnn_"):
            kernel, recurrent_kernel, bias = arrays
            arrays = [kernel, recurrent_kernel, bias[:512] + bias[512:]]
        naive.get_layer(layer).set_weights(arrays)
    probs = next_char_probabilities(naive, vocab, PROMPT)
    # Measured: [('=', 0.9363), ('—', 0.0539), ('“', 0.0096)].
    assert max(probs, key=probs.get) == "="
    assert probs["h"] < 0.01, _top(probs)
    # The converted arrays are what load_textgenrnn put in the model.
    model, _ = loaded
    for layer, arrays in keras_weights(raw).items():
        for actual, expected in zip(model.get_layer(layer).get_weights(), arrays):
            np.testing.assert_array_equal(actual, expected)


def test_generates_deterministically_and_greedily_completes_much(loaded):
    model, vocab = loaded
    text = generate(model, vocab, "The movie was", num_chars=40, temperature=0.5, seed=0)
    assert generate(model, vocab, "The movie was", num_chars=40, temperature=0.5,
                    seed=0) == text
    assert 0 < len(text) <= 40 and set(text) <= set(vocab)
    assert generate(model, vocab, PROMPT, num_chars=1, temperature=0) == "h"


def test_saves_and_loads_as_keras(loaded, tmp_path):
    model, vocab = loaded
    path = tmp_path / "textgenrnn.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)
    probs = next_char_probabilities(reloaded, vocab, PROMPT)
    assert probs["h"] == pytest.approx(next_char_probabilities(model, vocab, PROMPT)["h"],
                                       abs=1e-6)
