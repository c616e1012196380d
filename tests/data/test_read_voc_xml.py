"""Tests for keras_transfer/data/read_voc_xml.py (labelme's VOC example, hostile XML)."""

import numpy as np
import pytest

from keras_transfer.data.read_voc_xml import read_voc_xml
from tests.data.labelme_voc import IMAGE_IDS, labelme_voc_folder

VOC = """<annotation><filename>a.jpg</filename><size><width>64</width><height>48</height>
</size>{objects}</annotation>"""
OBJECT = ("<object><name>{name}</name><difficult>{difficult}</difficult><bndbox>"
          "<xmin>{box[0]}</xmin><ymin>{box[1]}</ymin><xmax>{box[2]}</xmax>"
          "<ymax>{box[3]}</ymax></bndbox></object>")


def _write(tmp_path, text, name="a.xml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _voc(tmp_path, objects):
    return _write(tmp_path, VOC.format(objects="".join(
        OBJECT.format(name=n, difficult=d, box=b) for n, d, b in objects)))


def test_reads_labelmes_three_voc_files():
    folder = labelme_voc_folder()
    class_names = (folder / "class_names.txt").read_text().split("\n")

    read = {i: read_voc_xml(folder / "Annotations" / f"{i}.xml", class_names)
            for i in IMAGE_IDS}

    first = read["2011_000003"]
    assert (first.image_id, first.width, first.height) == ("2011_000003.jpg", 500, 338)
    np.testing.assert_allclose(first.boxes, [[191.0, 107.369, 313.0, 329.369],
                                             [365.0, 83.0, 500.0, 333.0]], atol=1e-3)
    assert [class_names[c] for c in first.class_ids] == ["person", "person"]
    assert len(read["2011_000006"].boxes) == 4
    bus = read["2011_000025"]
    assert [class_names[c] for c in bus.class_ids] == ["bus", "bus", "car"]
    np.testing.assert_allclose(bus.boxes[1], [1.0, 99.0, 107.0, 282.0])
    assert bus.scores is None and bus.boxes.dtype == np.float32


def test_one_based_and_difficult(tmp_path):
    path = _voc(tmp_path, [("cat", 0, (1, 2, 10, 20)), ("dog", 1, (5, 5, 9, 9))])

    plain = read_voc_xml(path, ["cat", "dog"])
    shifted = read_voc_xml(path, ["cat", "dog"], one_based=True, skip_difficult=True)

    np.testing.assert_array_equal(plain.boxes, [[1, 2, 10, 20], [5, 5, 9, 9]])
    np.testing.assert_array_equal(plain.class_ids, [0, 1])
    np.testing.assert_array_equal(shifted.boxes, [[0, 1, 10, 20]])


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>
<annotation><filename>&lol2;</filename></annotation>"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><annotation>&x;</annotation>"""


@pytest.mark.parametrize("text, message", [
    (BILLION_LAUGHS, r"document type declaration \(<!DOCTYPE>\), which is refused"),
    (EXTERNAL, r"document type declaration \(<!DOCTYPE>\), which is refused"),
    ("<annotation><size>", "is not well-formed XML"),
    ("<doc/>", "the root element is <doc>, not <annotation>"),
    (VOC.format(objects=OBJECT.format(name="bird", difficult=0, box=(1, 1, 2, 2))),
     r"class 'bird' is not in `class_names`. Received: class_names=\['cat'\]"),
    (VOC.format(objects=OBJECT.format(name="cat", difficult=0, box=(9, 1, 2, 2))),
     "max >= min"),
    (VOC.format(objects="<object><name>cat</name></object>"), "<bndbox/xmin> is missing"),
])
def test_refuses_hostile_or_broken_files(tmp_path, text, message):
    with pytest.raises(ValueError, match=message):
        read_voc_xml(_write(tmp_path, text), ["cat"])


def test_refuses_files_above_the_size_bound(tmp_path):
    path = _voc(tmp_path, [("cat", 0, (1, 2, 10, 20))])
    with pytest.raises(ValueError, match="more than the 100 allowed"):
        read_voc_xml(path, ["cat"], max_bytes=100)
