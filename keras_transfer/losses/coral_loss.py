"""Deep CORAL: `coral_loss` and `CoralLoss`, the distance between feature covariances."""

import keras
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.losses.domain_split import (
    check_features, per_row, safe_count, split_by_domain)


@keras_transfer_export("keras_transfer.coral_loss")
def coral_loss(source, target):
    """The CORAL loss between two batches of features (Sun & Saenko 2016).

    ```
    loss = ||C_s - C_t||_F² / (4 d²)
    ```

    where `d` is the number of features and `C_s`, `C_t` are the unbiased
    covariance matrices of the source and target rows
    (`(X - mean(X))ᵀ (X - mean(X)) / (n - 1)`, the paper's eq. 2 and 3).
    A batch of one row has covariance 0 (the denominator is kept at least
    1), so the loss stays finite. The batches may differ in size.

    Args:
        source: float tensor `[source_rows, features]`.
        target: float tensor `[target_rows, features]`.

    Returns:
        A float32 scalar tensor.

    Raises:
        ValueError: for tensors that are not 2-D or differ in width.

    Example:

    ```python
    source = np.random.normal(size=(32, 16)).astype("float32")
    keras_transfer.coral_loss(source, 3.0 * source)  # > 0
    ```
    """
    source, target = check_features(source, target, "coral_loss")
    width = tf.cast(tf.shape(source)[1], tf.float32)
    difference = _covariance(source) - _covariance(target)
    return tf.reduce_sum(tf.square(difference)) / (4.0 * width * width)


@keras_transfer_export("keras_transfer.CoralLoss")
class CoralLoss(keras.losses.Loss):
    """`keras_transfer.coral_loss` as a Keras loss on a batch of mixed domains.

    For `compile`: `y_pred` is the features of a whole batch
    (`[batch, ...]`, flattened to `[batch, features]`) and `y_true` the
    domain of every row, 0 for source and 1 for target (the `"domain"`
    target of `keras_transfer.data.domain_adaptation_dataset`). The loss
    splits the rows by domain and returns `coral_loss(source_rows,
    target_rows)` once per row, so Keras' mean over the batch gives exactly
    that value (leave the domain sample weights at 1). A batch without rows
    of one of the domains gives 0. Under a distribution strategy each
    replica sees its own slice of the batch.

    Args:
        name: str. Defaults to `"coral_loss"`.
        reduction: str. Keras loss reduction. Defaults to
            `"sum_over_batch_size"`.
        dtype: str. Defaults to `None` (float32).

    Example:

    ```python
    model.compile(optimizer="adam",
                  loss={"label": "sparse_categorical_crossentropy",
                        "domain": keras_transfer.CoralLoss()},
                  loss_weights={"label": 1.0, "domain": 1.0})
    ```
    """

    def __init__(self, name="coral_loss", reduction="sum_over_batch_size", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        source, target, both_present = split_by_domain(y_true, y_pred)
        value = tf.where(both_present, coral_loss(source, target), 0.0)
        return tf.cast(per_row(value, y_true), self.dtype)


def _covariance(features):
    count = safe_count(features)
    centred = features - tf.reduce_sum(features, axis=0, keepdims=True) / count
    return tf.matmul(centred, centred, transpose_a=True) / tf.maximum(count - 1.0, 1.0)
