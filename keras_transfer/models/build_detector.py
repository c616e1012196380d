"""`build_detector`: pixels -> backbone feature map -> YOLOv2 head, pretrained or from scratch."""

import math
import numbers

import keras
import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.backbones import registry
from keras_transfer.heads.yolo_head import YoloHead
from keras_transfer.losses.yolo_loss import YoloLoss
from keras_transfer.models import common
from keras_transfer.recipes import defaults
from keras_transfer.utils.argument_validation import check_int, check_positive

# YOLOv2's VOC anchors (darknet yolov2-voc.cfg), divided by its 13-cell grid:
# (width, height) as fractions of the image, small to large.
DEFAULT_ANCHORS = (
    (1.3221 / 13, 1.73145 / 13),
    (3.19275 / 13, 4.00944 / 13),
    (5.05587 / 13, 8.09892 / 13),
    (9.47112 / 13, 4.84053 / 13),
    (11.2364 / 13, 10.0071 / 13),
)


@keras_transfer_export("keras_transfer.build_detector")
def build_detector(backbone, num_classes, image_size=None, anchors=None,
                   pretrained=True, trainable=True, head_filters=None,
                   compile=True, learning_rate=None, seed=0):
    """Builds a YOLOv2-style detector on a registry backbone's feature map.

    The model takes raw pixel values in 0..255 (float32, `(height, width,
    3)`, any size) and contains, in order:

    - `preprocessing`: `Rescaling` to the backbone's value range and
      `Resizing` to `image_size` (boxes are relative to the image, so they
      survive the resize).
    - `backbone`: a `keras_transfer.HubBackbone` on the entry's
      `feature_map` variant (`[batch, rows, cols, channels]`, one cell per
      `stride` pixels); its `layer_groups`, input side first, are the
      model's fine-tuning groups, so `ProgressiveUnfreezing` and
      `DiscriminativeLR` apply unchanged.
    - `head`: a `keras_transfer.YoloHead` with the anchors (in cells) and
      `num_classes`; its raw output `[batch, rows, cols, anchors * (5 +
      classes)]` is the model's output.

    Three set-ups share this code: `"tiny_face_detector"` gives the
    pretrained face detector with a new `conv8` for new classes (transfer
    across tasks; its face anchors are the default); `"efficientnet_lite0"`
    a YOLO head (3x3 conv block + 1x1 conv) on ImageNet features; and
    `pretrained=False` the same architecture with every backbone variable
    re-initialized (Glorot-uniform kernels, zero biases, unit BatchNorm;
    BatchNorm then trains in training mode) as the from-scratch baseline.

    With `compile=True` the model is compiled with Adam and
    `keras_transfer.YoloLoss` on the head's anchors, so `model.fit(images,
    padded_boxes)` trains it (`keras_transfer.detection.pad_boxes`).

    Args:
        backbone: str. A registry name whose entry has a `feature_map`
            (`"tiny_face_detector"`, `"efficientnet_lite0"`).
        num_classes: int. Number of object classes, at least 1.
        image_size: int or `(height, width)`, multiples of the stride (32).
            Defaults to `None` (the entry's input size).
        anchors: sequence of `(width, height)` pairs as fractions of the
            image. Defaults to `None`: the entry's detection anchors when it
            is a detector, else YOLOv2's VOC anchors (`DEFAULT_ANCHORS`).
        pretrained: bool. Keep the pretrained backbone weights. Defaults to
            `True`.
        trainable: bool. Whether the backbone trains. Defaults to `True`.
        head_filters: int. Channels of the head's 3x3 conv block, 0 for
            none. Defaults to `None` (the entry's `head_filters`).
        compile: bool. Defaults to `True`.
        learning_rate: float. Adam's learning rate. Defaults to `None`
            (1e-4 for a pretrained trainable backbone, else 1e-3).
        seed: int. Seeds the re-initialization when `pretrained=False`.
            Defaults to `0`.

    Returns:
        A `keras.Model` named `"detector"`; `model.get_layer("head")` holds
        `anchors` (in cells) and `num_classes` for the loss and decoders.

    Raises:
        ValueError: for a backbone without a `feature_map` (listing those
            with one), a bad size, anchors or class count, or
            `pretrained=False` with `trainable=False`.

    Example:

    ```python
    model = keras_transfer.build_detector("tiny_face_detector", num_classes=10,
                                          image_size=128)
    model.fit(images, keras_transfer.detection.pad_boxes(boxes, 8), epochs=10)
    ```
    """
    name, entry = common.resolve_backbone(backbone, "image", "build_detector")
    with_maps = sorted(n for n, e in registry.BACKBONES.items() if e.get("feature_map"))
    if entry is None or not entry.get("feature_map"):
        raise ValueError(
            f"`backbone` must be a registered backbone with a feature map: one of "
            f"{with_maps}. Received: backbone={backbone!r}")
    check_int(num_classes, "num_classes", minimum=1)
    check_int(seed, "seed", minimum=0)
    if not isinstance(pretrained, bool) or not isinstance(trainable, bool):
        raise ValueError(
            "`pretrained` and `trainable` must be bools. Received: "
            f"pretrained={pretrained!r}, trainable={trainable!r}")
    if not pretrained and not trainable:
        raise ValueError(
            "A backbone trained from scratch must be trainable. Received: "
            "pretrained=False, trainable=False")
    feature_map = entry["feature_map"]
    stride = feature_map["stride"]
    height, width = _check_image_size(
        image_size if image_size is not None else entry["input"]["shape"][:2], stride)
    rows, cols = height // stride, width // stride
    anchors = _check_relative_anchors(
        anchors if anchors is not None else _default_anchors(entry, stride))
    if head_filters is None:
        head_filters = feature_map.get("head_filters", 0)
    if learning_rate is None:
        learning_rate = (defaults.FINE_TUNING_LEARNING_RATE if pretrained and trainable
                         else defaults.HEAD_LEARNING_RATE)
    check_positive(learning_rate, "learning_rate")
    low, high = entry["input"].get("range", (0.0, 1.0))

    entry = dict(entry, variant=feature_map["variant"], precision_variants={})
    if not pretrained:
        entry["inference_mode"] = False  # BatchNorm learns its statistics
    inputs = keras.Input((None, None, 3), dtype="float32", name="images")
    preprocessing = keras.Sequential([
        keras.layers.Rescaling((high - low) / 255.0, offset=low, dtype="float32",
                               name="rescaling"),
        keras.layers.Resizing(height, width, dtype="float32", name="resizing"),
    ], name="preprocessing")
    hub = common.backbone_layer(name, name, entry, trainable, None)
    if not pretrained:
        reinitialize_variables(hub.saved_model_variables, seed)
    head = YoloHead([[w * cols, h * rows] for w, h in anchors], int(num_classes),
                    filters=head_filters, name="head")
    model = keras.Model(inputs, head(hub(preprocessing(inputs))), name="detector")
    if compile:
        model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                      loss=YoloLoss(head.anchors, head.num_classes))
    return model


