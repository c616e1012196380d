"""`detector_spec`: what a detector needs around it (anchors, classes, input size, pixel range)."""

import numpy as np

from keras_transfer.detection.yolo_v2_boxes import check_anchors
from keras_transfer.utils.argument_validation import check_int

# A raw detector (e.g. the `tiny_face_detector` SavedModel) sees 416-pixel squares.
DEFAULT_INPUT_SIZE = 416


def yolo_head(model):
    """The `keras_transfer.YoloHead` named `"head"` of a Keras model, or `None`."""
    from keras_transfer.heads.yolo_head import YoloHead

    get_layer = getattr(model, "get_layer", None)
    if get_layer is None:
        return None
    try:
        head = get_layer("head")
    except ValueError:
        return None
    return head if isinstance(head, YoloHead) else None


def _builder_input_size(model):
    """The `(height, width)` a `build_detector` model resizes to, else its fixed input size."""
    try:
        resizing = model.get_layer("preprocessing").get_layer("resizing")
        return int(resizing.height), int(resizing.width)
    except (ValueError, AttributeError):
        pass
    shape = tuple(model.inputs[0].shape[1:3]) if getattr(model, "inputs", None) else (None,)
    if None in shape:
        return None
    return int(shape[0]), int(shape[1])


def detector_spec(model, anchors=None, class_names=None, input_size=None):
    """Resolves how to run a detector: from its `YoloHead`, or from the arguments.

    Two kinds of detectors are run the same way (`square_resize`, the model,
    `yolo_detections`):

    - a Keras model with a `keras_transfer.YoloHead` named `"head"` (what
      `keras_transfer.build_detector` returns): anchors and the class count
      come from the head, the input size from its `preprocessing/resizing`
      layer (or a fixed input shape), and it takes pixel values 0..255;
    - any other callable (a raw SavedModel such as the `tiny_face_detector`
      backbone's `detector` variant): `anchors` and `class_names` must be
      given, the input is an `input_size` square (default 416) of values in
      [0, 1].

    Args:
        model: the detector.
        anchors: sequence of `(width, height)` pairs, in output cells.
            Defaults to `None` (the head's).
        class_names: sequence of str. Defaults to `None`: `"0"`, `"1"`, ...
            for a head; required otherwise.
        input_size: int or `(height, width)`, multiples of 32. Defaults to
            `None` (the model's, or 416).

    Returns:
        dict: `anchors` (float32 `[n, 2]`, cells), `num_classes`,
        `class_names` (tuple), `input_size` (`(height, width)`),
        `pixel_scale` (255.0 for pixel-value models, 1.0 for [0, 1]).

    Raises:
        ValueError: on missing or inconsistent arguments.
    """
    head = yolo_head(model)
    if head is not None:
        anchors = head.anchors if anchors is None else anchors
        num_classes = head.num_classes
        model_size = _builder_input_size(model)
        pixel_scale = 255.0
        if class_names is None:
            class_names = [str(i) for i in range(num_classes)]
    else:
        if anchors is None or class_names is None:
            raise ValueError(
                "`anchors` and `class_names` are needed for a model without a "
                "`keras_transfer.YoloHead` named 'head' (a raw detector such as "
                "the tiny_face_detector SavedModel). Received: "
                f"anchors={anchors!r}, class_names={class_names!r}")
        num_classes = len(tuple(class_names))
        model_size = None
        pixel_scale = 1.0
    class_names = tuple(class_names)
    if not class_names or not all(isinstance(name, str) for name in class_names):
        raise ValueError(
            "`class_names` must be a non-empty sequence of str. Received: "
            f"class_names={class_names!r}")
    if len(class_names) != num_classes:
        raise ValueError(
            f"The model's head predicts {num_classes} classes but `class_names` has "
            f"{len(class_names)}. Received: class_names={list(class_names)!r}")
    size = _check_input_size(input_size) if input_size is not None else None
    if size is not None and model_size is not None and size != model_size:
        raise ValueError(
            f"`input_size` {size} differs from the model's input size {model_size}. "
            f"Received: input_size={input_size!r}")
    size = size or model_size or (DEFAULT_INPUT_SIZE, DEFAULT_INPUT_SIZE)
    return {"anchors": check_anchors(anchors), "num_classes": int(num_classes),
            "class_names": class_names, "input_size": size, "pixel_scale": pixel_scale}


def _check_input_size(input_size):
    sizes = (input_size, input_size) if np.ndim(input_size) == 0 else tuple(input_size)
    if len(sizes) != 2:
        raise ValueError(
            f"`input_size` must be an int or a (height, width) pair. Received: "
            f"input_size={input_size!r}")
    for side in sizes:
        check_int(side, "input_size", 32)
        if side % 32:
            raise ValueError(
                f"`input_size` must be a multiple of 32. Received: input_size={input_size}")
    return int(sizes[0]), int(sizes[1])
