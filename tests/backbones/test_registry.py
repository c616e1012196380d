"""keras_transfer.backbones.registry: entries, lookup, and the registry handle resolver."""

import pytest

from keras_transfer.backbones import conversion
from keras_transfer.backbones import registry
from keras_transfer.backbones.handles import resolve_handle
from tests.backbones import fake_provider


def test_registry_names_resolve_through_the_conversion_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_TRANSFER_HOME", str(tmp_path))
    fake_provider.register()
    try:
        expected = str(tmp_path / "backbones" / fake_provider.NAME / "lookup")
        assert resolve_handle(fake_provider.NAME) == expected
        assert resolve_handle(f"{fake_provider.NAME}/lookup") == expected
        assert conversion.backbone_path(fake_provider.NAME) == expected
        with pytest.raises(ValueError, match=r"has no variant 'nope'. Available: \['lookup'\]"):
            conversion.backbone_path(fake_provider.NAME, "nope")
    finally:
        registry.BACKBONES.pop(fake_provider.NAME, None)


def test_unknown_name_lists_registered_ones():
    with pytest.raises(ValueError, match=r"Unknown backbone 'nope'. Registered backbones: \["):
        registry.get_backbone("nope")
