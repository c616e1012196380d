"""`AttentionWeightedAverage`: pool a sequence with one learned score per timestep."""

import keras
from keras import ops

from keras_transfer.api_export import keras_transfer_export


@keras_transfer_export("keras_transfer.AttentionWeightedAverage")
class AttentionWeightedAverage(keras.layers.Layer):
    """Averages a sequence over time, weighting each step by a learned attention score.

    Each timestep `x_t` gets the score `x_t . w` (one weight per channel);
    the scores are turned into weights with a softmax over time and the
    output is `sum_t weight_t * x_t`. Masked timesteps get weight 0. This is
    the pooling layer of DeepMoji and textgenrnn (`attention`), written with
    `keras.ops`: the same formula, `exp(s - max s) / (sum exp(s - max s) +
    epsilon)`, so their weights load unchanged.

    Args:
        **kwargs: Base layer keyword arguments.

    Call arguments:
        inputs: float tensor `[batch, timesteps, channels]`.
        mask: optional bool tensor `[batch, timesteps]`; `False` steps are
            left out of the average.

    Returns:
        float tensor `[batch, channels]`.

    Example:

    ```python
    pool = keras_transfer.AttentionWeightedAverage()
    pooled = pool(keras.ops.ones((2, 40, 356)))  # shape (2, 356)
    ```
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.input_spec = keras.layers.InputSpec(ndim=3)

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], 1), name="kernel",
            initializer=keras.initializers.RandomUniform(-0.05, 0.05))

    def call(self, inputs, mask=None):
        scores = ops.squeeze(ops.matmul(inputs, ops.cast(self.kernel, inputs.dtype)), -1)
        weights = ops.exp(scores - ops.max(scores, axis=-1, keepdims=True))
        if mask is not None:
            weights = weights * ops.cast(mask, weights.dtype)
        weights = weights / (ops.sum(weights, axis=-1, keepdims=True)
                             + keras.config.epsilon())
        return ops.sum(inputs * ops.expand_dims(weights, -1), axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def compute_mask(self, inputs, mask=None):
        return None
