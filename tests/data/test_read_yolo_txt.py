"""Tests for keras_transfer/data/read_yolo_txt.py."""

import numpy as np
import pytest

from keras_transfer.data.read_voc_xml import read_voc_xml
from keras_transfer.data.read_yolo_txt import read_yolo_txt
from tests.data.labelme_voc import labelme_voc_folder


def _write(tmp_path, text, name="0001.txt"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_reads_normalised_centre_boxes_as_pixels(tmp_path):
    path = _write(tmp_path, "1 0.5 0.5 0.25 0.5\n\n0 0.9 0.1 0.4 0.4\n")

    read = read_yolo_txt(path, 200, 100, ["cat", "dog"])

    assert (read.image_id, read.width, read.height) == ("0001", 200, 100)
    # The second box reaches past the top-right corner: clipped.
    np.testing.assert_allclose(read.boxes, [[75, 25, 125, 75], [140, 0, 200, 30]], atol=1e-4)
    np.testing.assert_array_equal(read.class_ids, [1, 0])


def test_voc_to_yolo_round_trip_on_labelmes_file(tmp_path):
    folder = labelme_voc_folder()
    class_names = (folder / "class_names.txt").read_text().split("\n")
    voc = read_voc_xml(folder / "Annotations" / "2011_000006.xml", class_names)
    lines = [f"{c} {(b[0] + b[2]) / 2 / voc.width} {(b[1] + b[3]) / 2 / voc.height} "
             f"{(b[2] - b[0]) / voc.width} {(b[3] - b[1]) / voc.height}"
             for b, c in zip(voc.boxes, voc.class_ids)]

    read = read_yolo_txt(_write(tmp_path, "\n".join(lines)), voc.width, voc.height,
                         class_names)

    np.testing.assert_allclose(read.boxes, voc.boxes, atol=1e-3)
    np.testing.assert_array_equal(read.class_ids, voc.class_ids)


@pytest.mark.parametrize("text, message", [
    ("2 0.5 0.5 0.1 0.1", r"line 1: expected 'class_id x_center .* class_id in \[0, 2\)"),
    ("0 0.5 0.5 0.1", "line 1: expected"),
    ("0 0.5 0.5 -0.1 0.1", "line 1: expected"),
    ("0 0.5 0.5 0.1 0.1\nx 0.5 0.5 0.1 0.1", "line 2: expected"),
    ("0 0.5 nan 0.1 0.1", "line 1: expected"),
])
def test_refuses_bad_lines(tmp_path, text, message):
    with pytest.raises(ValueError, match=message):
        read_yolo_txt(_write(tmp_path, text), 10, 10, ["cat", "dog"])


def test_refuses_bad_sizes_and_large_files(tmp_path):
    path = _write(tmp_path, "0 0.5 0.5 0.1 0.1\n")
    with pytest.raises(ValueError, match="width"):
        read_yolo_txt(path, 0, 10, ["cat"])
    with pytest.raises(ValueError, match="more than the 5 allowed"):
        read_yolo_txt(path, 10, 10, ["cat"], max_bytes=5)
