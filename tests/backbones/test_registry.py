"""keras_transfer.backbones.registry: register/get/list, their errors, and name resolution."""

import copy
import re

import pytest

import keras_transfer
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


@pytest.fixture
def restore_registry():
    """Puts the registry back as it was (same dict object) after the test."""
    saved = dict(registry.BACKBONES)
    yield
    registry.BACKBONES.clear()
    registry.BACKBONES.update(saved)


ENTRY = {"modality": "audio", "description": "test-only encoder",
         "handles": {"feature_vector": "/models/test_encoder"}, "variant": "feature_vector",
         "output_dim": 7}


def test_register_fills_defaults_and_get_returns_copies(restore_registry):
    entry = copy.deepcopy(ENTRY)
    keras_transfer.register_backbone("test_encoder-2", entry)
    got = registry.get_backbone("test_encoder-2")
    assert got == {**ENTRY, "provider": None, "input": {}, "output_key": None, "groups": None,
                   "inference_mode": False}
    # The registry keeps its own copy: neither the caller's dict nor a returned
    # entry can change it.
    entry["handles"]["feature_vector"] = "/elsewhere"
    got["handles"]["feature_vector"] = "/elsewhere"
    got["output_dim"] = 0
    assert registry.get_backbone("test_encoder-2")["handles"] == ENTRY["handles"]
    assert registry.get_backbone("test_encoder-2")["output_dim"] == 7
    assert keras_transfer.get_backbone is registry.get_backbone


def test_list_backbones_all_and_by_modality(restore_registry):
    registry.register_backbone("test_encoder", ENTRY)
    everything = keras_transfer.list_backbones()
    assert {"efficientnet_lite0", "minilm_l6", "speech_embedding",
            "test_encoder"} <= set(everything)
    audio = registry.list_backbones("audio")
    assert {"speech_embedding", "test_encoder"} <= set(audio)
    assert {entry["modality"] for entry in audio.values()} == {"audio"}
    image = registry.list_backbones("image")
    assert "efficientnet_lite0" in image and "minilm_l6" not in image
    assert {entry["modality"] for entry in image.values()} == {"image"}
    audio["test_encoder"]["description"] = "changed"  # copies, again
    assert registry.get_backbone("test_encoder")["description"] == "test-only encoder"
    with pytest.raises(ValueError, match=r"`modality` must be one of \['image', 'text', "
                                         r"'audio'\]. Received: 'video'"):
        registry.list_backbones("video")


@pytest.mark.parametrize("name", ["bad name", "a/b", "", "dots.in.it", 3, None])
def test_register_refuses_a_bad_name(restore_registry, name):
    with pytest.raises(ValueError, match=r"`name` must be letters, digits, '_' or '-'. "
                                         rf"Received: name={re.escape(repr(name))}$"):
        registry.register_backbone(name, ENTRY)
    assert name not in registry.BACKBONES


def test_register_refuses_missing_keys_and_unknown_modality(restore_registry):
    with pytest.raises(ValueError, match=r"Backbone entry 'x' lacks \['description'\]. "
                                         r"Received keys: \['handles', 'modality'\]"):
        registry.register_backbone("x", {"modality": "image", "handles": {}})
    with pytest.raises(ValueError, match=r"lacks \['modality', 'description'\]"):
        registry.register_backbone("x", {})
    with pytest.raises(ValueError, match=r"`modality` must be one of \['image', 'text', "
                                         r"'audio'\]. Received: modality='video'"):
        registry.register_backbone("x", dict(ENTRY, modality="video"))
    assert "x" not in registry.BACKBONES


def test_duplicate_needs_overwrite(restore_registry):
    with pytest.raises(ValueError, match=r"Backbone 'minilm_l6' is already registered; "
                                         r"pass overwrite=True."):
        registry.register_backbone("minilm_l6", ENTRY)
    assert registry.get_backbone("minilm_l6")["modality"] == "text"  # unchanged
    registry.register_backbone("minilm_l6", ENTRY, overwrite=True)
    assert registry.get_backbone("minilm_l6")["modality"] == "audio"
