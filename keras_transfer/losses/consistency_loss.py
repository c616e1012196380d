"""FixMatch's consistency loss on unlabelled rows: `consistency_loss` and `confidence_mask`."""

import keras
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.argument_validation import check_number

# FixMatch's threshold τ (Sohn et al. 2020, all their benchmarks).
CONFIDENCE_THRESHOLD = 0.95


@keras_transfer_export("keras_transfer.consistency_loss")
def consistency_loss(weak_probabilities, strong_probabilities,
                     confidence_threshold=CONFIDENCE_THRESHOLD, from_logits=False):
    """FixMatch's unlabelled loss: masked crossentropy to the weak view's pseudo-labels.

    For each unlabelled row, the prediction on a weakly augmented view gives
    a pseudo-label (its argmax) and a confidence (its max probability). The
    rows whose confidence is at least `confidence_threshold` count:

    ```
    loss = sum over rows of mask_i * CE(argmax(weak_i), strong_i) / rows
    ```

    with `mask_i = max(weak_i) >= confidence_threshold`. As in FixMatch
    (Sohn et al. 2020, eq. 4) the sum is divided by the number of *all*
    unlabelled rows, masked ones included, so a batch with few confident
    rows gives a small loss. No gradient flows through the pseudo-labels
    (`weak_probabilities` is wrapped in `stop_gradient`).

    Args:
        weak_probabilities: float tensor `[rows, classes]`. Class
            probabilities (or logits, with `from_logits=True`) on the weak
            views.
        strong_probabilities: float tensor `[rows, classes]`. The same for
            the strong views of the same rows.
        confidence_threshold: float. τ, in [0, 1]. Defaults to `0.95`.
        from_logits: bool. Whether both inputs are logits. Defaults to
            `False` (probabilities, as the library's classifiers output).

    Returns:
        A float32 scalar tensor; 0 for zero rows.

    Raises:
        ValueError: for a bad `confidence_threshold`.

    Example:

    ```python
    weak = np.array([[0.97, 0.03], [0.6, 0.4]], "float32")
    strong = np.array([[0.8, 0.2], [0.1, 0.9]], "float32")
    keras_transfer.consistency_loss(weak, strong)  # -log(0.8) / 2: row 2 is masked
    ```
    """
    mask, labels = confidence_mask(weak_probabilities, confidence_threshold, from_logits,
                                   return_labels=True)
    strong = tf.cast(strong_probabilities, tf.float32)
    crossentropy = keras.losses.sparse_categorical_crossentropy(
        labels, strong, from_logits=from_logits)
    rows = tf.maximum(tf.cast(tf.shape(mask)[0], tf.float32), 1.0)
    return tf.reduce_sum(mask * crossentropy) / rows


def confidence_mask(weak_probabilities, confidence_threshold=CONFIDENCE_THRESHOLD,
                    from_logits=False, return_labels=False):
    """Which rows are confident enough to be pseudo-labelled (1.0) or not (0.0).

    Args:
        weak_probabilities: float tensor `[rows, classes]`, probabilities (or
            logits with `from_logits=True`).
        confidence_threshold: float. A row counts when its max probability
            is `>= confidence_threshold`. Defaults to `0.95`.
        from_logits: bool. Apply a softmax first. Defaults to `False`.
        return_labels: bool. Also return the pseudo-labels (argmax, int32).
            Defaults to `False`.

    Returns:
        The float32 mask `[rows]`, or `(mask, labels)`.
    """
    check_number(confidence_threshold, "confidence_threshold", 0, 1)
    weak = tf.stop_gradient(tf.cast(weak_probabilities, tf.float32))
    if from_logits:
        weak = tf.nn.softmax(weak, axis=-1)
    mask = tf.cast(tf.reduce_max(weak, axis=-1) >= confidence_threshold, tf.float32)
    if return_labels:
        return mask, tf.argmax(weak, axis=-1, output_type=tf.int32)
    return mask
