"""`read_yolo_txt`: one YOLO label file (normalised centre boxes) -> `ImageBoxes`."""

import math
from pathlib import Path

import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.data.image_boxes import make_image_boxes
from keras_transfer.utils.argument_validation import check_int
from keras_transfer.utils.bounded_read import read_bounded

# One line is ~40 bytes; 1 MB holds ~25,000 boxes.
MAX_YOLO_BYTES = 1 << 20


@keras_transfer_export("keras_transfer.data.read_yolo_txt")
def read_yolo_txt(path, width, height, class_names, max_bytes=MAX_YOLO_BYTES):
    """Reads one YOLO label file into `ImageBoxes` (pixels).

    Each non-empty line is `class_id x_center y_center width height`, the
    four coordinates relative to the image size (0..1). YOLO files do not
    store the image size, so it is an argument. Boxes reaching past the
    image are clipped to it.

    Args:
        path: str or path. The `.txt` file (its stem is the `image_id`).
        width: int. Image width in pixels.
        height: int. Image height in pixels.
        class_names: sequence of str. The dataset's classes (YOLO's
            `names`), in id order.
        max_bytes: int. The largest file accepted. Defaults to 1 MB.

    Returns:
        `ImageBoxes`.

    Raises:
        ValueError: if the file is too large or a line is not five numbers
            with a valid class id and non-negative, finite sizes.

    Example:

    ```python
    boxes = keras_transfer.data.read_yolo_txt("labels/0001.txt", 640, 480, ["cat", "dog"])
    ```
    """
    check_int(width, "width", 1)
    check_int(height, "height", 1)
    class_names = tuple(class_names)
    source = str(path)
    try:
        text = read_bounded(path, max_bytes, "YOLO label file").decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{source} is not UTF-8 text.") from None
    boxes, class_ids = [], []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        try:
            values = [float(v) for v in fields[1:]]
            class_id = int(fields[0])
        except ValueError:
            values, class_id = [], -1
        if (len(fields) != 5 or not 0 <= class_id < len(class_names)
                or not all(math.isfinite(v) for v in values)
                or values[2] < 0 or values[3] < 0):
            raise ValueError(
                f"{source}, line {number}: expected 'class_id x_center y_center "
                f"width height' with class_id in [0, {len(class_names)}) and "
                f"sizes >= 0. Received: {line[:80]!r}")
        cx, cy, w, h = values
        boxes.append([(cx - w / 2) * width, (cy - h / 2) * height,
                      (cx + w / 2) * width, (cy + h / 2) * height])
        class_ids.append(class_id)
    boxes = np.clip(np.asarray(boxes, "float32").reshape(-1, 4), 0,
                    [width, height, width, height])
    return make_image_boxes(Path(path).stem, width, height, boxes, class_ids, class_names)
