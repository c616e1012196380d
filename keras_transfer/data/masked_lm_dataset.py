"""`masked_lm_dataset`: token ids -> batches masked afresh every epoch."""

import numpy as np
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.data.mask_tokens import (
    BERT_INPUTS, check_masking_arguments, mask_tokens)
from keras_transfer.utils.argument_validation import check_int


@keras_transfer_export("keras_transfer.data.masked_lm_dataset")
def masked_lm_dataset(
    features,
    vocabulary_size,
    mask_token_id,
    special_token_ids=(),
    batch_size=32,
    seed=0,
    selection_rate=0.15,
    max_predictions=20,
):
    """Builds the `tf.data` input of a masked language model (dynamic masking).

    The examples are shuffled and batched, then every batch is corrupted by
    `keras_transfer.data.mask_tokens` (15% of the non-special tokens chosen;
    of those 80% `[MASK]`, 10% a random token, 10% unchanged) with a seed
    taken from `tf.data.Dataset.random(seed, rerandomize_each_iteration=True)`:
    each epoch draws new masks (RoBERTa's dynamic masking), and the same
    `seed` gives the same sequence of epochs.

    Args:
        features: dict of int arrays `[num_examples, seq_length]`:
            `input_word_ids`, `input_mask`, `input_type_ids` (what a BERT
            preprocessor returns).
        vocabulary_size: int. See `mask_tokens`.
        mask_token_id: int. The id of `[MASK]`.
        special_token_ids: sequence of int. Ids never masked. Defaults to
            `()`.
        batch_size: int. Examples per batch. Defaults to `32`.
        seed: int. Seeds the shuffle and the masks. Defaults to `0`.
        selection_rate: float. Defaults to `0.15`.
        max_predictions: int. Defaults to `20`.

    Returns:
        A `tf.data.Dataset` of `(inputs, labels, sample_weight)`: `inputs`
        and `labels` as `mask_tokens` returns them, `sample_weight` float32
        `[batch, max_predictions]`, 1 where a label is real (for weighted
        metrics such as masked-token accuracy).

    Raises:
        ValueError: for a missing key, arrays of different shapes, or a bad
            number.

    Example:

    ```python
    ids = np.array([[101, 7592, 2088, 102, 0]] * 8, "int32")
    features = {"input_word_ids": ids, "input_mask": (ids > 0).astype("int32"),
                "input_type_ids": np.zeros_like(ids)}
    dataset = keras_transfer.data.masked_lm_dataset(
        features, vocabulary_size=30522, mask_token_id=103,
        special_token_ids=(0, 101, 102, 103), batch_size=4)
    ```
    """
    check_masking_arguments(vocabulary_size, mask_token_id, special_token_ids,
                            selection_rate, max_predictions)
    check_int(batch_size, "batch_size", minimum=1)
    check_int(seed, "seed", minimum=0)
    missing = [key for key in BERT_INPUTS if key not in features]
    if missing:
        raise ValueError(
            f"`features` lacks {missing}. It must hold {list(BERT_INPUTS)}. "
            f"Received keys: {sorted(features)}"
        )
    arrays = {key: np.asarray(features[key], np.int32) for key in BERT_INPUTS}
    shapes = {key: value.shape for key, value in arrays.items()}
    if len(set(shapes.values())) != 1 or arrays["input_word_ids"].ndim != 2:
        raise ValueError(
            "`features` must hold int arrays of one shape `[num_examples, "
            f"seq_length]`. Received shapes: {shapes}"
        )
    special = tuple(int(token) for token in special_token_ids)
    count = len(arrays["input_word_ids"])
    examples = tf.data.Dataset.from_tensor_slices(arrays)
    examples = examples.shuffle(count, seed=seed, reshuffle_each_iteration=True)
    examples = examples.batch(batch_size)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)

    def corrupt(batch, batch_seed):
        inputs, labels = mask_tokens(
            batch, batch_seed, vocabulary_size, mask_token_id, special,
            selection_rate, max_predictions)
        return inputs, labels, tf.cast(labels >= 0, tf.float32)

    return (tf.data.Dataset.zip((examples, seeds))
            .map(corrupt, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
            .prefetch(tf.data.AUTOTUNE))
