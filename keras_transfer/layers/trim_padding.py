"""`TrimPadding`: drop the all-padding tail of BERT-style inputs, batch by batch."""

import keras
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.argument_validation import check_int


@keras_transfer_export("keras_transfer.TrimPadding")
class TrimPadding(keras.layers.Layer):
    """Cuts a dict of `[batch, seq_length]` token inputs to the batch's longest sequence.

    TF Hub BERT preprocessors pad every text to a fixed `seq_length` (128 for
    `minilm_l6`). Short texts (reviews, queries, snippets) then spend most of
    the encoder's compute on padding. This layer keeps only the first `L`
    positions, where `L` is the longest real sequence in the batch (per
    `mask_key`) rounded up to a multiple of `multiple_of`. Padding positions
    are masked out of attention and pooling, so the encoder's outputs for the
    real tokens are unchanged.

    The sequence length becomes dynamic: leave this layer out on TPUs, which
    need static shapes.

    Args:
        mask_key: str. The input whose non-zero entries mark real tokens.
            Defaults to `"input_mask"`.
        multiple_of: int. Round the kept length up to a multiple of this (a
            few distinct shapes instead of many). Defaults to 8.
        **kwargs: Base layer keyword arguments.

    Call arguments:
        inputs: dict of int tensors `[batch, seq_length]`.

    Returns:
        The same dict with every tensor cut to `[batch, L]`.

    Example:

    ```python
    trim = keras_transfer.TrimPadding()
    trimmed = trim({"input_word_ids": ids, "input_mask": mask, "input_type_ids": types})
    ```
    """

    def __init__(self, mask_key="input_mask", multiple_of=8, **kwargs):
        super().__init__(**kwargs)
        check_int(multiple_of, "multiple_of", minimum=1)
        self.mask_key = mask_key
        self.multiple_of = multiple_of

    def call(self, inputs):
        if not isinstance(inputs, dict) or self.mask_key not in inputs:
            raise ValueError(
                f"TrimPadding takes a dict with a {self.mask_key!r} entry. Received: "
                f"{sorted(inputs) if isinstance(inputs, dict) else type(inputs).__name__}")
        mask = inputs[self.mask_key]
        full = tf.shape(mask)[1]
        longest = tf.reduce_max(tf.reduce_sum(tf.cast(mask != 0, tf.int32), axis=1))
        length = ((longest + self.multiple_of - 1) // self.multiple_of) * self.multiple_of
        length = tf.clip_by_value(length, 1, full)
        return {key: value[:, :length] for key, value in inputs.items()}

    def compute_output_spec(self, inputs):
        return {key: keras.KerasTensor((value.shape[0], None), dtype=value.dtype)
                for key, value in inputs.items()}

    def get_config(self):
        config = super().get_config()
        config.update({"mask_key": self.mask_key, "multiple_of": self.multiple_of})
        return config
