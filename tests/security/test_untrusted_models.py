"""The CLI and `HubBackbone.from_config` refuse model files that would run code."""

import os
import sys
import types

import keras
import numpy as np
import pytest

from keras_transfer.backbones import registry
from keras_transfer.cli.main import main
from keras_transfer.export.export_for_serving import export_for_serving
from keras_transfer.backbones.handles import is_library_conversion
from keras_transfer.layers.hub_backbone import HubBackbone
from tests import savedmodels
from tests.export import tiny_classifiers
from tests.security import hostile_models


@pytest.fixture
def marker(tmp_path):
    return str(tmp_path / "pwned.txt")


def test_lambda_run_directory_is_refused_without_unsafe(tmp_path, marker, capsys):
    run = tmp_path / "run"
    run.mkdir()
    hostile_models.keras_file_with_lambda(str(run / "model.keras"), marker)
    assert main(["evaluate", "--model", str(run), "--data", "rotten_tomatoes"]) == 2
    err = capsys.readouterr().err
    assert "refused in safe mode" in err and "--unsafe" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert main(["export", "--model", str(run), "--output", str(tmp_path / "s")]) == 2
    assert not os.path.exists(marker)


def test_keras_file_with_hostile_saved_model_path_is_refused(tmp_path, marker, capsys):
    saved = hostile_models.writing_saved_model(str(tmp_path / "evil"), marker)
    model = hostile_models.keras_file_with_saved_model_path(
        str(tmp_path / "model.keras"), saved, marker)
    assert main(["predict", "--model", model, "a text"]) == 2
    assert "refused in safe mode" in capsys.readouterr().err
    assert not os.path.exists(marker)
    # The same file, trusted by name, loads (and its SavedModel runs).
    loaded = keras.saving.load_model(model, safe_mode=False)
    loaded(np.zeros((1, 4), "float32"))
    assert os.path.exists(marker)


def test_hostile_serving_export_is_refused_and_unsafe_overrides(tmp_path, marker, capsys):
    saved = hostile_models.writing_saved_model(
        str(tmp_path / "evil"), marker, dtype="string", shape=(None,))
    assert main(["predict", "--model", saved, "hello"]) == 2
    err = capsys.readouterr().err
    assert "WriteFile" in err and "--unsafe" in err
    assert not os.path.exists(marker)
    # --unsafe loads it; the export has no class_name output, which is a bug of
    # the model, reported as one line.
    main(["predict", "--model", saved, "hello", "--unsafe"])
    assert os.path.exists(marker)


def _tiny_provider_module():
    """A provider (convert/verify) that writes a tiny image SavedModel."""
    module = types.ModuleType("tests_security_tiny_provider")

    def convert(target):
        os.makedirs(target)
        savedmodels.image_feature_vector(target, name="feature_vector")

    module.convert = convert
    module.verify = lambda target: "ok"
    return module


@pytest.fixture
def tiny_registry_backbone(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_TRANSFER_HOME", str(tmp_path / "home"))
    monkeypatch.setitem(sys.modules, "tests_security_tiny_provider", _tiny_provider_module())
    registry.register_backbone("tiny_security_fv", {
        "modality": "image", "description": "test", "variant": "feature_vector",
        "provider": "tests_security_tiny_provider", "requirement": "none==0"})
    yield "tiny_security_fv"
    del registry.BACKBONES["tiny_security_fv"]


def test_registry_backbone_loads_in_safe_mode(tiny_registry_backbone, tmp_path):
    assert is_library_conversion(tiny_registry_backbone)
    assert is_library_conversion(tiny_registry_backbone + "/feature_vector")
    assert not is_library_conversion(tiny_registry_backbone + "/../x")
    assert not is_library_conversion(str(tmp_path))
    assert not is_library_conversion("https://tfhub.dev/google/x/1")
    assert not is_library_conversion("mobilenet_v2_100_224")  # online only: a download
    inputs = keras.Input((8, 8, 3))
    outputs = keras.layers.Dense(2)(HubBackbone(tiny_registry_backbone)(inputs))
    model = keras.Model(inputs, outputs)
    path = str(tmp_path / "model.keras")
    model.save(path)
    images = np.random.default_rng(0).random((2, 8, 8, 3)).astype("float32")
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded(images), model(images), atol=1e-6)


def test_safe_serving_export_of_text_model_predicts_in_a_fresh_process(tmp_path):
    """Text exports need tf-text ops registered before loading (NormalizeUTF8)."""
    import subprocess

    model = tiny_classifiers.tf_text_classifier(str(tmp_path))
    export = export_for_serving(model, str(tmp_path / "serving"), class_names=["neg", "pos"])
    launcher = os.path.join(os.path.dirname(sys.executable), "keras-transfer")
    command = [launcher] if os.path.exists(launcher) else [
        sys.executable, "-m", "keras_transfer.cli.main"]
    result = subprocess.run(command + ["predict", "--model", export, "A good movie"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    name, score, text = result.stdout.strip().split("\t")
    assert name in ("neg", "pos") and 0.5 <= float(score) <= 1.0 and text == "A good movie"
    assert result.stderr == ""  # no TensorFlow start-up lines, no warnings
