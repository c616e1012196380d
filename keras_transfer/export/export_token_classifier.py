"""`export_token_classifier`: raw sentences -> per-word tags, for TF Serving."""

import os

import numpy as np
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.data.tagged_dataset import trim_batch
from keras_transfer.data.word_pieces import _load_tokenizer
from keras_transfer.export import serving_inputs
from keras_transfer.export import warmup_requests
from keras_transfer.export.archive import new_archive
from keras_transfer.export.export_for_serving import SERVING_SIGNATURE
from keras_transfer.export.export_for_serving import _check_version
from keras_transfer.export.export_for_serving import _write_version
from keras_transfer.utils.argument_validation import check_int

_BERT_INPUTS = ("input_word_ids", "input_mask", "input_type_ids")
WARMUP_TEXT = "Jim Henson was a puppeteer from New York"


@keras_transfer_export("keras_transfer.export.export_token_classifier")
def export_token_classifier(model, base_dir, tokenizer, tag_names, version=None,
                            seq_length=128, warmup=True, model_name=None):
    """Exports a token classifier that tags the words of raw sentences.

    The served graph does what `keras_transfer.predict_entities` does in
    Python: the `serving_default` signature takes a batch of raw strings
    (`text`, `[batch]`), splits each on ASCII whitespace into words
    (`tf.strings.split`: spaces, tabs, newlines; right for tweets and
    pre-tokenized text, not for languages written without spaces or for
    punctuation glued to words, which stays part of the word as in WNUT-16),
    splits each word into wordpieces with the backbone's own `tokenizer`,
    packs them as `[CLS] pieces [SEP]` (at most `seq_length`), runs the
    model and gives each word the tag predicted at its first piece. It
    returns, padded to the longest sentence of the batch:

    - `words` (string `[batch, max_words]`, `""` as padding),
    - `tags` (string, `""` as padding),
    - `tag_index` (int64, -1 as padding),
    - `score` (float32, the word's tag probability; 0 as padding),
    - `num_words` (int64 `[batch]`).

    A word with no piece in the window (past `seq_length` pieces, or only
    characters the tokenizer drops) is tagged `"O"` with score 0, as
    `predict_entities` does. Entity spans follow from the tags with
    `keras_transfer.evaluation.entity_spans(tags[i][:num_words[i]])`.
    An empty string (or one of only whitespace, control or invisible
    characters) fails the request with an `InvalidArgumentError` naming its
    index. The folder layout, atomic write, versions and warmup file are
    those of `keras_transfer.export.export_for_serving`.

    Args:
        model: `keras.Model`. A token classifier on the BERT input dict
            (`keras_transfer.build_token_classifier` with
            `string_inputs=False`), returning `[batch, length, num_tags]`
            probabilities.
        base_dir: str or path. The TF Serving model folder; created if
            missing.
        tokenizer: the backbone's preprocessor (a loaded SavedModel or
            `tf.Module` with `tokenize` and `bert_pack_inputs`, or its
            handle). It is saved inside the export, vocabulary included.
        tag_names: list of str. `tag_names[i]` is the model's tag `i`; must
            hold `"O"`.
        version: int. The version number (folder name). Defaults to `None`:
            the next free one.
        seq_length: int. The most wordpieces per sentence, `[CLS]` and
            `[SEP]` included. Defaults to `128`.
        warmup: bool. Whether to write the TF Serving warmup file (needs
            the `serving` extra). Defaults to `True`.
        model_name: str. The model name in the warmup requests. Defaults to
            `None`: the name of `base_dir`.

    Returns:
        The path of the written version folder, as a str.

    Raises:
        FileExistsError: if `base_dir/<version>` exists.
        ImportError: if `warmup=True` and `tensorflow-serving-api` is not
            installed.
        ValueError: if the model does not take the BERT input dict, its
            output does not score `len(tag_names)` tags, `tag_names` has
            no `"O"`, or an argument is invalid.

    Example:

    ```python
    path = keras_transfer.export.export_token_classifier(
        model, "/models/ner", tokenizer, train.tag_names)
    served = tf.saved_model.load(path).signatures["serving_default"]
    out = served(text=tf.constant(["new york yankees lose again"]))
    out["tags"][0, :out["num_words"][0]]
    ```
    """
    base_dir = os.path.abspath(os.fspath(base_dir))
    _check_version(version)
    seq_length = check_int(seq_length, "seq_length", minimum=3)
    if not isinstance(warmup, bool):
        raise ValueError(f"`warmup` must be a bool. Received: warmup={warmup!r}")
    tag_names = _check_tag_names(tag_names)
    _check_model_inputs(model)
    tokenizer = _load_tokenizer(tokenizer)
    if model_name is None:
        model_name = os.path.basename(base_dir)
    if warmup:
        warmup_requests.import_serving_apis()  # fail before writing anything

    names = tf.constant(tag_names, tf.string)
    outside = tag_names.index("O")

    def tag_words(text):
        text = serving_inputs.check_text(text)
        words = tf.strings.split(text)  # ragged [batch, words]
        pieces = tokenizer.tokenize(words.flat_values).merge_dims(1, 2)
        by_sentence = tf.RaggedTensor.from_row_splits(pieces, words.row_splits)
        inputs = tokenizer.bert_pack_inputs(
            [tf.cast(by_sentence, tf.int32)], tf.constant(seq_length, tf.int32))
        (inputs,) = trim_batch({key: inputs[key] for key in _BERT_INPUTS})
        scores = tf.cast(model(inputs, training=False), tf.float32)
        # Each word's first piece: 1 ([CLS]) + the pieces of the words before
        # it in its sentence.
        counts = pieces.row_lengths()
        rows = words.value_rowids()
        before = tf.cumsum(counts, exclusive=True)
        first = 1 + before - tf.gather(before, tf.gather(words.row_starts(), rows))
        keep = tf.logical_and(counts > 0, first <= seq_length - 2)
        where = tf.stack([rows, tf.where(keep, first, 0)], axis=1)
        word_scores = tf.gather_nd(scores, where)
        index = tf.where(keep, tf.argmax(word_scores, -1),
                         tf.constant(outside, tf.int64))
        score = tf.where(keep, tf.reduce_max(word_scores, -1), 0.0)

        def padded(values, default):
            return words.with_flat_values(values).to_tensor(default_value=default)

        return {
            "words": words.to_tensor(default_value=""),
            "tags": padded(tf.gather(names, index), ""),
            "tag_index": padded(index, tf.constant(-1, tf.int64)),
            "score": padded(score, 0.0),
            "num_words": words.row_lengths(),
        }

    _check_outputs(model, tokenizer, seq_length, len(tag_names))
    archive = new_archive(model, tokenizer)
    raw_name = serving_inputs.RAW_INPUT_NAMES["text"]
    archive.add_endpoint(SERVING_SIGNATURE, tag_words,
                         input_signature=[tf.TensorSpec([None], tf.string,
                                                        name=raw_name)])
    requests = [(SERVING_SIGNATURE, {raw_name: np.array([WARMUP_TEXT], dtype=object)})]
    return _write_version(archive, base_dir, version, model_name,
                          requests if warmup else None)


