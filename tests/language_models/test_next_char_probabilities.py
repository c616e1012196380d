"""Tests of next_char_probabilities on tiny models (the real model: textgenrnn/)."""

import numpy as np
import pytest

from keras_transfer.language_models.next_char_probabilities import next_char_probabilities
from tests.language_models.tiny import VOCAB, fixed_model, random_model


def test_returns_the_model_output_per_vocab_entry():
    probs = next_char_probabilities(fixed_model([0.1, 0.2, 0.3, 0.25, 0.15]), VOCAB, "ab")
    assert sorted(probs) == sorted(VOCAB)
    np.testing.assert_allclose([probs[c] for c in ("<s>", "a", "b", "c")],
                               [0.2, 0.3, 0.25, 0.15], atol=1e-6)


def test_reads_the_encoded_context():
    model = random_model()
    from keras_transfer.language_models.encode_chars import encode_chars

    for text in ("", "abc", "cccccccccab"):
        expected = np.asarray(model(encode_chars(text, VOCAB, 6)[None]))[0]
        probs = next_char_probabilities(model, VOCAB, text)
        np.testing.assert_allclose([probs[c] for c in VOCAB],
                                   expected[list(VOCAB.values())], atol=1e-6)
    assert next_char_probabilities(model, VOCAB, "a") != next_char_probabilities(
        model, VOCAB, "c")


def test_vocab_must_fit_the_model():
    model = fixed_model([0.2] * 5)
    for vocab in ({"a": 5}, {"a": 0}, {}, {"a": "1"}):
        with pytest.raises(ValueError, match=r"`vocab` must be a non-empty dict of "
                                             r"characters -> indices in \[1, 4\]"):
            next_char_probabilities(model, vocab, "a", start_token=None)
