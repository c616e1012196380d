"""`ImageBoxes`: the one in-memory form of an image's boxes (ground truth or predictions)."""

from typing import NamedTuple

import numpy as np

from keras_transfer.api_export import keras_transfer_export


@keras_transfer_export("keras_transfer.data.ImageBoxes")
class ImageBoxes(NamedTuple):
    """The labelled boxes of one image, in absolute pixels.

    Every box reader (`read_voc_xml`, `read_coco_json`, `read_yolo_txt`),
    `keras_transfer.detection.detect_objects` and
    `keras_transfer.evaluation.evaluate_detections` use this one form. Boxes
    are `[x_min, y_min, x_max, y_max]` in pixels of the image as stored
    (x to the right, y down, continuous coordinates: a box covering the
    whole 640x480 image is `[0, 0, 640, 480]`).

    Args:
        image_id: str. The image's name (file name without folder, COCO
            `file_name`, ...).
        width: int. Image width in pixels.
        height: int. Image height in pixels.
        boxes: float32 `np.ndarray` `[n, 4]`, xyxy pixels.
        class_ids: int32 `np.ndarray` `[n]`; `class_names[class_ids[i]]` is
            box `i`'s class.
        class_names: tuple of str. The dataset's classes, in id order.
        scores: float32 `np.ndarray` `[n]` for predictions, `None` for
            ground truth. Defaults to `None`.

    Example:

    ```python
    boxes = keras_transfer.data.ImageBoxes(
        "a.jpg", 640, 480, np.array([[10, 20, 110, 220]], "float32"),
        np.array([0], "int32"), ("person",))
    ```
    """

    image_id: str
    width: int
    height: int
    boxes: np.ndarray
    class_ids: np.ndarray
    class_names: tuple
    scores: np.ndarray = None


def make_image_boxes(image_id, width, height, boxes, class_ids, class_names,
                     scores=None):
    """Builds an `ImageBoxes` with checked dtypes and shapes.

    Args:
        image_id, width, height, boxes, class_ids, class_names, scores: as
            `ImageBoxes`; `boxes` may be any `[n, 4]` array-like (`[]` for
            no boxes).

    Returns:
        `ImageBoxes`.

    Raises:
        ValueError: if a box has `x_max < x_min` or `y_max < y_min`, a class
            id is outside `class_names`, or the lengths disagree.
    """
    boxes = np.asarray(boxes, "float32").reshape(-1, 4)
    class_ids = np.asarray(class_ids, "int32").reshape(-1)
    class_names = tuple(class_names)
    if len(class_ids) != len(boxes):
        raise ValueError(
            f"{image_id}: {len(boxes)} boxes but {len(class_ids)} class ids.")
    if np.any(boxes[:, 2] < boxes[:, 0]) or np.any(boxes[:, 3] < boxes[:, 1]):
        raise ValueError(
            f"{image_id}: each box must be [x_min, y_min, x_max, y_max] with "
            f"max >= min. Received: boxes={boxes.tolist()[:4]}")
    if len(class_ids) and (class_ids.min() < 0 or class_ids.max() >= len(class_names)):
        raise ValueError(
            f"{image_id}: class ids must be in [0, {len(class_names)}). "
            f"Received: class_ids={class_ids.tolist()[:8]}")
    if scores is not None:
        scores = np.asarray(scores, "float32").reshape(-1)
        if len(scores) != len(boxes):
            raise ValueError(
                f"{image_id}: {len(boxes)} boxes but {len(scores)} scores.")
    return ImageBoxes(str(image_id), int(width), int(height), boxes, class_ids,
                      class_names, scores)