def _check_tag_names(tag_names):
    if isinstance(tag_names, str) or not all(isinstance(t, str) for t in tag_names):
        raise ValueError(
            f"`tag_names` must be a list of str. Received: tag_names={tag_names!r}")
    tag_names = list(tag_names)
    if "O" not in tag_names:
        raise ValueError(f"`tag_names` must hold 'O'. Received: tag_names={tag_names}")
    return tag_names


def _check_model_inputs(model):
    inputs = getattr(model, "input", None)
    if not isinstance(inputs, dict) or sorted(inputs) != sorted(_BERT_INPUTS):
        raise ValueError(
            "`model` must take the BERT input dict "
            f"{list(_BERT_INPUTS)} (build_token_classifier with string_inputs=False). "
            f"Received: a model with inputs {_describe_inputs(inputs)}"
        )


def _describe_inputs(inputs):
    if isinstance(inputs, dict):
        return sorted(inputs)
    if isinstance(inputs, (list, tuple)):
        return [tuple(x.shape) for x in inputs]
    return None if inputs is None else tuple(inputs.shape)


def _check_outputs(model, tokenizer, seq_length, num_tags):
    """Runs the model on one packed sentence and checks it scores `num_tags` tags."""
    pieces = tokenizer.tokenize(tf.constant(WARMUP_TEXT.split())).merge_dims(1, 2)
    inputs = tokenizer.bert_pack_inputs(
        [tf.cast(tf.RaggedTensor.from_row_lengths(pieces, [pieces.nrows()]), tf.int32)],
        tf.constant(seq_length, tf.int32))
    outputs = model({key: inputs[key] for key in _BERT_INPUTS}, training=False)
    shape = tuple(outputs.shape)
    if len(shape) != 3 or shape[-1] != num_tags:
        raise ValueError(
            f"The model must return scores [batch, length, {num_tags}] (one per tag "
            f"of `tag_names`). Received: output shape {shape}"
        )
