"""`parse_handle` is the one rule for "registry name, path or URL"; pinned here."""

import os
import pathlib

import pytest

from keras_transfer.backbones.handles import (
    Handle, is_library_conversion, parse_handle, resolve_handle)
from keras_transfer.models import common


class _Loaded:
    signatures = {}


@pytest.fixture
def cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_resolution_table(cwd):
    (cwd / "local_model").mkdir()
    (cwd / "minilm_l6").mkdir()  # a folder spelled like a registry name
    loaded = _Loaded()
    table = [
        ("minilm_l6/encoder_mixed_bfloat16",
         Handle("registry", "minilm_l6/encoder_mixed_bfloat16", "minilm_l6",
                "encoder_mixed_bfloat16")),
        ("efficientnet_lite0", Handle("registry", "efficientnet_lite0", "efficientnet_lite0")),
        ("efficientnet_lite0/", Handle("registry", "efficientnet_lite0/", "efficientnet_lite0")),
        ("efficientnet_lite0/../x", Handle("path", "efficientnet_lite0/../x")),
        ("minilm_l6", Handle("path", "minilm_l6")),  # the existing folder wins
        ("local_model", Handle("path", "local_model")),
        ("./local_model", Handle("path", "./local_model")),
        (str(cwd / "local_model"), Handle("path", str(cwd / "local_model"))),
        (pathlib.Path("local_model"), Handle("path", "local_model")),
        ("~/models/x", Handle("path", "~/models/x")),
        ("file:///models/x", Handle("path", "file:///models/x")),
        ("https://tfhub.dev/google/x/1", Handle("url", "https://tfhub.dev/google/x/1")),
        ("gs://bucket/model", Handle("url", "gs://bucket/model")),
        ("no_such_name", Handle("path", "no_such_name")),
        (loaded, Handle("object", loaded)),
    ]
    for handle, expected in table:
        assert parse_handle(handle) == expected, handle


def test_bad_handles():
    with pytest.raises(ValueError, match="must not be empty"):
        parse_handle("")
    with pytest.raises(ValueError, match="Received: handle=3"):
        parse_handle(3)
    with pytest.raises(FileNotFoundError, match="registry name \\(.*minilm_l6"):
        resolve_handle("no_such_name")


def test_library_conversions(cwd):
    assert is_library_conversion("minilm_l6/encoder")
    assert not is_library_conversion("mobilenet_v2_100_224")  # registered, online only
    assert not is_library_conversion("https://tfhub.dev/google/x/1")
    assert not is_library_conversion(str(cwd))
    (cwd / "minilm_l6").mkdir()
    assert not is_library_conversion("minilm_l6")  # a local folder: foreign


def test_builders_use_the_same_rule(cwd):
    """A name/variant reaches the builders as the registry entry, variant kept."""
    name, entry = common.resolve_backbone("minilm_l6/encoder_mixed_bfloat16", "text", "b")
    assert name == "minilm_l6" and entry["variant"] == "encoder_mixed_bfloat16"
    assert entry["output_key"] == "default" and entry["preprocessor"] == "preprocessor"
    assert common.resolve_backbone("minilm_l6", "text", "b")[1]["variant"] == "encoder"
    assert common.resolve_backbone("./x", "text", "b") == (None, None)
    assert common.resolve_backbone(pathlib.Path("x"), "text", "b") == (None, None)
    assert common.resolve_backbone("https://tfhub.dev/x/1", "text", "b") == (None, None)
    with pytest.raises(ValueError, match="Unknown backbone 'minlm_l6'"):
        common.resolve_backbone("minlm_l6", "text", "b")
    with pytest.raises(ValueError, match="is an image backbone"):
        common.resolve_backbone("efficientnet_lite0", "text", "b")
    assert os.path.exists(cwd)
