"""Human-rated sentiment snippets from four domains (the VADER paper's data).

Hutto & Gilbert (ICWSM 2014) had 20 or more raters score sentences from four
sources on a -4 (extremely negative) to +4 (extremely positive) scale; each
domain's `*_GroundTruth.txt` holds `ID<TAB>MEAN-RATING<TAB>TEXT` rows:

| dataset        | source                                   | rows   |
| -------------- | ---------------------------------------- | ------ |
| `vader_movies` | Rotten Tomatoes snippets (Pang & Lee)    | 10,605 |
| `vader_amazon` | sentences of 309 Amazon product reviews  | 3,708  |
| `vader_nyt`    | sentences of 500 NYT opinion articles    | 5,190  |
| `vader_tweets` | tweet-like texts (4,000 + 200 contrived) | 4,200  |

The files are in `additional_resources/hutto_ICWSM_2014.tar.gz`, a tarball
inside the sdist of the PyPI package `vaderSentiment==3.3.2` (MIT). The sdist
is fetched once with a pinned sha256
(`keras_transfer.backbones.sdists.fetch_sdist_members`), which copies only the
inner tarball into the cache; the inner tarball is checked against its own
pinned sha256 every time it is read, and only the one member a domain needs is
read from it, in memory, under a size bound.

Cleaning, in this order: HTML entities are unescaped and whitespace collapsed;
a snippet that repeats exactly is kept once, with the mean of its ratings;
snippets whose mean rating lies within `NEUTRAL_BAND` (0.5) of zero are
dropped as near-neutral; the label is the sign of the rating (`"negative"` 0,
`"positive"` 1). The band removes the snippets whose sign the raters barely
agree on: a repeated NYT sentence was rated 0.0 once and -0.05 the other time.
Snippets that differ only in case or punctuation stay apart: many of the 200
contrived tweets are such variants ("Yay. Another good phone interview." is
rated 1.44, "YAY!!! Another good phone interview!!!" 3.06; the 4,200 tweets
hold 4,045 distinct word sequences).

The train/test partition is fixed per domain and grouped: a third of the rows
go to test, a group at a time. Snippets with the same words (compared without
case and punctuation) form one group, so no text and none of its variants is
on both sides; for Amazon and NYT (ids `<document>_<sentence>`) each review or
article is one group too, joined with any group that shares a snippet's
words. `seed` only chooses and orders examples within a split's pool.

Each snippet's mean rating stays available as a regression target, aligned
with `x`: `keras_transfer.data.load_vader_ratings`.

The movie snippets are not a new domain next to the `rotten_tomatoes`
dataset: 10,453 of the 10,605 (compared case- and punctuation-insensitively)
are among its snippets. Never train on one and test on the other.
"""

import functools
import hashlib
import html
import io
import re
import tarfile

import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.backbones.sdists import fetch_sdist_members
from keras_transfer.data.array_split import ArraySplit
from keras_transfer.data.datasets.common import cached_arrays
from keras_transfer.data.datasets.common import check_num_examples
from keras_transfer.data.datasets.common import check_split
from keras_transfer.data.datasets.common import grouped_partition
from keras_transfer.data.datasets.common import stratified_sample
from keras_transfer.utils.argument_validation import check_int
from keras_transfer.utils.argument_validation import check_one_of

REQUIREMENT = "vaderSentiment==3.3.2"
INNER = "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"
INNER_SHA256 = "d5bb07d87474b3eb8d30b4deccbc23f19d742a6c5718fbacc65485b70b95c5fa"
_INNER_BOUND = 4 << 20  # the inner tarball is 2,338,514 bytes
_MEMBER_BOUND = 2 << 20  # the largest GroundTruth file is 1,383,098 bytes
# Dataset name -> member of the inner tarball.
DOMAINS = {
    "vader_movies": "hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt",
    "vader_amazon": "hutto_ICWSM_2014/amazonReviewSnippets_GroundTruth.txt",
    "vader_nyt": "hutto_ICWSM_2014/nytEditorialSnippets_GroundTruth.txt",
    "vader_tweets": "hutto_ICWSM_2014/tweets_GroundTruth.txt",
}
# Domains whose ids are "<document>_<sentence>": partitioned by document.
_BY_DOCUMENT = ("vader_amazon", "vader_nyt")
CLASS_NAMES = ("negative", "positive")
NEUTRAL_BAND = 0.5
_PARTITION_SEED = 1234
_TEST_SHARE = 1 / 3


