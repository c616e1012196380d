"""Multi-kernel maximum mean discrepancy (DAN): `mmd_loss` and `MMDLoss`."""

import math
import numbers

import keras
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.losses.domain_split import (
    check_features, per_row, safe_count, split_by_domain)

# DAN's Gaussian kernels in the Transfer-Learning-Library: 2^k, k = -3..1.
KERNEL_MULTIPLIERS = (0.125, 0.25, 0.5, 1.0, 2.0)


@keras_transfer_export("keras_transfer.mmd_loss")
def mmd_loss(source, target, kernel_multipliers=KERNEL_MULTIPLIERS):
    """Multi-kernel MMD² between two batches of features (biased estimator).

    The loss of DAN (Long et al. 2015), in the form of the
    Transfer-Learning-Library's `MultipleKernelMaximumMeanDiscrepancy` with
    Gaussian kernels. With `z` the joint batch (source rows, then target
    rows), `D_ij = ||z_i - z_j||²` and `base = mean(D)` over all pairs
    (diagonal included; no gradient flows through it), the kernel is

    ```
    k(x, y) = sum over m in kernel_multipliers of exp(-||x - y||² / (2 m base))
    ```

    and the result is the biased estimate of MMD²:

    ```
    mean(k(s_i, s_j)) + mean(k(t_i, t_j)) - 2 mean(k(s_i, t_j))
    ```

    (diagonal terms included), so it is >= 0 up to rounding and exactly 0
    when both batches hold the same rows. The kernels are summed, not
    averaged, as in the Transfer-Learning-Library: the loss lies in
    `[0, 2 * len(kernel_multipliers)]`. The batches may differ in size.

    Args:
        source: float tensor `[source_rows, features]`.
        target: float tensor `[target_rows, features]`.
        kernel_multipliers: sequence of float. The bandwidths (σ²) of the
            kernels as multiples of `base`, each > 0. Defaults to
            `(0.125, 0.25, 0.5, 1.0, 2.0)`.

    Returns:
        A float32 scalar tensor.

    Raises:
        ValueError: for tensors that are not 2-D or differ in width, or bad
            `kernel_multipliers`.

    Example:

    ```python
    source = np.random.normal(size=(32, 16)).astype("float32")
    target = source + 1.0
    keras_transfer.mmd_loss(source, target)  # > 0; mmd_loss(source, source) == 0
    ```
    """
    multipliers = check_kernel_multipliers(kernel_multipliers)
    source, target = check_features(source, target, "mmd_loss")
    joint = tf.concat([source, target], axis=0)
    squared_norms = tf.reduce_sum(tf.square(joint), axis=1)
    distances = tf.maximum(
        squared_norms[:, None] + squared_norms[None, :]
        - 2.0 * tf.matmul(joint, joint, transpose_b=True), 0.0)
    base = tf.maximum(tf.stop_gradient(tf.reduce_mean(distances)), 1e-12)
    kernel = tf.add_n([tf.exp(-distances / (2.0 * m * base)) for m in multipliers])
    rows = tf.shape(source)[0]
    source_count, target_count = safe_count(source), safe_count(target)
    within_source = tf.reduce_sum(kernel[:rows, :rows]) / (source_count * source_count)
    within_target = tf.reduce_sum(kernel[rows:, rows:]) / (target_count * target_count)
    between = tf.reduce_sum(kernel[:rows, rows:]) / (source_count * target_count)
    return within_source + within_target - 2.0 * between


@keras_transfer_export("keras_transfer.MMDLoss")
class MMDLoss(keras.losses.Loss):
    """`keras_transfer.mmd_loss` as a Keras loss on a batch of mixed domains.

    For `compile`: `y_pred` is the features of a whole batch
    (`[batch, ...]`, flattened to `[batch, features]`) and `y_true` the
    domain of every row, 0 for source and 1 for target (the `"domain"`
    target of `keras_transfer.data.domain_adaptation_dataset`). The loss
    splits the rows by domain and returns `mmd_loss(source_rows,
    target_rows)` once per row, so Keras' mean over the batch gives exactly
    that value (leave the domain sample weights at 1). A batch without rows
    of one of the domains gives 0. Under a distribution strategy each
    replica sees its own slice of the batch.

    Args:
        kernel_multipliers: sequence of float. See `mmd_loss`. Defaults to
            `(0.125, 0.25, 0.5, 1.0, 2.0)`.
        name: str. Defaults to `"mmd_loss"`.
        reduction: str. Keras loss reduction. Defaults to
            `"sum_over_batch_size"`.
        dtype: str. Defaults to `None` (float32).

    Example:

    ```python
    model.compile(optimizer="adam",
                  loss={"label": "sparse_categorical_crossentropy",
                        "domain": keras_transfer.MMDLoss()},
                  loss_weights={"label": 1.0, "domain": 1.0})
    ```
    """

    def __init__(self, kernel_multipliers=KERNEL_MULTIPLIERS, name="mmd_loss",
                 reduction="sum_over_batch_size", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.kernel_multipliers = check_kernel_multipliers(kernel_multipliers)

    def call(self, y_true, y_pred):
        source, target, both_present = split_by_domain(y_true, y_pred)
        value = mmd_loss(source, target, self.kernel_multipliers)
        value = tf.where(both_present, value, 0.0)
        return tf.cast(per_row(value, y_true), self.dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"kernel_multipliers": list(self.kernel_multipliers)})
        return config


def check_kernel_multipliers(kernel_multipliers):
    """The multipliers as a tuple of float, each finite and > 0."""
    values = (tuple(kernel_multipliers)
              if isinstance(kernel_multipliers, (list, tuple)) else None)
    if (not values or not all(
            isinstance(m, numbers.Real) and not isinstance(m, bool)
            and math.isfinite(m) and m > 0 for m in values)):
        raise ValueError(
            "`kernel_multipliers` must be a non-empty list of finite numbers > 0. "
            f"Received: kernel_multipliers={kernel_multipliers!r}")
    return tuple(float(m) for m in values)
