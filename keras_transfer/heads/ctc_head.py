"""`CTCHead`: per-frame character logits, padded frames forced to the blank."""

import keras
from keras import ops

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.argument_validation import check_int, check_number

# Logit given to the non-blank classes of padded frames: exp(-1e4) is 0 in
# float32, and -1e4 still fits in float16.
_PADDED = -1e4


@keras_transfer_export("keras_transfer.CTCHead")
class CTCHead(keras.layers.Layer):
    """Frame-level logits for CTC over `[batch, frames, features]` features.

    Dropout, then a float32 Dense layer with `num_classes` units per output
    frame (class 0 is the CTC blank). With `upsample=k` the Dense layer has
    `k * num_classes` units and every input frame becomes `k` output frames:
    an encoder with few frames per second (speech_embedding: one per 80 ms)
    then still has more frames than characters, which CTC needs.

    Padding: with a `padding_mask` over the encoder's *input* (for example
    one entry per waveform sample, True where the audio is real), the first
    `ceil(frames * kept / total)` output frames of each example are kept and
    every later frame is forced to be the blank with certainty (logit 0 for
    the blank, -1e4 for the others). CTC's probability of a transcript over
    the padded length then equals its probability over the kept frames
    (every path gets only blanks, of probability 1, at its end), so
    `keras_transfer.CTCLoss` and `keras.ops.ctc_decode` need no lengths.

    Args:
        num_classes: int. Output classes including the blank (at least 2):
            `keras_transfer.speech.CharacterVocabulary().num_classes`.
        upsample: int. Output frames per input frame. Defaults to `1`.
        dropout: float. Dropout rate in [0, 1) on the features. Defaults to
            `0.0`.
        seed: int. Seed of the dropout mask. Defaults to `None`.
        **kwargs: Base layer keyword arguments (`name`, `dtype`).

    Call arguments:
        inputs: float tensor `[batch, frames, features]`.
        padding_mask: bool or 0/1 tensor `[batch, samples]` over the encoder
            input, or `None` (every frame is real).
        training: bool. Whether dropout is active.

    Returns:
        float32 logits `[batch, frames * upsample, num_classes]`.

    Example:

    ```python
    head = keras_transfer.CTCHead(29, upsample=2)
    logits = head(np.zeros((2, 10, 96), "float32"),
                  padding_mask=np.ones((2, 16000), "bool"))  # (2, 20, 29)
    ```
    """

    def __init__(self, num_classes, upsample=1, dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        check_int(num_classes, "num_classes", minimum=2,
                  note="the characters plus the CTC blank")
        check_int(upsample, "upsample", minimum=1)
        check_number(dropout, "dropout", minimum=0.0, maximum=1.0, max_open=True)
        self.num_classes = int(num_classes)
        self.upsample = int(upsample)
        self.dropout = float(dropout)
        self.seed = seed
        self.dropout_layer = keras.layers.Dropout(self.dropout, seed=seed,
                                                  dtype=self.dtype_policy)
        self.dense = keras.layers.Dense(self.num_classes * self.upsample,
                                        dtype="float32", name="logits")

    def build(self, inputs_shape, padding_mask_shape=None):
        self.dense.build(inputs_shape)

    def call(self, inputs, padding_mask=None, training=None):
        x = self.dense(self.dropout_layer(inputs, training=training))
        batch, frames = ops.shape(x)[0], ops.shape(x)[1]
        if self.upsample > 1:
            x = ops.reshape(x, (batch, frames * self.upsample, self.num_classes))
        if padding_mask is None:
            return x
        kept = ops.sum(ops.cast(ops.cast(padding_mask, "bool"), "float32"), axis=-1)
        total = ops.cast(ops.shape(padding_mask)[-1], "float32")
        steps = ops.shape(x)[1]
        lengths = ops.ceil(ops.cast(steps, "float32") * kept / total)
        real = ops.arange(steps, dtype="float32")[None, :] < lengths[:, None]
        blank = ops.one_hot(ops.zeros((1, 1), "int32"), self.num_classes)
        forced = (1.0 - blank) * _PADDED
        return ops.where(real[..., None], x, forced)

    def compute_output_shape(self, inputs_shape, padding_mask_shape=None):
        frames = inputs_shape[1]
        return (inputs_shape[0], None if frames is None else frames * self.upsample,
                self.num_classes)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "upsample": self.upsample, "dropout": self.dropout, "seed": self.seed}
