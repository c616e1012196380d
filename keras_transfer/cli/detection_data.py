"""`--data` for `fit --task detection`: a box-annotated folder or `digits_on_photos`.

A folder holds images and their annotations in one of three formats,
recognised by the files it holds:

- COCO: one `*.json` file (`read_coco_json`); `file_name`s are relative to
  the folder (paths leaving it are refused);
- Pascal VOC: `*.xml` files (`read_voc_xml`), the image named by
  `<filename>` beside them; classes from `classes.txt` or, without it, every
  `<name>` found, sorted;
- YOLO: `*.txt` label files beside images of the same stem, classes from
  `classes.txt` or `obj.names` (one per line, in id order).

With `train/` and `test/` subfolders each is read on its own; otherwise the
images are split 80/20 (seeded).
"""

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from keras_transfer.cli.errors import UsageError

BUILT_IN = "digits_on_photos"
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp")
CLASS_FILES = ("classes.txt", "obj.names")
MAX_IMAGE_BYTES = 64 << 20
MAX_CLASS_FILE_BYTES = 1 << 20
# Built-in set sizes when --num-train / --num-test are not given.
DEFAULT_SIZES = {"train": 200, "test": 50}


@dataclass
class DetectionData:
    """Train and test photos (uint8 arrays) with their `ImageBoxes`."""

    train_images: list
    train_boxes: list
    test_images: list
    test_boxes: list
    class_names: tuple
    description: str


def is_detection_source(source):
    """Whether `--data` names the built-in detection set."""
    return source == BUILT_IN


def load_detection_data(source, num_train=None, num_test=None, seed=0):
    """Loads `--data` for detection; every problem is a `UsageError` or `ValueError`."""
    if is_detection_source(source):
        from keras_transfer.data.datasets.digits_on_photos import load_digits_on_photos

        splits = {}
        for split, count in (("train", num_train), ("test", num_test)):
            images, boxes = load_digits_on_photos(split, num_images=count or DEFAULT_SIZES[split],
                                                  seed=seed)
            splits[split] = (list(images), boxes)
        class_names = splits["train"][1][0].class_names
        description = (f"{BUILT_IN}: {len(splits['train'][0])} train / "
                       f"{len(splits['test'][0])} test images")
        return DetectionData(*splits["train"], *splits["test"], class_names, description)
    folder = Path(source)
    if not folder.is_dir():
        raise UsageError(f"--data {source!r}: not {BUILT_IN} and not a folder of images with "
                         "VOC .xml, COCO .json or YOLO .txt annotations")
    if (folder / "train").is_dir() and (folder / "test").is_dir():
        train_images, train_boxes, class_names = read_box_folder(folder / "train")
        test_images, test_boxes, _ = read_box_folder(folder / "test", class_names)
    else:
        images, boxes, class_names = read_box_folder(folder)
        if len(images) < 2:
            raise UsageError(f"--data {source}: {len(images)} annotated image(s); at least 2 "
                             "are needed to hold some out for testing")
        order = np.random.default_rng(seed).permutation(len(images))
        cut = max(1, int(round(len(images) * 0.2)))
        test_index, train_index = sorted(order[:cut]), sorted(order[cut:])
        train_images = [images[i] for i in train_index]
        train_boxes = [boxes[i] for i in train_index]
        test_images = [images[i] for i in test_index]
        test_boxes = [boxes[i] for i in test_index]
    train_images, train_boxes = _first(train_images, train_boxes, num_train)
    test_images, test_boxes = _first(test_images, test_boxes, num_test)
    return DetectionData(train_images, train_boxes, test_images, test_boxes, class_names,
                         f"folder {source}: {len(train_images)} train / {len(test_images)} "
                         f"test images")


def _first(images, boxes, count):
    return (images, boxes) if count is None else (images[:count], boxes[:count])


def read_box_folder(folder, class_names=None):
    """Reads one folder's images and boxes; returns `(images, boxes, class_names)`."""
    folder = Path(folder)
    files = sorted(p for p in folder.iterdir() if p.is_file())
    by_suffix = {suffix: [p for p in files if p.suffix.lower() == suffix]
                 for suffix in (".json", ".xml", ".txt")}
    labels = [p for p in by_suffix[".txt"] if p.name not in CLASS_FILES]
    try:
        if by_suffix[".json"]:
            if len(by_suffix[".json"]) > 1:
                raise UsageError(f"--data {folder}: {len(by_suffix['.json'])} .json files; a "
                                 "COCO folder holds one annotation file")
            items = _read_coco(folder, by_suffix[".json"][0], class_names)
        elif by_suffix[".xml"]:
            items = _read_voc(folder, by_suffix[".xml"], class_names)
        elif labels:
            items = _read_yolo(folder, labels, class_names)
        else:
            raise UsageError(f"--data {folder}: no annotations found (a COCO .json file, VOC "
                             ".xml files or YOLO .txt files with classes.txt)")
    except ValueError as error:
        raise UsageError(f"--data {folder}: {error}") from None
    if not items:
        raise UsageError(f"--data {folder}: the annotations name no images")
    return [image for image, _ in items], [boxes for _, boxes in items], \
        items[0][1].class_names


