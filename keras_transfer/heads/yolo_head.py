"""`YoloHead`: a YOLOv2 output layer (optionally after one 3x3 conv block) on a feature map."""

import math

import keras
import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.detection.yolo_v2_boxes import check_anchors, encoding_size
from keras_transfer.utils.argument_validation import check_int, check_number


@keras_transfer_export("keras_transfer.YoloHead")
class YoloHead(keras.layers.Layer):
    """Maps a spatial feature map to raw YOLOv2 outputs, one set per anchor.

    For each cell of a `[batch, rows, cols, channels]` feature map the head
    predicts, per anchor, `(tx, ty, tw, th, objectness)` followed by one
    logit per class when `num_classes > 1` (the layout
    `keras_transfer.detection.decode_yolo_v2` and `keras_transfer.YoloLoss`
    read). With `filters > 0` a 3x3 convolution, batch normalization and
    leaky ReLU (0.1) come first; the output is a 1x1 convolution, like
    Tiny-YOLOv2's `conv8`, computed in float32. Its objectness biases start
    at `log(p / (1 - p))` with `p = objectness_prior`, so an untrained head
    predicts few objects and the first steps are not swamped by the
    no-object loss (RetinaNet's prior). The anchors travel with the layer
    (its config), so the loss and decoders can be built from the model.

    Args:
        anchors: sequence of `(width, height)` pairs, in output cells.
        num_classes: int. Number of classes.
        filters: int. Channels of the 3x3 conv block; 0 for none.
            Defaults to `0`.
        objectness_prior: float in (0, 1). Initial objectness probability.
            Defaults to `0.01`.
        **kwargs: Base layer keyword arguments (`name`, `dtype`).

    Call arguments:
        inputs: float tensor `[batch, rows, cols, channels]`.
        training: bool. Batch normalization mode.

    Returns:
        float32 tensor `[batch, rows, cols, anchors * (5 + classes)]`
        (no class logits for one class).

    Raises:
        ValueError: on a bad argument.

    Example:

    ```python
    head = keras_transfer.YoloHead([(1.0, 1.0), (2.0, 3.0)], num_classes=3)
    head(np.zeros((1, 4, 4, 64), "float32")).shape  # (1, 4, 4, 16)
    ```
    """

    def __init__(self, anchors, num_classes, filters=0, objectness_prior=0.01, **kwargs):
        super().__init__(**kwargs)
        self.anchors = [[float(w), float(h)] for w, h in check_anchors(anchors)]
        check_int(num_classes, "num_classes", minimum=1)
        check_int(filters, "filters", minimum=0)
        check_number(objectness_prior, "objectness_prior", 0, 1, min_open=True, max_open=True)
        self.num_classes = int(num_classes)
        self.filters = int(filters)
        self.objectness_prior = float(objectness_prior)
        self.encoding = encoding_size(self.num_classes)
        self.hidden = None
        if self.filters:
            self.hidden = [
                keras.layers.Conv2D(self.filters, 3, padding="same", use_bias=False,
                                    dtype=self.dtype_policy, name="conv"),
                keras.layers.BatchNormalization(dtype=self.dtype_policy, name="bn"),
                keras.layers.LeakyReLU(0.1, dtype=self.dtype_policy, name="leaky"),
            ]
        self.output_conv = keras.layers.Conv2D(
            len(self.anchors) * self.encoding, 1, dtype="float32", name="outputs")

    def build(self, input_shape):
        shape = tuple(input_shape)
        for layer in self.hidden or ():
            layer.build(shape)
            shape = layer.compute_output_shape(shape)
        self.output_conv.build(shape)
        bias = np.zeros(len(self.anchors) * self.encoding, "float32")
        bias[4::self.encoding] = math.log(self.objectness_prior / (1 - self.objectness_prior))
        self.output_conv.bias.assign(bias)
        self.built = True

    def call(self, inputs, training=None):
        x = inputs
        for layer in self.hidden or ():
            x = layer(x, training=training)
        return self.output_conv(x)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (len(self.anchors) * self.encoding,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "anchors": self.anchors,
            "num_classes": self.num_classes,
            "filters": self.filters,
            "objectness_prior": self.objectness_prior,
        })
        return config
