"""Edit-distance counts behind the error-rate metrics (TensorFlow ops).

Not public API: `CharacterErrorRate`, `WordErrorRate` and
`keras_transfer.evaluation.transcript_error_rates` share these, so there is
one definition of "errors" (Levenshtein distance, `tf.edit_distance`: each
substitution, insertion and deletion counts 1) and of "units" (reference
characters or words).
"""

import tensorflow as tf
from keras import ops


def greedy_ids(logits):
    """Best-path CTC decoding of `[batch, frames, classes]` logits (blank 0).

    Returns:
        int32 `[batch, frames]`, -1 after each decoded sequence.
    """
    shape = tf.shape(logits)
    lengths = tf.fill([shape[0]], shape[1])
    decoded, _ = ops.ctc_decode(logits, lengths, strategy="greedy", mask_index=0)
    return decoded[0]


def ragged_ids(ids):
    """Keeps the ids > 0 of each row (drops blanks, padding and -1)."""
    ids = tf.cast(ids, tf.int32)
    return tf.ragged.boolean_mask(ids, ids > 0)


def ids_to_text(ids, characters):
    """Joins rows of character ids (ragged, 1-based) into strings."""
    table = tf.constant(list(characters))
    return tf.strings.reduce_join(tf.gather(table, ids - 1), axis=-1)


def count_errors(hypotheses, references):
    """Total edit distance and reference length of two ragged batches.

    Args:
        hypotheses: `tf.RaggedTensor` `[batch, None]` of ids or strings.
        references: `tf.RaggedTensor` of the same batch size and dtype.

    Returns:
        `(errors, units)`, two float32 scalars.
    """
    distances = tf.edit_distance(hypotheses.to_sparse(), references.to_sparse(),
                                 normalize=False)
    units = tf.cast(tf.reduce_sum(references.row_lengths()), tf.float32)
    return tf.reduce_sum(distances), units


def words(texts):
    """Splits a batch of strings on whitespace: a ragged batch of words."""
    return tf.strings.split(texts)


def characters_of(texts):
    """Splits a batch of strings into Unicode characters (ragged)."""
    return tf.strings.unicode_split(texts, "UTF-8")