def read_image(path):
    """An image file as uint8 `[height, width, 3]`, its size checked before decoding."""
    import tensorflow as tf

    from keras_transfer.export.serving_inputs import MAX_IMAGE_PIXELS, declared_image_size
    from keras_transfer.utils.bounded_read import read_bounded

    data = read_bounded(path, MAX_IMAGE_BYTES, "image file")
    height, width = declared_image_size(tf.constant(data)).numpy().tolist()
    if height * width > MAX_IMAGE_PIXELS:
        raise ValueError(f"{path}: the image declares {height} x {width} pixels, more than "
                         f"{MAX_IMAGE_PIXELS}")
    try:
        return tf.io.decode_image(data, channels=3, expand_animations=False).numpy()
    except tf.errors.OpError:
        raise ValueError(f"{path} is not a readable JPEG, PNG, GIF, BMP or WebP image") from None


def _with_image(path, boxes):
    image = read_image(path)
    if (boxes.height, boxes.width) != tuple(image.shape[:2]):
        raise ValueError(f"{path.name}: the annotation says {boxes.width} x {boxes.height} "
                         f"pixels, the image is {image.shape[1]} x {image.shape[0]}")
    return image, boxes


def _class_file(folder):
    for name in CLASS_FILES:
        if (folder / name).is_file():
            from keras_transfer.utils.bounded_read import read_bounded

            text = read_bounded(folder / name, MAX_CLASS_FILE_BYTES, name).decode("utf-8")
            names = tuple(line.strip() for line in text.splitlines() if line.strip())
            if not names:
                raise ValueError(f"{name} lists no classes")
            return names
    return None


def _same_classes(found, expected):
    if expected is not None and tuple(found) != tuple(expected):
        raise ValueError(f"the classes {list(found)} differ from the training folder's "
                         f"{list(expected)}")
    return tuple(found)


def _read_coco(folder, path, class_names):
    from keras_transfer.data.read_coco_json import read_coco_json
    from keras_transfer.utils.paths import resolve_inside

    items, _ = read_coco_json(path)
    if items:
        _same_classes(items[0].class_names, class_names)
    return [_with_image(resolve_inside(folder, item.image_id, "COCO file_name"), item)
            for item in items]


def _voc_names(paths):
    from keras_transfer.data.read_voc_xml import MAX_VOC_BYTES
    from keras_transfer.utils.bounded_read import read_bounded
    from keras_transfer.utils.safe_xml import parse_xml

    names = set()
    for path in paths:
        root = parse_xml(read_bounded(path, MAX_VOC_BYTES, "VOC XML file"), str(path))
        names.update((node.text or "").strip() for node in root.iter("name"))
    names.discard("")
    if not names:
        raise ValueError("the VOC files name no objects; add classes.txt")
    return tuple(sorted(names))


def _read_voc(folder, paths, class_names):
    from keras_transfer.data.read_voc_xml import read_voc_xml
    from keras_transfer.utils.paths import resolve_inside

    names = class_names or _class_file(folder) or _voc_names(paths)
    items = []
    for path in paths:
        boxes = read_voc_xml(path, names)
        image = resolve_inside(folder, os.path.basename(boxes.image_id), "VOC <filename>")
        if not image.is_file():
            image = _image_beside(path)
        items.append(_with_image(image, boxes._replace(image_id=image.name)))
    return items


def _image_beside(label):
    for candidate in sorted(label.parent.glob(label.stem + ".*")):
        if candidate.suffix.lower() in IMAGE_EXTENSIONS:
            return candidate
    raise ValueError(f"no image for {label.name} (expected {label.stem} with one of "
                     f"{', '.join(IMAGE_EXTENSIONS)})")


def _read_yolo(folder, labels, class_names):
    from keras_transfer.data.read_yolo_txt import read_yolo_txt

    names = _class_file(folder)
    if names is None:
        raise ValueError("YOLO labels need the class names in classes.txt or obj.names, "
                         "one per line in id order")
    names = _same_classes(names, class_names)
    items = []
    for label in labels:
        path = _image_beside(label)
        image = read_image(path)
        boxes = read_yolo_txt(label, image.shape[1], image.shape[0], names)
        items.append((image, boxes._replace(image_id=path.name)))
    return items
