"""Tests for minilm/convert.py: the SavedModels written and `seq_length`."""

import shutil

import numpy as np
import pytest
import tensorflow as tf

pytest.importorskip("keras_hub")
pytest.importorskip("tensorflow_text")
pytest.importorskip("safetensors")

from keras_transfer.backbones.providers.minilm.convert import convert  # noqa: E402
from keras_transfer.backbones.providers.minilm.weights import model_dir  # noqa: E402


# Ids from the model's own Hugging Face tokenizer (tokenizer.json).
NAIVE_CAFE_IDS = [101, 15743, 7668, 102]


def test_seq_length_is_validated(tmp_path):
    with pytest.raises(ValueError, match=r"`seq_length` must be an int in \[3, 512\]. "
                       r"Received: seq_length=2"):
        convert(tmp_path / "x", seq_length=2)
    with pytest.raises(ValueError, match="Received: seq_length=513"):
        convert(tmp_path / "x", seq_length=513)


def test_existing_export_dir_is_refused(export_dir):
    with pytest.raises(FileExistsError, match="already holds .*preprocessor"):
        convert(export_dir)


def test_layout(export_dir):
    for name in ("preprocessor", "encoder", "sentence_encoder"):
        assert tf.saved_model.contains_saved_model(f"{export_dir}/{name}"), name
    vocab = (model_dir() / "vocab.txt").read_bytes()
    assert (
        open(f"{export_dir}/preprocessor/assets/vocab.txt", "rb").read() == vocab
    )


def test_vocabulary_travels_with_the_folder(export_dir, tmp_path):
    copy = shutil.copytree(f"{export_dir}/preprocessor", tmp_path / "copied")
    loaded = tf.saved_model.load(str(copy))
    ids = loaded(tf.constant(["naïve café"]))["input_word_ids"].numpy()
    np.testing.assert_array_equal(ids[0, :4], NAIVE_CAFE_IDS)


@pytest.mark.large
def test_short_seq_length_truncates(tmp_path):
    path = convert(tmp_path / "short", seq_length=8)
    preprocessor = tf.saved_model.load(f"{path}/preprocessor")
    out = preprocessor(tf.constant(["a cat sits on the mat today"]))
    np.testing.assert_array_equal(
        out["input_word_ids"].numpy(), [[101, 1037, 4937, 7719, 2006, 1996, 13523, 102]]
    )
    sentence_encoder = tf.saved_model.load(f"{path}/sentence_encoder")
    encoder = tf.saved_model.load(f"{path}/encoder")
    np.testing.assert_allclose(
        sentence_encoder(tf.constant(["a cat sits on the mat today"])).numpy(),
        encoder(out)["default"].numpy(),
        atol=1e-5,
    )
