"""keras_transfer.backbones.conversion: manifest integrity, locking, stale temps."""

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tensorflow as tf

from keras_transfer.backbones import conversion
from keras_transfer.backbones import registry
from keras_transfer.testing import TestCase
from keras_transfer.testing import require
from tests.backbones import fake_provider

NAME = fake_provider.NAME
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A private cache with the fake provider registered; `home.log` counts conversions."""
    monkeypatch.setenv("KERAS_TRANSFER_HOME", str(tmp_path / "home"))
    log = tmp_path / "conversions.log"
    monkeypatch.setenv("KT_FAKE_CONVERT_LOG", str(log))
    monkeypatch.delenv("KT_FAKE_CONVERT_FAIL", raising=False)
    monkeypatch.delenv("KT_FAKE_CONVERT_SECONDS", raising=False)
    fake_provider.register()
    yield log
    registry.BACKBONES.pop(NAME, None)


def conversions(log):
    return len(log.read_text().splitlines()) if log.exists() else 0


def lookup_dir():
    return conversion.backbone_dir(NAME) / "lookup"


def test_first_use_converts_once_and_writes_manifest(home):
    path = conversion.backbone_path(NAME)
    assert path == str(lookup_dir())
    assert fake_provider.token_ids(path, ["cat", "zebra", "dog"]) == [3, 9, -1]
    manifest = json.loads((conversion.backbone_dir(NAME) / "manifest.json").read_text())
    assert manifest["format"] == conversion.MANIFEST_FORMAT
    assert manifest["requirement"] == fake_provider.REQUIREMENT
    vocab = manifest["files"]["lookup/assets/vocab.txt"]
    assert vocab["size"] == len("\n".join(fake_provider.VOCAB)) + 1
    assert len(vocab["sha256"]) == 64
    assert "lookup/saved_model.pb" in manifest["files"]
    assert conversion.backbone_path(NAME) == path
    assert conversions(home) == 1


def test_truncated_vocab_is_detected_and_rebuilt(home, caplog):
    path = conversion.backbone_path(NAME)
    vocab = lookup_dir() / "assets" / "vocab.txt"
    vocab.write_text("\n".join(fake_provider.VOCAB[:5]) + "\n")
    # What the check prevents: the damaged folder loads and gives wrong ids.
    assert fake_provider.token_ids(path, ["cat", "zebra"]) == [3, -1]
    problem = conversion.check_backbone_folder(conversion.backbone_dir(NAME),
                                               registry.get_backbone(NAME))
    full_size = len("\n".join(fake_provider.VOCAB)) + 1
    assert problem == (f"lookup/assets/vocab.txt: size {vocab.stat().st_size}, "
                       f"manifest says {full_size}")
    with caplog.at_level(logging.WARNING, logger=conversion.__name__):
        assert conversion.backbone_path(NAME) == path
    assert conversions(home) == 2
    message = caplog.text
    assert str(conversion.backbone_dir(NAME)) in message and "vocab.txt" in message
    assert fake_provider.token_ids(path, ["cat", "zebra"]) == [3, 9]
    assert conversion.verify_backbone(NAME)[0] == "ok"


def test_flipped_byte_passes_fast_path_and_fails_full_verify(home):
    conversion.backbone_path(NAME)
    shard = next((lookup_dir() / "variables").glob("variables.data-*"))
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))
    entry = registry.get_backbone(NAME)
    root = conversion.backbone_dir(NAME)
    assert conversion.check_backbone_folder(root, entry) is None  # same size
    status, detail = conversion.verify_backbone(NAME)
    assert status == "mismatch"
    assert detail == f"lookup/variables/{shard.name}: sha256 differs from the manifest"
    conversion.rebuild_backbone(NAME)
    assert conversion.verify_backbone(NAME) == ("ok", str(root))
    assert conversions(home) == 2


def test_emptied_missing_or_extra_files_are_detected(home):
    conversion.backbone_path(NAME)
    root = conversion.backbone_dir(NAME)
    entry = registry.get_backbone(NAME)
    shard = next((lookup_dir() / "variables").glob("variables.data-*"))
    size = shard.stat().st_size
    shard.write_bytes(b"")
    assert conversion.check_backbone_folder(root, entry) == (
        f"lookup/variables/{shard.name}: size 0, manifest says {size}")
    conversion.backbone_path(NAME)
    assert conversions(home) == 2 and shard.stat().st_size == size

    (lookup_dir() / "variables" / "variables.index").unlink()
    assert conversion.check_backbone_folder(root, entry) == (
        "lookup/variables/variables.index: missing")
    conversion.backbone_path(NAME)
    (lookup_dir() / "assets" / "extra.txt").write_text("x")
    assert conversion.check_backbone_folder(root, entry) == (
        "lookup/assets/extra.txt: not in the manifest")
    conversion.backbone_path(NAME)
    assert conversions(home) == 4
    assert conversion.check_backbone_folder(root, entry, full=True) is None


def test_folder_without_manifest_or_with_another_requirement_is_rebuilt(home, caplog):
    conversion.backbone_path(NAME)
    (conversion.backbone_dir(NAME) / "manifest.json").unlink()  # a pre-manifest cache
    with caplog.at_level(logging.WARNING, logger=conversion.__name__):
        conversion.backbone_path(NAME)
    assert "no manifest.json" in caplog.text
    assert conversions(home) == 2
    registry.register_backbone(NAME, dict(fake_provider.ENTRY, requirement="fake-lookup==2.0"),
                               overwrite=True)
    assert "the registry now pins 'fake-lookup==2.0'" in conversion.check_backbone_folder(
        conversion.backbone_dir(NAME), registry.get_backbone(NAME))
    conversion.backbone_path(NAME)
    assert conversions(home) == 3
    manifest = json.loads((conversion.backbone_dir(NAME) / "manifest.json").read_text())
    assert manifest["requirement"] == "fake-lookup==2.0"


def test_damaged_folder_that_cannot_be_rebuilt_names_folder_and_fix(home, monkeypatch):
    conversion.backbone_path(NAME)
    root = conversion.backbone_dir(NAME)
    (lookup_dir() / "assets" / "vocab.txt").write_text("the\n")
    monkeypatch.setenv("KT_FAKE_CONVERT_FAIL", "1")
    with pytest.raises(OSError) as raised:
        conversion.backbone_path(NAME)
    message = str(raised.value)
    assert f"The cached backbone 'fake_lookup' at {root} is damaged" in message
    assert "lookup/assets/vocab.txt: size 4" in message
    assert "`keras-transfer backbones --rebuild fake_lookup`" in message
    assert "the fake wheel cannot be fetched" in message
    assert root.exists()  # the damaged copy is kept, not half-replaced
    assert not [p for p in root.parent.iterdir() if ".tmp-" in p.name]


def test_stale_temp_folders_are_removed_on_next_conversion(home):
    parent = conversion.cache_dir("backbones")
    stale = parent / f".{NAME}.tmp-k1ll3d"
    (stale / "model" / "lookup").mkdir(parents=True)
    (stale / "model" / "lookup" / "saved_model.pb").write_bytes(b"half")
    legacy = parent / f".{NAME}_ab12cd_3"  # tempfile.mkdtemp's 8 characters
    legacy.mkdir()
    other = parent / f".{NAME}_two.tmp-xyz"  # another backbone's temp: not ours
    other.mkdir()
    conversion.backbone_path(NAME)
    assert not stale.exists() and not legacy.exists()
    assert other.exists()
    assert sorted(p.name for p in parent.iterdir()) == sorted(
        [f".{NAME}.lock", NAME, other.name])


def test_without_fcntl_conversion_still_works(home, monkeypatch):
    monkeypatch.setattr(conversion, "fcntl", None)
    assert conversion.backbone_path(NAME) == str(lookup_dir())
    assert conversions(home) == 1


_WORKER = """
import os, sys, time
sys.path.insert(0, {repo!r})
from tests.backbones import fake_provider
fake_provider.register()
from keras_transfer.backbones.conversion import backbone_path
open(os.path.join({sync!r}, str(os.getpid())), "w").close()
while len(os.listdir({sync!r})) < 2:
    time.sleep(0.05)
