"""`L2SP`: L2 penalty toward the pretrained weights (Li et al. 2018)."""

import keras

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.argument_validation import check_number


@keras_transfer_export("keras_transfer.L2SP")
class L2SP(keras.regularizers.Regularizer):
    """Penalty `alpha / 2 * ||w - w0||^2`: fine-tuning stays near the start point.

    L2-SP ("starting point", Li, Grandvalet & Davoine 2018) replaces weight
    decay toward zero with decay toward the pretrained weights `w0`, whose
    gradient is `alpha * (w - w0)`. It is a Keras regularizer, so it works
    with the public API alone: attach it to a variable
    (`variable.regularizer = L2SP(alpha, variable)`, which copies `w0` from
    the variable's current value) and Keras adds it to `model.losses`, and
    so to the training loss, while the variable is trainable.
    `keras_transfer.fine_tune(l2_sp=...)` attaches one to every backbone
    variable for the run and removes them afterwards.

    The reference `w0` is held in a non-trainable variable (not a graph
    constant), so a large backbone is not copied into every traced
    function. It is not part of the config: `get_config` holds `alpha` only,
    and the regularizer is meant to live for one training run.

    Args:
        alpha: float. The strength, >= 0. Li et al. use 0.01 to 0.1.
        reference: array, tensor or variable. `w0`, the value to stay near;
            its current value is copied.

    Raises:
        ValueError: if `alpha` is negative or not a number.

    Example:

    ```python
    backbone = model.get_layer("backbone")
    for variable in backbone.trainable_weights:
        variable.regularizer = keras_transfer.L2SP(0.01, variable)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(train_ds, epochs=3)
    ```
    """

    def __init__(self, alpha, reference):
        self.alpha = check_number(alpha, "alpha", 0, finite=True)
        value = keras.ops.convert_to_tensor(reference)
        self.reference = keras.Variable(value, trainable=False, dtype=value.dtype,
                                        name="l2_sp_reference")

    def __call__(self, x):
        difference = x - keras.ops.cast(self.reference, x.dtype)
        return keras.ops.cast(0.5 * self.alpha, x.dtype) * keras.ops.sum(
            keras.ops.square(difference))

    def get_config(self):
        return {"alpha": self.alpha}
