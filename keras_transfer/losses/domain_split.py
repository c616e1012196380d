"""Splits a batch of features into its source and target rows. Not public API.

The losses of this folder take one `[batch, ...]` feature tensor as
`y_pred` and the domain of every row as `y_true` (0 = source, 1 = target),
which is what `keras_transfer.data.domain_adaptation_dataset` yields as the
`"domain"` target.
"""

import tensorflow as tf


def split_by_domain(y_true, y_pred):
    """Returns `(source_rows, target_rows, both_present)`.

    Args:
        y_true: tensor `[batch]` or `[batch, 1]`: 0 for source rows, 1 for
            target rows (> 0.5 counts as target).
        y_pred: float tensor `[batch, ...]`, flattened to `[batch, features]`.

    Returns:
        The source rows and target rows (float32, 2-D), and a boolean scalar
        tensor: whether each domain has at least one row.
    """
    features = tf.cast(y_pred, tf.float32)
    features = tf.reshape(features, [tf.shape(features)[0], -1])
    is_target = tf.reshape(tf.cast(y_true, tf.float32), [-1]) > 0.5
    source = tf.boolean_mask(features, tf.logical_not(is_target))
    target = tf.boolean_mask(features, is_target)
    both_present = tf.logical_and(tf.shape(source)[0] > 0, tf.shape(target)[0] > 0)
    return source, target, both_present


def per_row(value, y_true):
    """`value` (a scalar) repeated once per row, so Keras' batch mean returns it."""
    rows = tf.shape(tf.reshape(y_true, [-1]))[0]
    return tf.fill([rows], value)


def check_features(source, target, name):
    """The two arguments as float32 `[rows, features]` tensors of one width."""
    source = tf.cast(tf.convert_to_tensor(source), tf.float32)
    target = tf.cast(tf.convert_to_tensor(target), tf.float32)
    for argument, value in (("source", source), ("target", target)):
        if value.shape.rank is not None and value.shape.rank != 2:
            raise ValueError(
                f"`{name}` takes `[rows, features]` tensors. Received: {argument} of "
                f"shape {tuple(value.shape)}. Flatten or pool the features first.")
    if (source.shape[-1] is not None and target.shape[-1] is not None
            and source.shape[-1] != target.shape[-1]):
        raise ValueError(
            f"`{name}` needs source and target features of the same width. Received "
            f"shapes {tuple(source.shape)} and {tuple(target.shape)}")
    return source, target


def safe_count(tensor):
    """The number of rows as float32, at least 1 (so an empty side gives no NaN)."""
    return tf.maximum(tf.cast(tf.shape(tensor)[0], tf.float32), 1.0)
