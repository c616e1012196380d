"""`GradientReversal`: identity forward, gradient times `-coefficient` backward (DANN)."""

import keras
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.argument_validation import check_number


@keras_transfer_export("keras_transfer.GradientReversal")
class GradientReversal(keras.layers.Layer):
    """Passes its input through unchanged and reverses the gradient.

    The gradient reversal layer of domain-adversarial training (DANN, Ganin &
    Lempitsky 2015): in the forward pass it is the identity; in the backward
    pass it multiplies the incoming gradient by `-coefficient` (the paper's
    λ). Placed between a feature extractor and a domain classifier, it lets
    the classifier learn to tell the domains apart while the feature
    extractor learns, through the same loss, to make them indistinguishable.

    The coefficient lives in a non-trainable float32 variable
    (`coefficient_variable`), read each step inside the traced train
    function: assigning it (as
    `keras_transfer.callbacks.gradient_reversal_scheduler.GradientReversalScheduler`
    does every batch) changes the next step's gradient without retracing.
    It is saved with the model's weights, so a `.keras` file keeps its
    current value; `get_config()["coefficient"]` is the initial value.

    TensorFlow backend only (`tf.custom_gradient`).

    Args:
        coefficient: float. λ, the factor of the reversed gradient; finite,
            >= 0 (0 blocks the gradient). Defaults to `1.0`.
        **kwargs: Base layer keyword arguments (`name`, `dtype`).

    Call arguments:
        inputs: a float tensor of any shape.

    Returns:
        `inputs`, unchanged.

    Raises:
        ValueError: if `coefficient` is not a finite number >= 0.

    Example:

    ```python
    features = keras.Input((64,))
    reversed_features = keras_transfer.GradientReversal(coefficient=0.5)(features)
    domain_logit = keras.layers.Dense(1)(reversed_features)
    ```
    """

    def __init__(self, coefficient=1.0, **kwargs):
        super().__init__(**kwargs)
        check_number(coefficient, "coefficient", minimum=0, finite=True)
        self.coefficient = float(coefficient)
        self.supports_masking = True

    def build(self, input_shape):
        self.coefficient_variable = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(self.coefficient),
            trainable=False, dtype="float32", name="coefficient")
        self.built = True

    def call(self, inputs):
        coefficient = tf.cast(tf.convert_to_tensor(self.coefficient_variable), inputs.dtype)
        return _reverse_gradient(inputs, coefficient)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"coefficient": self.coefficient})
        return config


@tf.custom_gradient
def _reverse_gradient(inputs, coefficient):
    def gradient(upstream):
        # No gradient flows into the coefficient: it is a schedule, not a weight.
        return -coefficient * upstream, tf.zeros_like(coefficient)

    return tf.identity(inputs), gradient
