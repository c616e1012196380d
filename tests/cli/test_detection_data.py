"""Box-annotated folders for `fit --task detection`: VOC, COCO, YOLO; hostile paths."""

import json

import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.cli.detection_data import load_detection_data, read_box_folder
from keras_transfer.cli.errors import UsageError

VOC = """<annotation><filename>{name}</filename>
<size><width>{width}</width><height>{height}</height><depth>3</depth></size>
<object><name>{label}</name><bndbox><xmin>2</xmin><ymin>3</ymin><xmax>10</xmax>
<ymax>12</ymax></bndbox></object></annotation>"""


def _png(path, height=16, width=20):
    path.write_bytes(tf.io.encode_png(np.full((height, width, 3), 90, np.uint8)).numpy())


def test_voc_folder_classes_from_the_files_sorted(tmp_path):
    for index, label in enumerate(["dog", "cat", "dog"]):
        _png(tmp_path / f"{index}.png")
        (tmp_path / f"{index}.xml").write_text(
            VOC.format(name=f"{index}.png", width=20, height=16, label=label))

    images, boxes, class_names = read_box_folder(tmp_path)

    assert class_names == ("cat", "dog")
    assert [b.class_ids.tolist() for b in boxes] == [[1], [0], [1]]
    np.testing.assert_allclose(boxes[0].boxes, [[2, 3, 10, 12]])
    assert images[0].shape == (16, 20, 3) and images[0].dtype == np.uint8
    # Without train/ and test/, 20% (at least one image) is held out.
    data = load_detection_data(str(tmp_path), seed=0)
    assert (len(data.train_images), len(data.test_images)) == (2, 1)


def test_coco_folder_and_a_file_name_leaving_the_folder(tmp_path):
    _png(tmp_path / "a.png")
    document = {"images": [{"id": 1, "file_name": "a.png", "width": 20, "height": 16}],
                "annotations": [{"id": 1, "image_id": 1, "category_id": 3,
                                 "bbox": [1, 2, 5, 6], "iscrowd": 0}],
                "categories": [{"id": 3, "name": "cup"}]}
    (tmp_path / "instances.json").write_text(json.dumps(document))

    _, boxes, class_names = read_box_folder(tmp_path)

    assert class_names == ("cup",)
    np.testing.assert_allclose(boxes[0].boxes, [[1, 2, 6, 8]])
    document["images"][0]["file_name"] = "../a.png"
    (tmp_path / "instances.json").write_text(json.dumps(document))
    with pytest.raises(UsageError, match="must be a relative path inside"):
        read_box_folder(tmp_path)


def test_yolo_folder_needs_its_class_names(tmp_path):
    _png(tmp_path / "a.png")
    (tmp_path / "a.txt").write_text("1 0.5 0.5 0.5 0.5\n")
    with pytest.raises(UsageError, match="classes.txt or obj.names"):
        read_box_folder(tmp_path)
    (tmp_path / "classes.txt").write_text("cat\ndog\n")

    _, boxes, class_names = read_box_folder(tmp_path)

    assert class_names == ("cat", "dog") and boxes[0].class_ids.tolist() == [1]
    np.testing.assert_allclose(boxes[0].boxes, [[5, 4, 15, 12]])


def test_problems_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="no annotations found"):
        read_box_folder(tmp_path)
    _png(tmp_path / "a.png", height=16, width=20)
    (tmp_path / "a.xml").write_text(VOC.format(name="a.png", width=40, height=16, label="x"))
    with pytest.raises(UsageError, match="the annotation says 40 x 16 pixels, the image is 20"):
        read_box_folder(tmp_path)
    (tmp_path / "a.png").write_bytes(b"not an image")
    (tmp_path / "a.xml").write_text(VOC.format(name="a.png", width=20, height=16, label="x"))
    with pytest.raises(UsageError, match="not a readable JPEG, PNG"):
        read_box_folder(tmp_path)
    with pytest.raises(UsageError, match="not digits_on_photos and not a folder"):
        load_detection_data(str(tmp_path / "missing"))
