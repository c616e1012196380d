"""`detect_objects`: run a YOLOv2-style detector on photos, boxes in pixels."""

import numpy as np
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.data.image_boxes import make_image_boxes
from keras_transfer.detection.decode_yolo_v2 import decode_yolo_v2
from keras_transfer.utils.argument_validation import check_int

# The largest photo side accepted, in pixels (bounds the padded copy).
MAX_IMAGE_SIDE = 16384


def square_input(image, input_size):
    """Pads a photo at the bottom or right to a square, then resizes it.

    This is face-api's `NetInput.toBatchTensor(size, isCenterInputs=false)`:
    zero padding after the shorter side, bilinear resizing without half-pixel
    centres, values scaled to [0, 1].

    Args:
        image: `[height, width, 3]` array, uint8 (0..255) or float (0..1).
        input_size: int. Side of the square network input.

    Returns:
        float32 `np.ndarray` `[input_size, input_size, 3]` in [0, 1].

    Raises:
        ValueError: if `image` is not `[height, width, 3]` or a side exceeds
            `MAX_IMAGE_SIDE`.
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[-1] != 3 or min(image.shape[:2]) < 1:
        raise ValueError(
            f"`image` must be [height, width, 3]. Received: shape={image.shape}")
    if max(image.shape[:2]) > MAX_IMAGE_SIDE:
        raise ValueError(
            f"`image` sides must be at most {MAX_IMAGE_SIDE} pixels. "
            f"Received: shape={image.shape}")
    pixels = image.astype("float32") / (255.0 if image.dtype == np.uint8 else 1.0)
    side = max(image.shape[:2])
    square = np.zeros((side, side, 3), "float32")
    square[:image.shape[0], :image.shape[1]] = pixels
    if side != input_size:
        square = tf.raw_ops.ResizeBilinear(
            images=square[None], size=[input_size, input_size],
            align_corners=False, half_pixel_centers=False)[0].numpy()
    return square


@keras_transfer_export("keras_transfer.detection.detect_objects")
def detect_objects(model, images, anchors, class_names, input_size=416,
                   score_threshold=0.5, iou_threshold=0.4, max_detections=100):
    """Detects objects in photos with a YOLOv2-style model; boxes in pixels.

    Each photo is padded at the bottom or right to a square and resized to
    `input_size` (`square_input`), the model's outputs are decoded with
    `decode_yolo_v2`, and the boxes are scaled back to the photo's pixels
    and clipped to it.

    Args:
        model: callable. Maps float32 `[batch, input_size, input_size, 3]`
            images in [0, 1] to YOLOv2 outputs (a `keras.Model` or a loaded
            SavedModel, e.g. the `tiny_face_detector` backbone's `detector`).
        images: list of `[height, width, 3]` arrays, uint8 or float in [0, 1].
        anchors: sequence of `(width, height)` pairs, in output cells.
        class_names: sequence of str. The detector's classes.
        input_size: int. Network input side, a multiple of 32. Defaults to 416.
        score_threshold: float. Defaults to 0.5.
        iou_threshold: float. Defaults to 0.4.
        max_detections: int. Defaults to 100.

    Returns:
        list of `keras_transfer.data.ImageBoxes` (with `scores`), one per
        photo, `image_id` its index.

    Raises:
        ValueError: on a bad argument.

    Example:

    ```python
    from keras_transfer.backbones.providers.tiny_face_detector import config
    detector = tf.saved_model.load(keras_transfer.backbone_path(
        "tiny_face_detector", "detector"))
    faces = keras_transfer.detection.detect_objects(
        detector, [photo], config.ANCHORS, config.CLASS_NAMES)
    faces[0].boxes, faces[0].scores
    ```
    """
    check_int(input_size, "input_size", 32)
    if input_size % 32:
        raise ValueError(
            f"`input_size` must be a multiple of 32. Received: input_size={input_size}")
    class_names = tuple(class_names)
    if not class_names:
        raise ValueError("`class_names` must not be empty. Received: class_names=()")
    batch = np.stack([square_input(image, input_size) for image in images])
    outputs = model(tf.constant(batch), training=False)
    decoded = decode_yolo_v2(outputs, anchors, num_classes=len(class_names),
                             score_threshold=score_threshold,
                             iou_threshold=iou_threshold,
                             max_detections=max_detections)
    results = []
    for index, (image, found) in enumerate(zip(images, decoded)):
        height, width = np.shape(image)[:2]
        boxes = found["boxes"] * max(height, width)
        boxes = np.clip(boxes, 0, [width, height, width, height])
        results.append(make_image_boxes(
            str(index), width, height, boxes, found["class_ids"], class_names,
            scores=found["scores"]))
    return results