def load_vader_sentiment(name, split="train", num_examples=None, seed=0,
                         archive=None):
    """Loads one domain's snippets with their negative (0) / positive (1) label.

    The registry's four `vader_*` entries are this function with `name`
    bound, so `keras_transfer.data.load_dataset("vader_tweets", ...)` calls
    `load_vader_sentiment("vader_tweets", ...)`.

    Args:
        name: str. `"vader_movies"`, `"vader_amazon"`, `"vader_nyt"` or
            `"vader_tweets"`.
        split: str. `"train"` or `"test"`. Defaults to `"train"`.
        num_examples: int. How many snippets to return, keeping the pool's
            class shares. Defaults to `None` (the whole pool).
        seed: int. Chooses and orders the snippets within the split.
            Defaults to `0`.
        archive: str. A local copy of the `vaderSentiment-3.3.2.tar.gz`
            sdist, for machines without access to PyPI; its sha256 is checked
            as a download's is. Defaults to `None` (fetch it with pip).

    Returns:
        `keras_transfer.data.ArraySplit` with `x` a str array of shape
        `(num_examples,)`, `y` int32 labels and
        `class_names == ("negative", "positive")`.

    Raises:
        ValueError: if an argument is invalid, or a data file is malformed.
        RuntimeError: if the sdist cannot be downloaded (pass `archive`) or
            an archive is not the pinned one.

    Example:

    ```python
    x, y, names = keras_transfer.data.load_dataset(
        "vader_amazon", split="test")
    ```
    """
    arrays = _load(name, split, num_examples, seed, archive)
    return ArraySplit(arrays["x"], arrays["y"].astype(np.int32), CLASS_NAMES)


@keras_transfer_export("keras_transfer.data.load_vader_ratings")
def load_vader_ratings(name, split="train", num_examples=None, seed=0,
                       archive=None):
    """Returns the mean human ratings of the snippets a `vader_*` dataset loads.

    The same arguments as `keras_transfer.data.load_dataset(name, split,
    num_examples=..., seed=...)` give the same snippets in the same order, so
    `ratings[i]` is the rating of `x[i]` (a regression target next to the
    class label; `y[i] == (ratings[i] > 0)`).

    Args:
        name: str. `"vader_movies"`, `"vader_amazon"`, `"vader_nyt"` or
            `"vader_tweets"`.
        split: str. `"train"` or `"test"`. Defaults to `"train"`.
        num_examples: int. As for the dataset. Defaults to `None` (the whole
            pool).
        seed: int. As for the dataset. Defaults to `0`.
        archive: str. A local copy of the sdist, as for the dataset. Defaults
            to `None`.

    Returns:
        float32 array of shape `(num_examples,)`, mean ratings on the -4..4
        scale, none within 0.5 of zero.

    Raises:
        ValueError: if an argument is invalid.
        RuntimeError: if the sdist cannot be fetched or is not the pinned one.

    Example:

    ```python
    x, y, _ = keras_transfer.data.load_dataset("vader_tweets", seed=0)
    ratings = keras_transfer.data.load_vader_ratings("vader_tweets", seed=0)
    ```
    """
    return _load(name, split, num_examples, seed, archive)["rating"]


def loader(name):
    """Returns `load_vader_sentiment` with `name` bound (a registry loader)."""
    check_one_of(name, "name", tuple(DOMAINS))
    return functools.partial(load_vader_sentiment, name)


def _load(name, split, num_examples, seed, archive):
    """Returns the cached dict of `x`, `y` and `rating` arrays of a sample."""
    check_one_of(name, "name", tuple(DOMAINS))
    check_split(name, split)
    check_int(seed, "seed", minimum=0)
    if num_examples is not None:
        check_int(num_examples, "num_examples", minimum=1)

    def build():
        texts, ratings, groups = read_domain(name, archive)
        labels = (ratings > 0).astype(np.int32)
        pool = grouped_partition(groups, _TEST_SHARE, _PARTITION_SEED)[split]
        count = check_num_examples(num_examples, len(pool), split)
        picked = pool[stratified_sample(labels[pool], count, seed)]
        return {"x": texts[picked], "y": labels[picked],
                "rating": ratings[picked]}

    return cached_arrays(
        name,
        {"split": split, "num_examples": num_examples, "seed": int(seed),
         "source": REQUIREMENT, "neutral_band": NEUTRAL_BAND, "version": 1},
        build,
    )


