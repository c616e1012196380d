"""Tests for keras_transfer/utils/safe_xml.py."""

import pytest

from keras_transfer.utils.safe_xml import parse_xml


def test_parses_plain_xml_into_an_element_tree():
    root = parse_xml(b"<?xml version='1.0'?><a x='1'><b>t&amp;u</b><b>v</b></a>")

    assert root.tag == "a" and root.get("x") == "1"
    assert [b.text for b in root.iter("b")] == ["t&u", "v"]


@pytest.mark.parametrize("data, message", [
    (b"<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>", "document type declaration"),
    (b"<!DOCTYPE a SYSTEM 'http://example.com/a.dtd'><a/>", "document type declaration"),
    (b"<a>&undefined;</a>", "not well-formed"),
    (b"<a><b></a>", "not well-formed"),
])
def test_refuses_dtds_entities_and_broken_xml(data, message):
    with pytest.raises(ValueError, match=message):
        parse_xml(data, "test.xml")
