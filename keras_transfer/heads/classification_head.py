"""`ClassificationHead`: dropout + a float32 Dense on top of backbone features."""

import keras

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.argument_validation import check_int, check_number


@keras_transfer_export("keras_transfer.ClassificationHead")
class ClassificationHead(keras.layers.Layer):
    """Optional dropout followed by a Dense layer that always outputs float32.

    The head of every builder in `keras_transfer.models`. Under a mixed
    precision policy (`dtype="mixed_bfloat16"` or `"mixed_float16"`) the
    dropout runs in the compute dtype, but the final Dense layer has
    `dtype="float32"`, so probabilities (or logits) and the loss are computed
    in float32, as the Keras mixed precision guide recommends. It applies to
    the last axis, so it also works per token on `[batch, tokens, features]`.

    Args:
        num_classes: int. Number of output units (classes, or tags for token
            classification).
        dropout: float. Dropout rate in [0, 1) applied to the features
            during training. Defaults to `0.0`.
        activation: str or `None`. Activation of the output: `"softmax"` for
            probabilities, `None` for logits, or any other Keras activation
            name (`"sigmoid"`). Defaults to `"softmax"`.
        seed: int. Seed of the dropout mask, for reproducible training.
            Defaults to `None`.
        normalize: bool. Apply a `LayerNormalization` to the features
            first, for backbones whose outputs are far from unit scale
            (speech_embedding's reach ±70 and a plain Dense then learns
            slowly). Defaults to `False`.
        **kwargs: Base layer keyword arguments (`name`, `dtype`).

    Call arguments:
        inputs: a float tensor `[..., features]`.
        training: bool. Whether dropout is active.

    Returns:
        A float32 tensor `[..., num_classes]`.

    Raises:
        ValueError: if `num_classes` is not a positive integer, `dropout` is
            not in [0, 1), or `activation` is unknown.

    Example:

    ```python
    head = keras_transfer.ClassificationHead(5, dropout=0.2, name="head")
    probabilities = head(np.ones((2, 1280), "float32"))  # (2, 5) float32
    ```
    """

    def __init__(self, num_classes, dropout=0.0, activation="softmax", seed=None, normalize=False,
                 **kwargs):
        super().__init__(**kwargs)
        check_int(num_classes, "num_classes", minimum=1)
        check_number(dropout, "dropout", 0, 1, max_open=True)
        if activation is not None:
            try:
                keras.activations.get(activation)
            except ValueError:
                raise ValueError(
                    "`activation` must be None (logits) or a Keras activation name "
                    "such as 'softmax' or 'sigmoid'. "
                    f"Received: activation={activation!r}"
                ) from None
        self.num_classes = int(num_classes)
        self.dropout = float(dropout)
        self.activation = activation
        self.seed = seed
        self.normalize = bool(normalize)
        self.norm = (keras.layers.LayerNormalization(dtype="float32", name="norm")
                     if self.normalize else None)
        self.dropout_layer = (
            keras.layers.Dropout(self.dropout, seed=seed, dtype=self.dtype_policy,
                                 name="dropout")
            if self.dropout > 0 else None
        )
        self.dense = keras.layers.Dense(
            self.num_classes, activation=activation, dtype="float32", name="dense"
        )

    def build(self, input_shape):
        if self.norm is not None:
            self.norm.build(input_shape)
        if self.dropout_layer is not None:
            self.dropout_layer.build(input_shape)
        self.dense.build(input_shape)
        self.built = True

    def call(self, inputs, training=None):
        x = inputs
        if self.norm is not None:
            x = self.norm(x)
        if self.dropout_layer is not None:
            x = self.dropout_layer(x, training=training)
        return self.dense(x)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.num_classes,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_classes": self.num_classes,
                "dropout": self.dropout,
                "activation": self.activation,
                "seed": self.seed,
                "normalize": self.normalize,
            }
        )
        return config
