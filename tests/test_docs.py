"""The docs build: api.md is current and no doc names a missing keras_transfer.X."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _build_api():
    spec = importlib.util.spec_from_file_location("build_api", ROOT / "docs" / "build_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_broken_references():
    assert _build_api().broken_references() == []


def test_api_reference_is_current():
    build = _build_api()
    assert (ROOT / "docs" / "api.md").read_text() == build.render(), (
        "docs/api.md is stale: run `python docs/build_api.py`")


def test_resolver_rejects_missing_names():
    build = _build_api()
    assert build.resolve(".HubBackbone")
    assert build.resolve(".data.load_dataset")
    assert not build.resolve(".NoSuchThing")


def test_api_reference_has_a_data_section():
    text = _build_api().render()
    section = text[text.index("## `keras_transfer.data`\n"):]
    for name in ("from_arrays", "from_directory", "load_dataset", "ArraySplit", "DATASETS"):
        assert f"### `keras_transfer.data.{name}`" in section, name
    assert "`dict` constant with keys `digits`, `fashion_mnist`" in section
    assert "## `keras_transfer.custom_objects`" in text
