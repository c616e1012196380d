"""Tests of char_lm_dataset: every window equals encode_chars of the text so far."""

import numpy as np
import pytest

from keras_transfer.language_models.char_lm_dataset import char_lm_dataset
from keras_transfer.language_models.encode_chars import encode_chars
from tests.language_models.tiny import VOCAB


def _examples(dataset):
    contexts, targets = zip(*[(x.numpy(), y.numpy()) for x, y in dataset])
    return np.concatenate(contexts), np.concatenate(targets)


def test_windows_match_encode_chars_and_stay_in_their_text():
    texts = ["abcabca", "", "cb", "zb"]  # "z" is not in VOCAB: index 0
    contexts, targets = _examples(char_lm_dataset(texts, VOCAB, max_length=4, batch_size=3,
                                                  shuffle=False))
    expected_contexts, expected_targets = [], []
    for text in texts:  # an independent reading: prefixes of <s> text <s>
        following = [VOCAB.get(c, 0) for c in text] + [VOCAB["<s>"]]
        for i, target in enumerate(following):
            expected_contexts.append(encode_chars(text[:i], VOCAB, 4))
            expected_targets.append(target)
    assert len(targets) == sum(len(t) + 1 for t in texts) == 15
    np.testing.assert_array_equal(contexts, np.stack(expected_contexts))
    np.testing.assert_array_equal(targets, expected_targets)
    # The first window of the second text ("") does not see "abcabca".
    np.testing.assert_array_equal(contexts[8], [0, 0, 0, 1])


def test_shuffled_is_a_seeded_permutation():
    texts = ["abcab", "bca", "cc"]
    ordered = _examples(char_lm_dataset(texts, VOCAB, 3, batch_size=4, shuffle=False))
    first = _examples(char_lm_dataset(texts, VOCAB, 3, batch_size=4, seed=1))
    again = _examples(char_lm_dataset(texts, VOCAB, 3, batch_size=4, seed=1))
    np.testing.assert_array_equal(first[0], again[0])
    assert not np.array_equal(first[0], ordered[0])
    key = lambda x, y: sorted(map(tuple, np.column_stack([x, y])))  # noqa: E731
    assert key(*first) == key(*ordered)


def test_errors():
    with pytest.raises(ValueError, match="non-empty list of str"):
        char_lm_dataset([], VOCAB)
    with pytest.raises(ValueError, match="non-empty list of str"):
        char_lm_dataset("abc", VOCAB)
    with pytest.raises(ValueError, match="str only"):
        char_lm_dataset(["ab", 3], VOCAB)
    with pytest.raises(ValueError, match="start_token"):
        char_lm_dataset(["ab"], {"a": 1})
    with pytest.raises(ValueError, match="max_length"):
        char_lm_dataset(["ab"], VOCAB, max_length=0)
