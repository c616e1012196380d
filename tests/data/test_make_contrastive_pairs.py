import numpy as np
import pytest

from keras_transfer.data.make_contrastive_pairs import make_contrastive_pairs

TEXTS = ["a0", "a1", "a2", "b0", "b1", "c0"]
LABELS = [0, 0, 0, 1, 1, 2]
LABEL_OF = dict(zip(TEXTS, LABELS))


def test_two_balanced_pairs_per_example_per_iteration():
    pairs, targets = make_contrastive_pairs(TEXTS, LABELS, num_iterations=3, seed=0)
    assert len(targets) == 2 * 3 * len(TEXTS)
    assert targets.dtype == np.float32
    assert targets.sum() == len(targets) / 2
    for a, b, target in zip(pairs["text_a"], pairs["text_b"], targets):
        assert (LABEL_OF[a] == LABEL_OF[b]) == (target == 1.0), (a, b, target)
        if target == 1.0 and LABEL_OF[a] != 2:  # "c0" is alone in its class
            assert a != b
    # Every example is an anchor once per iteration (twice: one pair of each kind).
    anchors, counts = np.unique(pairs["text_a"], return_counts=True)
    assert list(anchors) == sorted(TEXTS) and set(counts) == {6}


def test_same_seed_same_pairs_other_seed_other_pairs():
    a = make_contrastive_pairs(TEXTS, LABELS, num_iterations=2, seed=1)
    b = make_contrastive_pairs(TEXTS, LABELS, num_iterations=2, seed=1)
    c = make_contrastive_pairs(TEXTS, LABELS, num_iterations=2, seed=2)
    np.testing.assert_array_equal(a[0]["text_b"], b[0]["text_b"])
    np.testing.assert_array_equal(a[1], b[1])
    assert list(a[0]["text_a"]) != list(c[0]["text_a"])


def test_num_pairs_overrides_iterations():
    pairs, targets = make_contrastive_pairs(TEXTS, LABELS, num_iterations=50, num_pairs=7)
    assert len(targets) == len(pairs["text_a"]) == len(pairs["text_b"]) == 7
    assert targets.sum() == 4  # the last negative of the 8th pair is dropped


@pytest.mark.parametrize("kwargs, message", [
    (dict(texts=["a", "b"], labels=[0, 0]), "at least two classes"),
    (dict(texts=["a", "b"], labels=[0]), "same length"),
    (dict(texts=TEXTS, labels=LABELS, num_iterations=0), "num_iterations=0"),
    (dict(texts=TEXTS, labels=LABELS, num_pairs=1), "num_pairs=1"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_contrastive_pairs(**kwargs)
