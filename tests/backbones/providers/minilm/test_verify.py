"""Tests for minilm/verify.py: known answers and the NumPy BERT reference."""

import numpy as np
import pytest
import tensorflow as tf

pytest.importorskip("keras_hub")
pytest.importorskip("tensorflow_text")
pytest.importorskip("safetensors")


# Ids from the model's own Hugging Face tokenizer (tokenizer.json).
NAIVE_CAFE_IDS = [101, 15743, 7668, 102]
# sentence-transformers' all-MiniLM-L6-v2 gives these (mean pooling).
COSINE_SIMILAR = 0.6080
COSINE_UNRELATED = 0.0485


def test_known_answer_cosines(verification):
    np.testing.assert_allclose(verification["cosine_similar"], COSINE_SIMILAR, atol=1e-3)
    np.testing.assert_allclose(
        verification["cosine_unrelated"], COSINE_UNRELATED, atol=1e-3
    )
    assert verification["seq_length"] == 128


def test_sentence_transformers_documented_similarities(export_dir):
    # The similarity matrix printed in the sentence-transformers quickstart
    # for this model.
    sentence_encoder = tf.saved_model.load(f"{export_dir}/sentence_encoder")
    embeddings = sentence_encoder(tf.constant([
        "The weather is lovely today.",
        "It's so sunny outside!",
        "He drove to the stadium.",
    ])).numpy()
    assert embeddings.shape == (3, 384)
    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    similarity = unit @ unit.T
    np.testing.assert_allclose(
        [similarity[0, 1], similarity[0, 2], similarity[1, 2]],
        [0.6660, 0.1046, 0.1411],
        atol=5e-4,
    )


def test_matches_numpy_reference(verification):
    diffs = verification["max_abs_diff_reference"]
    assert set(diffs) == {"pooled_output", "default", "sequence_output"}
    for key, diff in diffs.items():
        assert diff < 1e-5, (key, diff)
    assert verification["max_abs_diff_sentence_encoder"] < 1e-5


def test_accents_are_stripped(preprocessor, verification):
    assert verification["accent_ids"] == NAIVE_CAFE_IDS
    out = preprocessor(tf.constant(["naïve café", "naive cafe", "NAÏVE CAFÉ"]))
    ids = out["input_word_ids"].numpy()
    np.testing.assert_array_equal(ids[0, :4], NAIVE_CAFE_IDS)
    np.testing.assert_array_equal(ids[0], ids[1])
    np.testing.assert_array_equal(ids[0], ids[2])
