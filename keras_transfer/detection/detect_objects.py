"""`detect_objects`: run a YOLOv2-style detector on photos, boxes in pixels."""

import numpy as np
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.data.image_boxes import make_image_boxes
from keras_transfer.detection.detector_spec import detector_spec
from keras_transfer.detection.square_resize import square_resize
from keras_transfer.detection.yolo_detections import check_thresholds, yolo_detections
from keras_transfer.utils.argument_validation import check_int

# The largest photo side accepted, in pixels.
MAX_IMAGE_SIDE = 16384


def _check_image(image):
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[-1] != 3 or min(image.shape[:2]) < 1:
        raise ValueError(
            f"`image` must be [height, width, 3]. Received: shape={image.shape}")
    if max(image.shape[:2]) > MAX_IMAGE_SIDE:
        raise ValueError(
            f"`image` sides must be at most {MAX_IMAGE_SIDE} pixels. "
            f"Received: shape={image.shape}")
    return image


def square_input(image, input_size):
    """Pads a photo at the bottom or right to a square, then resizes it.

    This is face-api's `NetInput.toBatchTensor(size, isCenterInputs=false)`:
    zero padding after the shorter side, bilinear resizing without half-pixel
    centres, values scaled to [0, 1] (`keras_transfer.detection.square_resize`).

    Args:
        image: `[height, width, 3]` array, uint8 (0..255) or float (0..1).
        input_size: int or `(height, width)`. The network input.

    Returns:
        float32 `np.ndarray` `[height, width, 3]` in [0, 1].

    Raises:
        ValueError: if `image` is not `[height, width, 3]` or a side exceeds
            `MAX_IMAGE_SIDE`.
    """
    image = _check_image(image)
    size = (input_size, input_size) if np.ndim(input_size) == 0 else tuple(input_size)
    if image.dtype != np.uint8:
        image = image.astype("float32")
    return square_resize(image, size).numpy()


def network_input(image, spec):
    """One photo as the detector of `spec` (`detector_spec`) sees it, float32.

    `square_resize` to the input size, times the model's pixel scale: what
    `detect_objects` feeds, what `keras-transfer fit --task detection`
    trains on, and what the served graph computes from image bytes.
    """
    image = _check_image(image)
    if image.dtype != np.uint8:
        image = image.astype("float32")
    return square_resize(image, spec["input_size"]) * spec["pixel_scale"]


@keras_transfer_export("keras_transfer.detection.detect_objects")
def detect_objects(model, images, anchors=None, class_names=None, input_size=None,
                   score_threshold=0.5, iou_threshold=0.4, max_detections=100,
                   batch_size=16):
    """Detects objects in photos with a YOLOv2-style model; boxes in pixels.

    Each photo is padded at the bottom or right to a square and resized to
    the network input (`keras_transfer.detection.square_resize`), the
    model's raw outputs go through `keras_transfer.detection.yolo_detections`
    (class-aware non-max suppression, the graph the serving export runs),
    and the boxes come back in the photo's pixels, clipped to it.

    Two kinds of models (`detector_spec`): a `keras_transfer.build_detector`
    model (its `YoloHead` gives anchors and classes, its `resizing` layer
    the input size; it takes pixel values 0..255), or a raw detector
    callable taking `[batch, input_size, input_size, 3]` values in [0, 1]
    (e.g. the `tiny_face_detector` backbone's `detector` SavedModel), for
    which `anchors` and `class_names` are needed.

    Args:
        model: a `build_detector` model or a callable (see above).
        images: list of `[height, width, 3]` arrays, uint8 or float in [0, 1].
        anchors: sequence of `(width, height)` pairs, in output cells.
            Defaults to `None` (the model's head).
        class_names: sequence of str. Defaults to `None` (`"0"`, `"1"`, ...
            for a `build_detector` model).
        input_size: int or `(height, width)`, multiples of 32. Defaults to
            `None` (the model's, else 416).
        score_threshold: float. Defaults to 0.5.
        iou_threshold: float. Defaults to 0.4.
        max_detections: int. Defaults to 100.
        batch_size: int. Photos per model call. Defaults to 16.

    Returns:
        list of `keras_transfer.data.ImageBoxes` (with `scores`), one per
        photo, `image_id` its index.

    Raises:
        ValueError: on a bad argument or image.

    Example:

    ```python
    entry = keras_transfer.get_backbone("tiny_face_detector")["detection"]
    detector = tf.saved_model.load(keras_transfer.backbone_path(
        "tiny_face_detector", "detector"))
    faces = keras_transfer.detection.detect_objects(
        detector, [photo], entry["anchors"], entry["class_names"])
    faces[0].boxes, faces[0].scores
    # A build_detector model needs nothing else:
    found = keras_transfer.detection.detect_objects(model, [photo], class_names=names)
    ```
    """
    spec = detector_spec(model, anchors, class_names, input_size)
    check_thresholds(score_threshold, iou_threshold, max_detections)
    check_int(batch_size, "batch_size", 1)
    images = [_check_image(image) for image in images]
    results = []
    for start in range(0, len(images), batch_size):
        chunk = images[start:start + batch_size]
        batch = tf.stack([network_input(image, spec) for image in chunk])
        outputs = model(batch, training=False)
        sizes = [image.shape[:2] for image in chunk]
        found = {key: value.numpy() for key, value in yolo_detections(
            outputs, spec["anchors"], spec["num_classes"], image_sizes=sizes,
            score_threshold=score_threshold, iou_threshold=iou_threshold,
            max_detections=max_detections).items()}
        for offset, (height, width) in enumerate(sizes):
            count = int(found["num_detections"][offset])
            results.append(make_image_boxes(
                str(start + offset), width, height, found["boxes"][offset, :count],
                found["class_ids"][offset, :count], spec["class_names"],
                scores=found["scores"][offset, :count]))
    return results
