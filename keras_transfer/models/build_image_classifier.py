"""`build_image_classifier`: pixels -> backbone -> softmax, in one call."""

import numbers

import keras

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.distribute.multi_worker import enable_multi_worker_fit
from keras_transfer.heads.classification_head import ClassificationHead
from keras_transfer.models import common


@keras_transfer_export("keras_transfer.build_image_classifier")
def build_image_classifier(
    backbone,
    num_classes,
    image_size=None,
    dropout=0.2,
    trainable=True,
    precision=None,
    compile=True,
    learning_rate=None,
    strategy=None,
):
    """Builds an image classifier on a pretrained backbone.

    The model takes raw pixel values in 0..255 (float32 or uint8, shape
    `(height, width, 3)`, any size: what
    `keras.utils.image_dataset_from_directory` yields) and contains, in order:

    - `preprocessing`: a `keras.Sequential` of `Rescaling` (0..255 to the
      value range the backbone expects, `[0, 1]` unless the registry says
      otherwise) and `Resizing` to the backbone's input size. It always runs
      in float32.
    - `backbone`: a `keras_transfer.layers.hub_backbone.HubBackbone` (its
      `layer_groups` are the model's fine-tuning groups, input side first).
    - `head`: a `keras_transfer.heads.classification_head.ClassificationHead`
      with dropout and a float32 softmax over `num_classes`.

    `precision` sets the dtype policy of the backbone and head layers only;
    the global policy (`keras.config.dtype_policy()`) is left alone. A
    SavedModel backbone computes in the dtype it was saved with (its outputs
    are cast to the compute dtype), so mixed precision mostly speeds up the
    head; the probabilities are float32 in every case.

    With `compile=True` the model is compiled with Adam, sparse categorical
    crossentropy and accuracy (labels are integer class ids). The default
    learning rate is 1e-3 for a frozen backbone (`trainable=False`) and 1e-4
    for fine-tuning; lower it further (1e-5) when fine-tuning a large
    backbone from the start.

    Args:
        backbone: str or path-like. A registry name
            (`keras_transfer.backbones.registry.list_backbones("image")`), or
            the path/URL of an image feature-vector SavedModel taking float
            images in [0, 1], in which case `image_size` is required.
        num_classes: int. Number of classes, at least 2.
        image_size: int or tuple `(height, width)`. Size the images are
            resized to before the backbone. Defaults to `None` (the registry
            entry's input size).
        dropout: float. Dropout rate before the last Dense layer. Defaults
            to `0.2`.
        trainable: bool. Whether the backbone's weights are trained.
            Defaults to `True`.
        precision: str. `None` (the global policy), `"float32"`,
            `"mixed_bfloat16"` or `"mixed_float16"` (the optimizer is then a
            `keras.optimizers.LossScaleOptimizer`). Defaults to `None`.
        compile: bool. Whether to compile the model. Defaults to `True`.
        learning_rate: float. Adam learning rate. Defaults to `None` (1e-3
            when `trainable=False`, 1e-4 when `trainable=True`).
        strategy: `tf.distribute.Strategy`. When given, the variables are
            created (and the model compiled) under `strategy.scope()`.
            Under a multi-worker `MultiWorkerMirroredStrategy` the model also
            gets `keras_transfer.enable_multi_worker_fit`.
            Defaults to `None`.

    Returns:
        A `keras.Model` named `"image_classifier"` from pixels to float32
        class probabilities `[batch, num_classes]`.

    Raises:
        ValueError: for an unknown registry name (listing the image
            backbones), a text or audio backbone, `num_classes < 2`, a
            handle without `image_size`, a bad `image_size`, `dropout` or
            `precision`.

    Example:

    ```python
    train = keras.utils.image_dataset_from_directory("flowers/", batch_size=32)
    model = keras_transfer.build_image_classifier(
        "efficientnet_lite0", num_classes=len(train.class_names), trainable=False)
    model.fit(train, epochs=3)
    ```
    """
    name, entry = common.resolve_backbone(backbone, "image", "build_image_classifier")
    num_classes = common.check_num_classes(num_classes)
    precision = common.check_precision(precision)
    learning_rate = common.default_learning_rate(learning_rate, trainable)
    if image_size is None:
        shape = (entry or {}).get("input", {}).get("shape")
        if not shape:
            raise ValueError(
                "`image_size` is required when `backbone` is a handle (or a "
                "registry entry without an input shape): the size the "
                "SavedModel was trained at, e.g. image_size=224. Received: "
                f"backbone={backbone!r}, image_size=None"
            )
        image_size = tuple(shape[:2])
    height, width = _check_image_size(image_size)
    low, high = (entry or {}).get("input", {}).get("range", (0.0, 1.0))

    with common.strategy_scope(strategy):
        inputs = keras.Input((None, None, 3), dtype="float32", name="images")
        preprocessing = keras.Sequential(
            [
                keras.layers.Rescaling((high - low) / 255.0, offset=low,
                                       dtype="float32", name="rescaling"),
                keras.layers.Resizing(height, width, dtype="float32", name="resizing"),
            ],
            name="preprocessing",
        )
        hub = common.backbone_layer(backbone, name, entry, trainable, precision)
        head = ClassificationHead(num_classes, dropout=dropout, dtype=precision,
                                  name="head")
        outputs = head(hub(preprocessing(inputs)))
        model = keras.Model(inputs, outputs, name="image_classifier")
        if compile:
            common.compile_classifier(model, learning_rate, precision)
    return enable_multi_worker_fit(model)


def _check_image_size(image_size):
    if isinstance(image_size, numbers.Integral) and not isinstance(image_size, bool):
        image_size = (image_size, image_size)
    if (not isinstance(image_size, (tuple, list)) or len(image_size) != 2
            or not all(isinstance(s, numbers.Integral) and not isinstance(s, bool)
                       and s > 0 for s in image_size)):
        raise ValueError(
            "`image_size` must be a positive int or a (height, width) pair. "
            f"Received: image_size={image_size!r}"
        )
    return int(image_size[0]), int(image_size[1])