print(backbone_path("fake_lookup"))
"""


def test_two_threads_convert_once_and_share_the_folder(home, monkeypatch):
    # The in-process twin of the two-process test below (which is `large`: two
    # fresh interpreters cost ~15 CPU s): both ask at once, one converts while
    # the other waits on the lock, then reuses the folder.
    import threading

    monkeypatch.setenv("KT_FAKE_CONVERT_SECONDS", "0.5")
    barrier = threading.Barrier(2)
    paths, errors = [], []

    def worker():
        try:
            barrier.wait(10)
            paths.append(conversion.backbone_path(NAME))
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert paths == [str(lookup_dir())] * 2
    assert conversions(home) == 1
    assert conversion.verify_backbone(NAME)[0] == "ok"
    assert not [p for p in lookup_dir().parents[1].iterdir() if ".tmp-" in p.name]


@pytest.mark.large
def test_two_processes_convert_once_and_share_the_folder(home, tmp_path):
    sync = tmp_path / "sync"
    sync.mkdir()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", KT_FAKE_CONVERT_SECONDS="2",
               PYTHONPATH=str(REPO))
    code = _WORKER.format(repo=str(REPO), sync=str(sync))
    workers = [subprocess.Popen([sys.executable, "-c", code], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for _ in range(2)]
    outputs = [w.communicate(timeout=240) for w in workers]
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, err
    paths = {out.strip().splitlines()[-1] for out, _ in outputs}
    assert paths == {str(lookup_dir())}
    assert conversions(home) == 1  # one converted, the other waited and reused it
    assert conversion.verify_backbone(NAME)[0] == "ok"
    assert not [p for p in lookup_dir().parents[1].iterdir() if ".tmp-" in p.name]


def test_lock_serializes_threads_and_processes(home):
    # While one holder has the lock, a non-blocking flock from another open fails.
    import fcntl

    with conversion.backbone_lock(NAME):
        lock = conversion.cache_dir("backbones") / f".{NAME}.lock"
        fd = os.open(lock, os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again
    finally:
        os.close(fd)


class OutsideStrategyScopeTest(TestCase):
    def test_runs_without_the_callers_strategy_and_reraises(self):
        seen = []

        def probe(value):
            seen.append(tf.distribute.has_strategy())
            return value * 2

        self.assertEqual(conversion._outside_strategy_scope(probe, 3), 6)
        with self.mirrored_strategy().scope():
            self.assertEqual(conversion._outside_strategy_scope(probe, 4), 8)
            self.assertTrue(tf.distribute.has_strategy())  # the caller's scope is kept

            def fail():
                raise ValueError("conversion failed")

            with self.assertRaisesRegex(ValueError, "conversion failed"):
                conversion._outside_strategy_scope(fail)
        self.assertEqual(seen, [False, False])


@pytest.mark.large
def test_real_minilm_cache_truncated_vocab_is_caught(tmp_path, monkeypatch):
    """On a copy of the converted minilm_l6: the damage is real, and the check sees it."""
    source = conversion.backbone_dir("minilm_l6")  # the configured cache, not modified
    problem = conversion.check_backbone_folder(source, registry.get_backbone("minilm_l6"))
    require(problem in (None, "no manifest.json (written before manifests existed)"),
            f"no usable converted minilm_l6 at {source}: {problem}")
    text = pytest.importorskip("tensorflow_text")
    assert text is not None
    monkeypatch.setenv("KERAS_TRANSFER_HOME", str(tmp_path))
    root = conversion.backbone_dir("minilm_l6")
    shutil.copytree(source, root)
    entry = registry.get_backbone("minilm_l6")
    conversion.write_manifest(root, entry["requirement"])  # as a conversion would
    assert conversion.backbone_path("minilm_l6", "preprocessor") == str(root / "preprocessor")

    def ids():
        preprocessor = tf.saved_model.load(str(root / "preprocessor"))
        return preprocessor(tf.constant(["a zebra sits on the mat"]))["input_word_ids"][0, :8]

    good = ids().numpy().tolist()
    vocab = root / "preprocessor" / "assets" / "vocab.txt"
    data = vocab.read_bytes()
    vocab.write_bytes(data[:len(data) // 2])
    assert ids().numpy().tolist() != good  # loads silently with wrong token ids
    assert conversion.check_backbone_folder(root, entry) == (
        f"preprocessor/assets/vocab.txt: size {len(data) // 2}, manifest says {len(data)}")
    vocab.write_bytes(data)
    assert conversion.check_backbone_folder(root, entry, full=True) is None


def test_the_lock_holder_may_reenter_and_other_threads_wait(home):
    import threading

    order = []
    with conversion.backbone_lock(NAME):
        with conversion.backbone_lock(NAME):  # no self-deadlock
            order.append("nested")
        def other():
            with conversion.backbone_lock(NAME):
                order.append("other")

        waiter = threading.Thread(target=other)
        waiter.start()
        waiter.join(0.5)
        assert waiter.is_alive()  # blocked while this thread holds the lock
        order.append("released")
    waiter.join(10)
    assert order == ["nested", "released", "other"]


def test_a_variant_the_provider_added_later_triggers_a_new_conversion(tmp_path):
    # A folder converted before `feature_map` joined the provider's VARIANTS.
    (tmp_path / "feature_vector").mkdir()
    (tmp_path / "feature_vector" / "saved_model.pb").write_bytes(b"")
    entry = registry.get_backbone("tiny_face_detector")

    problem = conversion._missing_variant(tmp_path, entry, "feature_map")

    assert problem == "no 'feature_map' variant (converted before the provider wrote it)"
    assert conversion._missing_variant(tmp_path, entry, "feature_vector") is None
    # Not a variant of the provider: backbone_path's "has no variant" error.
    assert conversion._missing_variant(tmp_path, entry, "nope") is None
    # A one-module provider (no `convert` submodule) declares no variants.
    assert conversion._missing_variant(tmp_path, fake_provider.ENTRY, "other") is None
