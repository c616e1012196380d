"""`mask_tokens`: BERT's masked-LM corruption of a batch of token ids (stateless)."""

import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.data.word_pieces import IGNORE_LABEL
from keras_transfer.utils.argument_validation import check_int, check_number

BERT_INPUTS = ("input_word_ids", "input_mask", "input_type_ids")


@keras_transfer_export("keras_transfer.data.mask_tokens")
def mask_tokens(
    features,
    seed,
    vocabulary_size,
    mask_token_id,
    special_token_ids=(),
    selection_rate=0.15,
    max_predictions=20,
):
    """Corrupts a batch of BERT inputs for masked-language-model training.

    As in BERT's `create_pretraining_data.py`: in each row, the selectable
    positions are the real tokens (`input_mask == 1`) whose id is not in
    `special_token_ids`; `min(max_predictions, max(1, round(selection_rate
    * n)))` of the `n` selectable positions are chosen uniformly at random
    (none in a row with no selectable position). A chosen token is replaced
    by `mask_token_id` with probability 0.8, by a token drawn uniformly from
    `[0, vocabulary_size)` with probability 0.1, and kept with probability
    0.1. The randomness is a pure function of `seed` (stateless TensorFlow
    ops), so `keras_transfer.data.masked_lm_dataset` re-draws the masks
    every epoch by passing a fresh seed per batch.

    Args:
        features: dict of int32 `[batch, seq_length]` tensors
            `input_word_ids`, `input_mask` and `input_type_ids`.
        seed: int32 or int64 tensor of shape `[2]`. The stateless seed.
        vocabulary_size: int. Random replacements are drawn from
            `[0, vocabulary_size)`.
        mask_token_id: int. The id of `[MASK]`.
        special_token_ids: sequence of int. Ids never chosen (`[CLS]`,
            `[SEP]`, `[PAD]`, `[MASK]`). Padding (`input_mask == 0`) is never
            chosen either. Defaults to `()`.
        selection_rate: float in (0, 1]. Share of the selectable tokens
            chosen. Defaults to `0.15`.
        max_predictions: int. At most this many positions per row (BERT
            uses 20 for 128-token sequences). Defaults to `20`.

    Returns:
        `(inputs, labels)`: `inputs` is `features` with the corrupted
        `input_word_ids` plus `masked_positions` (int32 `[batch,
        max_predictions]`, 0 where unused); `labels` (int32 `[batch,
        max_predictions]`) holds the original ids at those positions and
        `-1` (`IGNORE_LABEL`) where unused.

    Raises:
        ValueError: for a missing input key or a bad number.

    Example:

    ```python
    ids = tf.constant([[101, 7592, 2088, 999, 102, 0]])
    features = {"input_word_ids": ids, "input_mask": tf.cast(ids > 0, "int32"),
                "input_type_ids": tf.zeros_like(ids)}
    inputs, labels = keras_transfer.data.mask_tokens(
        features, tf.constant([1, 2]), vocabulary_size=30522,
        mask_token_id=103, special_token_ids=(0, 101, 102, 103))
    ```
    """
    check_masking_arguments(vocabulary_size, mask_token_id, special_token_ids,
                            selection_rate, max_predictions)
    missing = [key for key in BERT_INPUTS if key not in features]
    if missing:
        raise ValueError(
            f"`features` lacks {missing}. It must hold {list(BERT_INPUTS)}. "
            f"Received keys: {sorted(features)}"
        )
    ids = tf.cast(features["input_word_ids"], tf.int32)
    selectable = tf.cast(features["input_mask"], tf.bool)
    for token in special_token_ids:
        selectable &= tf.not_equal(ids, int(token))
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 3)
    shape = tf.shape(ids)
    length = shape[1]

    # The k selectable positions with the highest random scores: a uniform
    # choice of k among n without replacement.
    scores = tf.random.stateless_uniform(shape, seeds[0])
    scores = tf.where(selectable, scores, -1.0)
    count = tf.reduce_sum(tf.cast(selectable, tf.float32), axis=1)
    wanted = tf.cast(tf.round(count * selection_rate), tf.int32)
    wanted = tf.minimum(tf.maximum(wanted, 1), max_predictions)
    wanted = tf.where(count > 0, wanted, 0)
    width = tf.minimum(max_predictions, length)
    _, positions = tf.math.top_k(scores, k=width)
    used = tf.range(width)[None, :] < wanted[:, None]
    positions = tf.where(used, positions, 0)
    pad = [[0, 0], [0, max_predictions - width]]
    positions = tf.pad(positions, pad)
    used = tf.pad(used, pad)

    original = tf.gather(ids, positions, batch_dims=1)
    labels = tf.where(used, original, IGNORE_LABEL)
    action = tf.random.stateless_uniform(tf.shape(positions), seeds[1])
    random_ids = tf.random.stateless_uniform(
        tf.shape(positions), seeds[2], minval=0, maxval=vocabulary_size,
        dtype=tf.int32)
    replacement = tf.where(action < 0.8, mask_token_id,
                           tf.where(action < 0.9, random_ids, original))
    # Scatter the replacements back; unused slots write nothing.
    rows = tf.broadcast_to(tf.range(shape[0])[:, None], tf.shape(positions))
    index = tf.stack([rows, positions], axis=-1)
    index = tf.boolean_mask(index, used)
    corrupted = tf.tensor_scatter_nd_update(
        ids, index, tf.boolean_mask(replacement, used))

    inputs = dict(features)
    inputs["input_word_ids"] = corrupted
    inputs["masked_positions"] = positions
    return inputs, labels


def check_masking_arguments(vocabulary_size, mask_token_id, special_token_ids,
                            selection_rate, max_predictions):
    """The argument checks of `mask_tokens` (also run once by its callers)."""
    check_int(vocabulary_size, "vocabulary_size", minimum=2)
    check_int(mask_token_id, "mask_token_id", minimum=0)
    if mask_token_id >= vocabulary_size:
        raise ValueError(
            "`mask_token_id` must be < `vocabulary_size`. Received: "
            f"mask_token_id={mask_token_id}, vocabulary_size={vocabulary_size}"
        )
    for token in special_token_ids:
        check_int(token, "special_token_ids", minimum=0)
    check_number(selection_rate, "selection_rate", minimum=0.0, maximum=1.0,
                 min_open=True)
    check_int(max_predictions, "max_predictions", minimum=1)