def reinitialize_variables(variables, seed):
    """Re-initializes a backbone's variables as Keras initializes new layers.

    Kernels (rank >= 2) get Glorot-uniform values (fans as Keras computes
    them for convolutions), BatchNorm `gamma` and `moving_variance` ones,
    biases, `beta` and `moving_mean` zeros.

    Args:
        variables: list of `keras.Variable` (a `HubBackbone`'s
            `saved_model_variables`).
        seed: int. Seeds the NumPy generator.

    Raises:
        ValueError: for a variable that is none of these kinds (naming it).
    """
    rng = np.random.default_rng(seed)
    for variable in variables:
        path = variable.path.lower()
        shape = tuple(variable.shape)
        if path.endswith(("gamma", "moving_variance")):
            value = np.ones(shape)
        elif path.endswith(("beta", "bias", "moving_mean")):
            value = np.zeros(shape)
        elif len(shape) >= 2 and "kernel" in path.rsplit("/", 1)[-1]:
            receptive = math.prod(shape[:-2])
            limit = math.sqrt(6.0 / (receptive * (shape[-2] + shape[-1])))
            value = rng.uniform(-limit, limit, shape)
        else:
            raise ValueError(
                f"Cannot re-initialize variable {variable.path!r} {shape}: not a "
                "kernel, bias or BatchNorm variable. Use pretrained=True.")
        variable.assign(value.astype(variable.dtype))


def _default_anchors(entry, stride):
    detection = entry.get("detection")
    if detection and detection.get("anchors"):
        cells = detection["input_size"] / stride
        return [(w / cells, h / cells) for w, h in detection["anchors"]]
    return DEFAULT_ANCHORS


def _check_relative_anchors(anchors):
    try:
        array = np.asarray(anchors, "float64")
    except (TypeError, ValueError):
        array = np.zeros((0,))
    if (array.ndim != 2 or array.shape[1] != 2 or len(array) == 0
            or np.any(array <= 0) or np.any(array > 1)):
        raise ValueError(
            "`anchors` must be a non-empty sequence of (width, height) pairs, "
            f"fractions of the image in (0, 1]. Received: anchors={anchors!r}")
    return array.tolist()


def _check_image_size(image_size, stride):
    given = image_size
    if isinstance(image_size, numbers.Integral) and not isinstance(image_size, bool):
        image_size = (image_size, image_size)
    if (not isinstance(image_size, (tuple, list)) or len(image_size) != 2
            or not all(isinstance(s, numbers.Integral) and not isinstance(s, bool)
                       and s >= stride and s % stride == 0 for s in image_size)):
        image_size = given
        raise ValueError(
            f"`image_size` must be an int or a (height, width) pair of multiples "
            f"of {stride}. Received: image_size={image_size!r}")
    return int(image_size[0]), int(image_size[1])
