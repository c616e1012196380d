"""Tests of predict_entities (a token classifier's word tags and entity spans)."""

import numpy as np
import pytest

from keras_transfer.data.word_pieces import align_word_labels
from keras_transfer.evaluation.evaluate_entities import entity_spans
from keras_transfer.evaluation.predict_entities import predict_entities
from tests import tiny_tagger
from tests.tiny_tagger import SENTENCES
from tests.tiny_tagger import TAG_NAMES


@pytest.fixture(scope="module")
def tagger(tmp_path_factory):
    root = tmp_path_factory.mktemp("tagger")
    return tiny_tagger.toy_tokenizer(str(root)), tiny_tagger.token_classifier(str(root))


def expected_tags(model, tokenizer, sentences, seq_length):
    """By hand: the whole padded batch at once, argmax at each first piece."""
    batch = align_word_labels(tokenizer, sentences, seq_length=seq_length)
    scores = np.asarray(model(batch["inputs"]))
    return [[TAG_NAMES[scores[row, p].argmax()] if p >= 0 else "O" for p in positions]
            for row, positions in enumerate(batch["word_positions"])]


def test_tags_and_spans_match_the_whole_padded_batch(tagger):
    tokenizer, model = tagger
    sentences = SENTENCES * 3
    result = predict_entities(model, tokenizer, sentences, TAG_NAMES, batch_size=2)
    expected = expected_tags(model, tokenizer, sentences, 128)
    assert result["tags"] == expected
    assert [len(t) for t in result["tags"]] == [len(s) for s in sentences]
    assert result["spans"] == [entity_spans(t) for t in expected]
    # The scaled head gives different words different tags: the test can fail.
    assert len({tag for tags in expected for tag in tags}) >= 2


def test_words_past_the_window_are_outside(tagger):
    tokenizer, model = tagger
    # seq_length 6 keeps 4 pieces: "@ paul ##walk empire", not "state building jim".
    result = predict_entities(model, tokenizer, SENTENCES[1:2], TAG_NAMES, seq_length=6)
    assert result["tags"][0][2:] == ["O", "O", "O"]
    assert result["tags"] == expected_tags(model, tokenizer, SENTENCES[1:2], 6)


def test_errors(tagger):
    tokenizer, model = tagger
    with pytest.raises(ValueError, match=r"`batch_size` must be an integer >= 1"):
        predict_entities(model, tokenizer, SENTENCES, TAG_NAMES, batch_size=0)
    with pytest.raises(ValueError, match=r"scores 5 tags but `tag_names` has 3"):
        predict_entities(model, tokenizer, SENTENCES, TAG_NAMES[:3])
