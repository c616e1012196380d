"""`read_coco_json`: a COCO object-detection annotation file -> `ImageBoxes` per image."""

import json
import math

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.data.image_boxes import make_image_boxes
from keras_transfer.utils.bounded_read import read_bounded

# COCO's train2017 instances file is 448 MB; keep the default well below it
# and let trusted callers raise it.
MAX_COCO_BYTES = 256 << 20


def _field(record, key, kind, source):
    value = record.get(key) if isinstance(record, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(
            f"{source}: an entry lacks {key!r} of type {kind}. "
            f"Received: {str(record)[:120]!r}")
    return value


@keras_transfer_export("keras_transfer.data.read_coco_json")
def read_coco_json(path, include_crowd=False, max_bytes=MAX_COCO_BYTES):
    """Reads a COCO-format detection annotation file into `ImageBoxes`.

    Categories are sorted by their COCO `id`; class id `i` is the `i`-th
    (COCO's ids have gaps: 1..90 for 80 classes). COCO boxes
    `[x, y, width, height]` become `[x, y, x + width, y + height]`.

    Args:
        path: str or path. The `.json` file (`images`, `annotations`,
            `categories`).
        include_crowd: bool. Keep annotations with `iscrowd` 1. Defaults to
            `False` (COCO evaluation ignores them).
        max_bytes: int. The largest file accepted. Defaults to 256 MB.

    Returns:
        `(images, coco_ids)`: a list of `ImageBoxes`, one per entry of
        `images` in file order (`image_id` its `file_name`), and the COCO
        category id of each class id (a tuple).

    Raises:
        ValueError: if the file is too large, not JSON, lacks a field, or an
            annotation refers to an unknown image or category or has a
            negative or non-finite size.

    Example:

    ```python
    images, coco_ids = keras_transfer.data.read_coco_json("instances_val.json")
    images[0].boxes, images[0].class_names
    ```
    """
    source = str(path)
    try:
        document = json.loads(read_bounded(path, max_bytes, "COCO JSON file"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{source} is not JSON ({error}).") from None
    if not isinstance(document, dict):
        raise ValueError(f"{source}: the top level must be an object.")
    categories = sorted(document.get("categories") or [],
                        key=lambda c: _field(c, "id", int, source))
    coco_ids = tuple(_field(c, "id", int, source) for c in categories)
    class_names = tuple(_field(c, "name", str, source) for c in categories)
    category_index = {cid: i for i, cid in enumerate(coco_ids)}
    images = {}
    for image in document.get("images") or []:
        images[_field(image, "id", int, source)] = {
            "file_name": _field(image, "file_name", str, source),
            "width": _field(image, "width", int, source),
            "height": _field(image, "height", int, source),
            "boxes": [], "class_ids": []}
    for annotation in document.get("annotations") or []:
        image_id = _field(annotation, "image_id", int, source)
        category = _field(annotation, "category_id", int, source)
        if image_id not in images or category not in category_index:
            raise ValueError(
                f"{source}: annotation {annotation.get('id')!r} refers to image "
                f"{image_id} or category {category}, which the file does not list.")
        if annotation.get("iscrowd") and not include_crowd:
            continue
        box = _field(annotation, "bbox", list, source)
        if (len(box) != 4 or not all(isinstance(v, (int, float)) for v in box)
                or not all(math.isfinite(v) for v in box) or box[2] < 0 or box[3] < 0):
            raise ValueError(
                f"{source}: annotation {annotation.get('id')!r} has bbox {box[:4]!r}; "
                "expected [x, y, width, height] with width, height >= 0.")
        x, y, w, h = (float(v) for v in box)
        images[image_id]["boxes"].append([x, y, x + w, y + h])
        images[image_id]["class_ids"].append(category_index[category])
    return [make_image_boxes(i["file_name"], i["width"], i["height"], i["boxes"],
                             i["class_ids"], class_names)
            for i in images.values()], coco_ids
