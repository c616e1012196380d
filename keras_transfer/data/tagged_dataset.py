"""`tagged_dataset`: a `TaggedSplit` as a `tf.data.Dataset` for a token classifier."""

import numpy as np
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.data.word_pieces import align_word_labels
from keras_transfer.data.word_pieces import IGNORE_LABEL
from keras_transfer.utils.argument_validation import check_int


@keras_transfer_export("keras_transfer.data.tagged_dataset")
def tagged_dataset(split, tokenizer, batch_size=32, seq_length=128, shuffle=True,
                   seed=None):
    """Turns tagged sentences into batches for `build_token_classifier` + `fit`.

    The words are packed and their tags aligned to wordpieces by
    `keras_transfer.data.align_word_labels` (the backbone's own tokenizer:
    each word's tag on its first piece, `IGNORE_LABEL` elsewhere). Each
    element is `(inputs, labels, sample_weight)`: the BERT input dict
    (int32 `[batch, length]` each), int32 labels `[batch, length]`, and
    float32 `labels >= 0`, so the compiled accuracy counts labelled
    positions only. Every batch is cut to its longest row (`length` <=
    `seq_length`): the encoder's outputs at real tokens do not depend on the
    padding, and short tweets train several times faster than at 128.

    Args:
        split: `keras_transfer.data.TaggedSplit`, or a `(sentences, tags,
            tag_names)` tuple.
        tokenizer: the backbone's preprocessor (a loaded SavedModel with
            `tokenize` and `bert_pack_inputs`, or its handle), as for
            `align_word_labels`.
        batch_size: int. Sentences per batch. Defaults to `32`.
        seq_length: int. The most wordpieces per sentence, `[CLS]` and
            `[SEP]` included; words past it get no label. Defaults to `128`.
        shuffle: bool. Reshuffle the sentences every epoch. Defaults to
            `True`.
        seed: int. The shuffling seed. Defaults to `None`.

    Returns:
        A batched `tf.data.Dataset` of `(inputs, labels, sample_weight)`.

    Raises:
        ValueError: as `align_word_labels` (bad words, tags or tokenizer),
            or if `batch_size < 1`.

    Example:

    ```python
    train = keras_transfer.data.load_dataset("wnut16", split="train")
    tokenizer = tf.saved_model.load(
        keras_transfer.backbone_path("minilm_l6", "preprocessor"))
    model = keras_transfer.build_token_classifier(
        "minilm_l6", len(train.tag_names))
    model.fit(keras_transfer.data.tagged_dataset(train, tokenizer), epochs=3)
    ```
    """
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    sentences, tags, tag_names = split
    batch = align_word_labels(tokenizer, sentences, tags, tag_names,
                              seq_length=seq_length)
    labels = batch["labels"]
    dataset = tf.data.Dataset.from_tensor_slices(
        (batch["inputs"], labels, (labels != IGNORE_LABEL).astype(np.float32)))
    if shuffle:
        dataset = dataset.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).map(trim_batch)


def trim_batch(inputs, *rest):
    """Cuts a batch (the BERT input dict, then arrays of the same length) to
    its longest row of `input_mask`."""
    length = tf.reduce_max(tf.reduce_sum(inputs["input_mask"], axis=1))
    inputs = {key: value[:, :length] for key, value in inputs.items()}
    return (inputs,) + tuple(value[:, :length] for value in rest)
