"""`read_voc_xml`: one Pascal VOC annotation file -> `ImageBoxes`."""

from pathlib import Path

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.data.image_boxes import make_image_boxes
from keras_transfer.utils.bounded_read import read_bounded
from keras_transfer.utils.safe_xml import parse_xml

# A VOC annotation is a few kilobytes; 4 MB holds thousands of objects.
MAX_VOC_BYTES = 4 << 20


def _text(element, path, source):
    node = element.find(path)
    if node is None or node.text is None or not node.text.strip():
        raise ValueError(f"{source}: <{path}> is missing or empty.")
    return node.text.strip()


def _number(element, path, source):
    text = _text(element, path, source)
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{source}: <{path}> is not a number: {text[:40]!r}.") from None


@keras_transfer_export("keras_transfer.data.read_voc_xml")
def read_voc_xml(path, class_names, one_based=False, skip_difficult=False,
                 max_bytes=MAX_VOC_BYTES):
    """Reads one Pascal VOC annotation (`<annotation>` XML) into `ImageBoxes`.

    The file is read under a size bound and parsed with document type
    declarations and entities refused (`keras_transfer.utils.safe_xml`).
    Each `<object>` gives a box from `<bndbox>` (`xmin`, `ymin`, `xmax`,
    `ymax`) and a class from `<name>`.

    Args:
        path: str or path. The `.xml` file.
        class_names: sequence of str. The dataset's classes; `<name>` must
            be one of them (its index is the class id).
        one_based: bool. The file holds the original VOC's 1-based pixel
            indices: subtract 1 from `xmin` and `ymin` (Detectron2's
            convention). Defaults to `False` (coordinates as written, as
            labelme and most converters write them).
        skip_difficult: bool. Leave out objects marked `<difficult>1`.
            Defaults to `False`.
        max_bytes: int. The largest file accepted. Defaults to 4 MB.

    Returns:
        `ImageBoxes` with `image_id` the `<filename>` (or the file's stem).

    Raises:
        ValueError: if the file is too large, not well-formed, holds a DTD or
            entities, misses a field, or names a class outside `class_names`.

    Example:

    ```python
    boxes = keras_transfer.data.read_voc_xml(
        "Annotations/2011_000006.xml", ["person", "dog"])
    boxes.boxes, boxes.class_ids
    ```
    """
    source = str(path)
    root = parse_xml(read_bounded(path, max_bytes, "VOC XML file"), source)
    if root.tag != "annotation":
        raise ValueError(f"{source}: the root element is <{root.tag[:40]}>, not <annotation>.")
    class_names = tuple(class_names)
    width = _number(root, "size/width", source)
    height = _number(root, "size/height", source)
    filename = root.find("filename")
    image_id = (filename.text.strip() if filename is not None and filename.text
                and filename.text.strip() else Path(path).stem)
    boxes, class_ids = [], []
    for obj in root.iter("object"):
        name = _text(obj, "name", source)
        if name not in class_names:
            raise ValueError(
                f"{source}: class {name[:80]!r} is not in `class_names`. "
                f"Received: class_names={list(class_names)}")
        difficult = obj.find("difficult")
        if skip_difficult and difficult is not None and (difficult.text or "").strip() == "1":
            continue
        box = [_number(obj, f"bndbox/{key}", source)
               for key in ("xmin", "ymin", "xmax", "ymax")]
        if one_based:
            box[0] -= 1.0
            box[1] -= 1.0
        boxes.append(box)
        class_ids.append(class_names.index(name))
    return make_image_boxes(image_id, width, height, boxes, class_ids, class_names)
