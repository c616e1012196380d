"""export_token_classifier: raw sentences in, per-word tags out, as predict_entities."""

import os

import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.data.word_pieces import align_word_labels
from keras_transfer.evaluation.predict_entities import predict_entities
from keras_transfer.export.export_token_classifier import export_token_classifier
from keras_transfer.export.required_custom_ops import required_custom_ops
from keras_transfer.export.unsafe_ops import find_unsafe_ops
from keras_transfer.models.build_token_classifier import build_token_classifier
from tests import savedmodels
from tests import tiny_tagger
from tests.tiny_tagger import TAG_NAMES

TEXTS = ["Jim Henson puppeteer", "@paulwalk  Empire State\tBuilding jim", "puppeteer"]


@pytest.fixture(scope="module")
def tagger(tmp_path_factory):
    root = tmp_path_factory.mktemp("tagger")
    return tiny_tagger.toy_tokenizer(str(root)), tiny_tagger.token_classifier(str(root))


def served(path):
    return tf.saved_model.load(path).signatures["serving_default"]


def test_served_tags_equal_the_python_path(tagger, tmp_path):
    tokenizer, model = tagger
    path = export_token_classifier(model, tmp_path / "ner", tokenizer, TAG_NAMES)
    assert path == str(tmp_path / "ner" / "1")
    assert os.path.exists(os.path.join(path, "assets.extra", "tf_serving_warmup_requests"))
    # The vocabulary travels with the export.
    assert os.listdir(os.path.join(path, "assets")) == ["vocab.txt"]
    # No file or process ops; TF Text's WordPiece ops are needed to serve it.
    assert find_unsafe_ops(path) == []
    assert "WordpieceTokenizeWithOffsets" in required_custom_ops(path)
    out = served(path)(text=tf.constant(TEXTS))

    sentences = [text.split() for text in TEXTS]
    expected = predict_entities(model, tokenizer, sentences, TAG_NAMES)["tags"]
    np.testing.assert_array_equal(out["num_words"].numpy(), [3, 5, 1])
    words = [[w.decode() for w in row[:n]]
             for row, n in zip(out["words"].numpy(), out["num_words"].numpy())]
    assert words == sentences
    tags = [[t.decode() for t in row[:n]]
            for row, n in zip(out["tags"].numpy(), out["num_words"].numpy())]
    assert tags == expected
    assert len({t for row in tags for t in row}) >= 2
    # Padding, and the index/score of each word from the model itself.
    assert out["tags"].shape == (3, 5) and out["tags"].numpy()[0, 3] == b""
    assert out["tag_index"].numpy()[2].tolist() == [TAG_NAMES.index(expected[2][0]),
                                                    -1, -1, -1, -1]
    batch = align_word_labels(tokenizer, sentences)
    scores = np.asarray(model(batch["inputs"]))
    for row, positions in enumerate(batch["word_positions"]):
        np.testing.assert_allclose(out["score"].numpy()[row, :len(positions)],
                                   scores[row, positions].max(-1), atol=1e-5)


def test_words_past_the_window_are_outside_with_score_zero(tagger, tmp_path):
    tokenizer, model = tagger
    path = export_token_classifier(model, tmp_path / "ner", tokenizer, TAG_NAMES,
                                   seq_length=6, warmup=False)
    out = served(path)(text=tf.constant([TEXTS[1]]))
    sentence = TEXTS[1].split()
    expected = predict_entities(model, tokenizer, [sentence], TAG_NAMES, seq_length=6)
    tags = [t.decode() for t in out["tags"].numpy()[0]]
    assert tags == expected["tags"][0] and tags[2:] == ["O", "O", "O"]
    np.testing.assert_array_equal(out["score"].numpy()[0, 2:], 0.0)
    assert (out["score"].numpy()[0, :2] > 0).all()


def test_empty_text_is_refused_by_index(tagger, tmp_path):
    tokenizer, model = tagger
    path = export_token_classifier(model, tmp_path / "ner", tokenizer, TAG_NAMES,
                                   warmup=False)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Invalid `text`: empty text.*index\(es\):.*\[1\]"):
        served(path)(text=tf.constant(["jim", " \t "]))


def test_errors(tagger, tmp_path):
    tokenizer, model = tagger
    with pytest.raises(ValueError, match=r"must return scores \[batch, length, 3\]"):
        export_token_classifier(model, tmp_path / "a", tokenizer, TAG_NAMES[:2] + ["B-x"],
                                warmup=False)
    with pytest.raises(ValueError, match=r"`tag_names` must hold 'O'"):
        export_token_classifier(model, tmp_path / "a", tokenizer, ["B-x"] * 5)
    with pytest.raises(ValueError, match=r"`seq_length` must be an integer >= 3"):
        export_token_classifier(model, tmp_path / "a", tokenizer, TAG_NAMES, seq_length=2)
    encoder = savedmodels.bert_encoder(str(tmp_path))
    preprocessor = savedmodels.string_preprocessor(str(tmp_path))
    strings = build_token_classifier(encoder, 5, string_inputs=True,
                                     preprocessor=preprocessor)
    with pytest.raises(ValueError, match=r"must take the BERT input dict"):
        export_token_classifier(strings, tmp_path / "a", tokenizer, TAG_NAMES)
    assert not os.path.exists(tmp_path / "a")