def read_domain(name, archive=None):
    """Reads, cleans and filters one domain.

    Args:
        name: str. A key of `DOMAINS`.
        archive: str. A local copy of the sdist. Defaults to `None`.

    Returns:
        `(texts, ratings, groups)`: str array of unique snippets, their
        float32 mean ratings (none within `NEUTRAL_BAND` of zero) and the
        group of each for the partition: snippets with the same words (up
        to case and punctuation), and for Amazon and NYT snippets of the same
        document, share a group.
    """
    member = DOMAINS[name]
    rows = parse_ground_truth(_read_member(_inner_archive(archive), member),
                              member)
    ratings, words_of, parent = {}, {}, {}
    for ident, rating, text in rows:
        ratings.setdefault(text, []).append(rating)
        words = "words:" + (re.sub(r"\W+", "", text.casefold())
                            or text.casefold())
        if name in _BY_DOCUMENT:
            _union(parent, "document:" + ident.split("_")[0], words)
        words_of[text] = words
    texts = np.array(list(ratings))
    means = np.array([sum(r) / len(r) for r in ratings.values()])
    groups = np.array([_find(parent, words_of[text]) for text in ratings])
    keep = np.abs(means) >= NEUTRAL_BAND
    return texts[keep], means[keep].astype(np.float32), groups[keep]


def _find(parent, key):
    """Root of `key` in the union-find forest `parent` (halving paths)."""
    parent.setdefault(key, key)
    while parent[key] != key:
        parent[key] = parent[parent[key]]
        key = parent[key]
    return key


def _union(parent, a, b):
    """Puts `a` and `b` in one group of the union-find forest `parent`."""
    root_a, root_b = _find(parent, a), _find(parent, b)
    if root_a != root_b:
        parent[max(root_a, root_b)] = min(root_a, root_b)


def parse_ground_truth(raw, member):
    """Parses a `*_GroundTruth.txt` file into `(id, rating, text)` rows.

    Args:
        raw: bytes. The file, UTF-8.
        member: str. Its name, for error messages.

    Returns:
        list of `(id, mean rating, cleaned text)`, rows with empty text left
        out.

    Raises:
        ValueError: if the file is not UTF-8, or a line does not hold an id,
            a rating in [-4, 4] and a text separated by tabs.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{member} is not UTF-8 ({error.reason} at byte {error.start})."
        ) from None
    rows = []
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        fields = line.split("\t")
        rating = _rating(fields[1]) if len(fields) == 3 else None
        if rating is None:
            raise ValueError(
                f"{member} line {number} is not 'id<TAB>rating in "
                f"[-4, 4]<TAB>text': {line[:80]!r}"
            )
        snippet = " ".join(html.unescape(fields[2]).split())
        if snippet:
            rows.append((fields[0], rating, snippet))
    return rows


def _rating(field):
    """The float in `field` when it is a rating in [-4, 4], else None."""
    try:
        value = float(field)
    except ValueError:
        return None
    return value if -4.0 <= value <= 4.0 else None


def _inner_archive(archive=None):
    """Returns the bytes of the inner tarball, checked against its pin."""
    folder = fetch_sdist_members(REQUIREMENT, {INNER: _INNER_BOUND},
                                 archive=archive)
    path = folder / INNER
    with open(path, "rb") as f:
        data = f.read(_INNER_BOUND + 1)
    digest = hashlib.sha256(data).hexdigest()
    if digest != INNER_SHA256:
        raise RuntimeError(
            f"{path} has sha256 {digest}, not the pinned {INNER_SHA256}; "
            f"refusing to read it. Delete {folder} to fetch it again."
        )
    return data


def _read_member(archive_bytes, member):
    """Reads one regular file out of a `.tar.gz` held in memory, bounded."""
    try:
        tar = tarfile.open(fileobj=io.BytesIO(archive_bytes), mode="r:gz")
    except (tarfile.TarError, OSError) as error:
        raise RuntimeError(
            f"The VADER data archive is not a .tar.gz ({error})."
        ) from None
    with tar:
        try:
            info = tar.getmember(member)
        except KeyError:
            raise RuntimeError(
                f"The VADER data archive lacks {member!r}."
            ) from None
        if not info.isreg() or info.size > _MEMBER_BOUND:
            raise RuntimeError(
                f"{member!r} in the VADER data archive is not a regular file "
                f"of at most {_MEMBER_BOUND} bytes."
            )
        with tar.extractfile(info) as f:
            data = f.read(_MEMBER_BOUND + 1)
    if len(data) > _MEMBER_BOUND:
        raise RuntimeError(
            f"{member!r} in the VADER data archive is larger than "
            f"{_MEMBER_BOUND} bytes."
        )
    return data
