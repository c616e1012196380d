"""`CTCLoss`: connectionist temporal classification for `model.fit`."""

import keras
from keras import ops

from keras_transfer.api_export import keras_transfer_export


@keras_transfer_export("keras_transfer.CTCLoss")
class CTCLoss(keras.losses.Loss):
    """CTC negative log-likelihood of zero-padded labels under frame logits.

    `keras.ops.ctc_loss` with the blank at class 0. The label lengths come
    from the labels' padding: `y_true` is an int matrix `[batch, max_label]`
    whose entries after each transcript are 0 (what
    `keras_transfer.speech.CharacterVocabulary.encode` returns; no character
    has id 0). The logit lengths come from the logits' padding: frames past
    the audio are marked by `keras_transfer.CTCHead` as certain blanks, which
    leaves CTC's probability of the label unchanged, so every example is
    scored over all `frames` of `y_pred`. Logits from another head must mark
    their padded frames the same way (or have none).

    Args:
        reduction: str. As for every Keras loss. Defaults to
            `"sum_over_batch_size"` (the mean over examples).
        name: str. Defaults to `"ctc_loss"`.
        dtype: str. Defaults to `None`.

    Call arguments:
        y_true: int tensor `[batch, max_label]`, 0-padded character ids.
        y_pred: float tensor `[batch, frames, num_classes]`, logits (not
            probabilities).

    Returns:
        The reduced loss; per example, `-log p(label | logits)`.

    Example:

    ```python
    model.compile(optimizer="adam", loss=keras_transfer.CTCLoss())
    ```
    """

    def __init__(self, reduction="sum_over_batch_size", name="ctc_loss", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "int32")
        label_lengths = ops.sum(ops.cast(y_true > 0, "int32"), axis=-1)
        shape = ops.shape(y_pred)
        frame_lengths = ops.full((shape[0],), shape[1], dtype="int32")
        return ops.ctc_loss(y_true, y_pred, label_lengths, frame_lengths, mask_index=0)
