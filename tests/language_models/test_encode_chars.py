"""Tests of encode_chars: textgenrnn's encoding (start token, left padding, truncation)."""

import numpy as np
import pytest

from keras_transfer.language_models.encode_chars import encode_chars

VOCAB = {"<s>": 1, "a": 2, "b": 3}


def test_start_token_then_characters_left_padded():
    np.testing.assert_array_equal(encode_chars("ab", VOCAB, 5), [0, 0, 1, 2, 3])
    np.testing.assert_array_equal(encode_chars("", VOCAB, 3), [0, 0, 1])
    assert encode_chars("ab", VOCAB, 5).dtype == np.int32


def test_keeps_the_last_characters_and_unknown_ones_are_zero():
    # As textgenrnn: text[-maxlen:] of ["<s>", ...], then vocab.get(x, 0).
    np.testing.assert_array_equal(encode_chars("abzab", VOCAB, 4), [3, 0, 2, 3])
    np.testing.assert_array_equal(encode_chars("ab", VOCAB, 4, start_token=None),
                                  [0, 0, 2, 3])
    # "<s>" typed in a text is three characters, not the start token.
    np.testing.assert_array_equal(encode_chars("<s>", VOCAB, 4), [1, 0, 0, 0])


def test_validation():
    with pytest.raises(ValueError, match=r"`text` must be a str. Received: text=\['a'\]"):
        encode_chars(["a"], VOCAB, 4)
    with pytest.raises(ValueError, match=r"`max_length` must be an integer >= 1. "
                                         r"Received: max_length=0"):
        encode_chars("a", VOCAB, 0)
    with pytest.raises(ValueError, match=r"`start_token` must be an entry of `vocab`"):
        encode_chars("a", VOCAB, 4, start_token="<bos>")
