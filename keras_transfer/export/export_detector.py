"""`export_detector`: a `build_detector` model as a TF Serving SavedModel, image bytes -> boxes."""

import os

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.detection.detector_spec import detector_spec, yolo_head
from keras_transfer.detection.square_resize import square_resize
from keras_transfer.detection.yolo_detections import check_thresholds, yolo_detections
from keras_transfer.export import serving_inputs
from keras_transfer.export import warmup_requests
from keras_transfer.export.export_for_serving import SERVING_SIGNATURE
from keras_transfer.export.export_for_serving import _check_version
from keras_transfer.export.export_for_serving import _write_version

RAW_INPUT_NAME = serving_inputs.RAW_INPUT_NAMES["image"]
OUTPUT_NAMES = ("boxes", "scores", "class_ids", "class_names", "num_detections")


def decode_detector_inputs(image_bytes, input_size, pixel_scale):
    """Raw image bytes -> the detector's input and each photo's `(height, width)`.

    Every image passes `serving_inputs.check_image_bytes` (the classifiers'
    checks: empty, not an image, JPEG XL, decompression bombs), is decoded to
    RGB uint8 and goes through `keras_transfer.detection.square_resize`, the
    function `keras_transfer.detection.detect_objects` uses in Python. One
    image is decoded at a time, so a request holds one decoded photo at once.

    Returns:
        `(images, sizes)`: float32 `[batch, height, width, 3]` (times
        `pixel_scale`) and int32 `[batch, 2]`.
    """
    image_bytes = serving_inputs.check_image_bytes(image_bytes)
    height, width = input_size

    def decode_one(data):
        image = tf.io.decode_image(data, channels=3, expand_animations=False)
        return square_resize(image, input_size), tf.shape(image)[:2]

    images, sizes = tf.map_fn(
        decode_one, image_bytes, parallel_iterations=1,
        fn_output_signature=(tf.TensorSpec([height, width, 3], tf.float32),
                             tf.TensorSpec([2], tf.int32)))
    return images * pixel_scale, sizes


@keras_transfer_export("keras_transfer.export.export_detector")
def export_detector(model, base_dir, class_names=None, version=None, score_threshold=0.5,
                    iou_threshold=0.4, max_detections=100, warmup=True, model_name=None):
    """Exports a detector whose served graph goes from image bytes to final boxes.

    The `serving_default` signature takes `image_bytes` (a batch of encoded
    JPEG, PNG, GIF, BMP or WebP files) and runs, in the graph, what
    `keras_transfer.detection.detect_objects` runs in Python: each photo
    decoded to RGB, padded at the bottom or right to a square and resized
    to the model's input (`keras_transfer.detection.square_resize`, the
    training preprocessing of `keras-transfer fit --task detection`), the
    model, then `keras_transfer.detection.yolo_detections` (class-aware
    non-max suppression) with boxes scaled back to each photo's pixels. It
    returns, padded to `max_detections` per image, best first:

    - `boxes` (float32 `[batch, max_detections, 4]`, `[x_min, y_min,
      x_max, y_max]` in pixels of the photo as sent),
    - `scores` (float32 `[batch, max_detections]`),
    - `class_ids` (int32) and `class_names` (string, `""` as padding),
    - `num_detections` (int32 `[batch]`).

    Bad images fail the request with the classifiers' errors
    (`serving_inputs.check_image_bytes`: a request without instances, an
    empty string, bytes that are not an image, JPEG XL, a header declaring
    more than `serving_inputs.MAX_IMAGE_PIXELS` pixels, a truncated file),
    naming the bad instance's index. The folder layout, atomic write,
    versions and warmup file are those of
    `keras_transfer.export.export_for_serving`, which hands a detector to
    this function.

    Args:
        model: `keras.Model` from `keras_transfer.build_detector` (a
            `keras_transfer.YoloHead` named `"head"`, pixel values 0..255).
        base_dir: str or path. The TF Serving model folder; created if
            missing.
        class_names: sequence of str, one per class. Defaults to `None`:
            `"0"`, `"1"`, ...
        version: int. Defaults to `None` (the next free version).
        score_threshold: float in [0, 1). Defaults to 0.5.
        iou_threshold: float in [0, 1]. Defaults to 0.4.
        max_detections: int. Defaults to 100.
        warmup: bool. Write `assets.extra/tf_serving_warmup_requests`
            (needs the `serving` extra). Defaults to `True`.
        model_name: str. Name in the warmup requests. Defaults to `None`
            (the name of `base_dir`).

    Returns:
        The path of the written version folder, as a str.

    Raises:
        ValueError: for a model without a `YoloHead`, or a bad argument.
        FileExistsError: if `base_dir/<version>` exists.

    Example:

    ```python
    path = keras_transfer.export.export_detector(model, "/models/digits",
                                                 class_names=list("0123456789"))
    served = tf.saved_model.load(path).signatures["serving_default"]
    found = served(image_bytes=tf.constant([open("photo.jpg", "rb").read()]))
    found["boxes"][0, :found["num_detections"][0]]
    ```
    """
    if not isinstance(model, keras.Model) or yolo_head(model) is None:
        raise ValueError(
            "`model` must be a keras.Model with a keras_transfer.YoloHead named 'head' "
            "(from keras_transfer.build_detector). Received: "
            f"model={type(model).__name__}")
    spec = detector_spec(model, class_names=class_names)
    check_thresholds(score_threshold, iou_threshold, max_detections)
    _check_version(version)
    if not isinstance(warmup, bool):
        raise ValueError(f"`warmup` must be a bool. Received: warmup={warmup!r}")
    base_dir = os.path.abspath(os.fspath(base_dir))
    if model_name is None:
        model_name = os.path.basename(base_dir)
    if warmup:
        warmup_requests.import_serving_apis()  # fail before writing anything
    names = tf.constant(("",) + spec["class_names"], tf.string)

    def serve(image_bytes):
        images, sizes = decode_detector_inputs(image_bytes, spec["input_size"],
                                               spec["pixel_scale"])
        found = yolo_detections(
            model(images, training=False), spec["anchors"], spec["num_classes"],
            image_sizes=sizes, score_threshold=score_threshold,
            iou_threshold=iou_threshold, max_detections=max_detections)
        kept = tf.sequence_mask(found["num_detections"], max_detections, tf.int32)
        found["class_names"] = tf.gather(names, (found["class_ids"] + 1) * kept)
        return found

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        SERVING_SIGNATURE, serve,
        input_signature=[tf.TensorSpec([None], tf.string, name=RAW_INPUT_NAME)])
    sample = serving_inputs.sample_image_bytes(spec["input_size"])
    requests = [(SERVING_SIGNATURE, {RAW_INPUT_NAME: np.array([sample], dtype=object)})]
    return _write_version(archive, base_dir, version, model_name,
                          requests if warmup else None)
