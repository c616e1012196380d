"""`pad_boxes`: `ImageBoxes` (pixels) -> the fixed-size relative box tensor `model.fit` takes."""

import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.argument_validation import check_int


@keras_transfer_export("keras_transfer.detection.pad_boxes")
def pad_boxes(image_boxes, max_boxes):
    """Writes each image's boxes as `max_boxes` rows, relative to the image.

    The detection training target (`keras_transfer.YoloLoss`,
    `keras_transfer.detection.assign_yolo_targets`): per box a row `x_min /
    width, y_min / height, x_max / width, y_max / height, class_id, 1`, then
    rows of zeros (valid 0) up to `max_boxes`. Relative boxes stay right when
    the model resizes the image.

    Args:
        image_boxes: sequence of `keras_transfer.data.ImageBoxes`.
        max_boxes: int. Rows per image.

    Returns:
        float32 `np.ndarray` `[len(image_boxes), max_boxes, 6]`.

    Raises:
        ValueError: if an image has more than `max_boxes` boxes (naming it)
            or an image side is not positive.

    Example:

    ```python
    targets = keras_transfer.detection.pad_boxes(ground_truth, max_boxes=8)
    model.fit(images, targets, epochs=10)
    ```
    """
    check_int(max_boxes, "max_boxes", minimum=1)
    padded = np.zeros((len(image_boxes), max_boxes, 6), "float32")
    for index, item in enumerate(image_boxes):
        count = len(item.boxes)
        if count > max_boxes:
            raise ValueError(
                f"Image {item.image_id!r} has {count} boxes, more than "
                f"`max_boxes`. Received: max_boxes={max_boxes}")
        if item.width <= 0 or item.height <= 0:
            raise ValueError(
                f"Image {item.image_id!r} has size {item.width}x{item.height}; "
                "sides must be positive.")
        scale = np.array([item.width, item.height, item.width, item.height], "float32")
        padded[index, :count, :4] = np.asarray(item.boxes, "float32").reshape(-1, 4) / scale
        padded[index, :count, 4] = item.class_ids
        padded[index, :count, 5] = 1.0
    return padded
