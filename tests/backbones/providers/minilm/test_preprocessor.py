"""Tests for minilm/preprocessor.py: in-graph tokenization and packing."""

import numpy as np
import pytest
import tensorflow as tf

pytest.importorskip("keras_hub")
pytest.importorskip("tensorflow_text")
pytest.importorskip("safetensors")

from keras_transfer.backbones.providers.minilm.weights import model_dir  # noqa: E402


# Ids from the model's own Hugging Face tokenizer (tokenizer.json).
NAIVE_CAFE_IDS = [101, 15743, 7668, 102]
CAT_IDS = [101, 1037, 4937, 7719, 2006, 1996, 13523, 102]


def test_preprocessor_outputs(preprocessor):
    out = preprocessor(tf.constant(["a cat sits on the mat", ""]))
    assert sorted(out) == ["input_mask", "input_type_ids", "input_word_ids"]
    for value in out.values():
        assert value.dtype == tf.int32 and value.shape == (2, 128)
    ids = out["input_word_ids"].numpy()
    np.testing.assert_array_equal(ids[0, :8], CAT_IDS)
    np.testing.assert_array_equal(ids[0, 8:], 0)
    np.testing.assert_array_equal(ids[1, :3], [101, 102, 0])
    np.testing.assert_array_equal(out["input_mask"].numpy().sum(axis=1), [8, 2])
    np.testing.assert_array_equal(out["input_type_ids"].numpy(), 0)


def test_tokenize_and_bert_pack_inputs(preprocessor):
    tokens = preprocessor.tokenize(tf.constant(["a cat", "naïve café"]))
    assert tokens.to_list() == [[[1037], [4937]], [[15743], [7668]]]
    pair = preprocessor.bert_pack_inputs([tokens, tokens], tf.constant(6))
    np.testing.assert_array_equal(
        pair["input_word_ids"].numpy(),
        [[101, 1037, 4937, 102, 1037, 102], [101, 15743, 7668, 102, 15743, 102]],
    )
    np.testing.assert_array_equal(pair["input_type_ids"].numpy()[0], [0, 0, 0, 0, 1, 1])


def test_matches_hugging_face_tokenizer(preprocessor):
    tokenizers = pytest.importorskip("tokenizers")
    reference = tokenizers.Tokenizer.from_file(
        str(model_dir() / "tokenizer.json")
    )
    reference.no_padding()
    reference.enable_truncation(128)
    texts = [
        "Hello, World! don't stop-believing...",
        "straße İstanbul ΟΔΟΣ Ünïcödé ÀÉÎÕÜ",
        "東京 is in Japan 😀",
        "x\u200by a\u00a0b a\u3000b tab\there\nnewline x\x00y\ufffdz",
        "mixed123numbers 3.14 " + "a" * 120,
        "word " * 200,  # Truncated to 126 word pieces.
    ]
    ids = preprocessor(tf.constant(texts))["input_word_ids"].numpy()
    for row, text in zip(ids, texts):
        want = reference.encode(text).ids
        assert row[: len(want)].tolist() == want, text
        assert not row[len(want):].any(), text
