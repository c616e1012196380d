"""Tests for keras_transfer/data/read_coco_json.py."""

import json

import numpy as np
import pytest

from keras_transfer.data.read_coco_json import read_coco_json
from keras_transfer.data.read_voc_xml import read_voc_xml
from tests.data.labelme_voc import IMAGE_IDS, labelme_voc_folder


def _write(tmp_path, document):
    path = tmp_path / "instances.json"
    path.write_text(json.dumps(document))
    return path


DOCUMENT = {
    "images": [{"id": 7, "file_name": "a.jpg", "width": 64, "height": 48},
               {"id": 3, "file_name": "b.jpg", "width": 32, "height": 32}],
    "categories": [{"id": 18, "name": "dog"}, {"id": 1, "name": "person"}],
    "annotations": [
        {"id": 1, "image_id": 7, "category_id": 18, "bbox": [1.5, 2, 10, 20], "iscrowd": 0},
        {"id": 2, "image_id": 7, "category_id": 1, "bbox": [0, 0, 64, 48], "iscrowd": 1},
        {"id": 3, "image_id": 7, "category_id": 1, "bbox": [4, 4, 0, 0]},
    ],
}


def test_reads_boxes_as_xyxy_with_categories_sorted_by_id(tmp_path):
    images, coco_ids = read_coco_json(_write(tmp_path, DOCUMENT))

    assert coco_ids == (1, 18)
    assert [(i.image_id, i.width, i.height) for i in images] == [
        ("a.jpg", 64, 48), ("b.jpg", 32, 32)]
    np.testing.assert_array_equal(images[0].boxes, [[1.5, 2, 11.5, 22], [4, 4, 4, 4]])
    np.testing.assert_array_equal(images[0].class_ids, [1, 0])
    assert images[0].class_names == ("person", "dog") and len(images[1].boxes) == 0
    crowd, _ = read_coco_json(_write(tmp_path, DOCUMENT), include_crowd=True)
    assert len(crowd[0].boxes) == 3


def test_voc_to_coco_round_trip_on_labelmes_files(tmp_path):
    folder = labelme_voc_folder()
    class_names = (folder / "class_names.txt").read_text().split("\n")
    voc = [read_voc_xml(folder / "Annotations" / f"{i}.xml", class_names) for i in IMAGE_IDS]
    document = {
        "images": [{"id": n, "file_name": v.image_id, "width": v.width, "height": v.height}
                   for n, v in enumerate(voc)],
        "categories": [{"id": n + 1, "name": name} for n, name in enumerate(class_names)],
        "annotations": [
            {"id": len(voc) * 100 + k, "image_id": n, "category_id": int(c) + 1,
             "bbox": [float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])]}
            for n, v in enumerate(voc) for k, (b, c) in enumerate(zip(v.boxes, v.class_ids))],
    }

    images, _ = read_coco_json(_write(tmp_path, document))

    for coco, original in zip(images, voc):
        np.testing.assert_allclose(coco.boxes, original.boxes, atol=1e-4)
        np.testing.assert_array_equal(coco.class_ids, original.class_ids)
        assert coco.class_names == original.class_names


@pytest.mark.parametrize("change, message", [
    ({"annotations": [{"id": 9, "image_id": 99, "category_id": 1, "bbox": [0, 0, 1, 1]}]},
     "refers to image 99 or category 1"),
    ({"annotations": [{"id": 9, "image_id": 7, "category_id": 1, "bbox": [0, 0, -1, 1]}]},
     "expected \\[x, y, width, height\\]"),
    ({"images": [{"id": 7, "file_name": "a.jpg", "width": "64", "height": 48}]},
     "lacks 'width'"),
])
def test_refuses_broken_files(tmp_path, change, message):
    with pytest.raises(ValueError, match=message):
        read_coco_json(_write(tmp_path, dict(DOCUMENT, **change)))


def test_refuses_non_json_and_oversized_files(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="is not JSON"):
        read_coco_json(path)
    with pytest.raises(ValueError, match="more than the 4 allowed"):
        read_coco_json(path, max_bytes=4)
