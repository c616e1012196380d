"""Tiny models laid out like `build_detector`'s, for fast detection tests."""

import keras
import numpy as np

from keras_transfer.heads.yolo_head import YoloHead


def builder_like_detector(rows_cols=(2, 2), num_classes=2, head_bias=None, seed=0):
    """`preprocessing/resizing` -> a stride-32 conv -> a `YoloHead` named "head".

    Args:
        rows_cols: output grid; the input is resized to 32 times it.
        num_classes: int.
        head_bias: the head's output bias (2 anchors x (5 + classes)). When
            given, the head's kernel is zero, so every cell predicts exactly
            this. Defaults to
            `None` (the random head).
        seed: int. Seeds the random weights.
    """
    keras.utils.set_random_seed(seed)
    height, width = 32 * rows_cols[0], 32 * rows_cols[1]
    inputs = keras.Input((None, None, 3), name="images")
    preprocessing = keras.Sequential([
        keras.layers.Rescaling(1 / 255.0, name="rescaling"),
        keras.layers.Resizing(height, width, name="resizing")], name="preprocessing")
    features = keras.layers.Conv2D(8, 32, strides=32, name="features")(preprocessing(inputs))
    head = YoloHead([(1.0, 1.0), (2.0, 1.5)], num_classes=num_classes, name="head")
    model = keras.Model(inputs, head(features), name="detector")
    if head_bias is not None:
        head.output_conv.kernel.assign(np.zeros(head.output_conv.kernel.shape, "float32"))
        head.output_conv.bias.assign(np.asarray(head_bias, "float32"))
    return model
