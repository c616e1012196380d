"""Fetch a pinned PyPI source distribution and read named files out of it.

Some pretrained weights and data sets are on PyPI only inside a source
distribution (`textgenrnn==2.0.0` ships `textgenrnn_weights.hdf5` in its
`.tar.gz`, with no wheel; `vaderSentiment==3.3.2` ships the rated snippets of
its paper as a tarball inside its sdist). keras_transfer downloads the sdist with `pip download --no-deps
--no-build-isolation --require-hashes` into a temporary folder, checks its
sha256 against `SDIST_SHA256`, and copies only the archive members it was
asked for, by exact name, each under a size bound, into
`<cache>/sdists/<name>-<version>/`. The archive is never extracted as a
whole and nothing is installed.

What runs and what does not:

- pip checks the archive's hash (`--require-hashes`) before it prepares the
  sdist's metadata, so the only `setup.py` pip ever runs is the pinned one.
  Preparing metadata cannot be skipped for an sdist, even with `--no-deps`.
- `--no-build-isolation` makes pip use the environment's own `setuptools`
  instead of downloading the newest one, unpinned, into a build
  environment. The environment must therefore have `setuptools` (Python
  3.12+ virtual environments do not by default: `pip install setuptools`).

Why these pins are not in `requirements/weights.txt` (which the Makefile
installs with `pip install --no-deps --require-hashes`): installing an sdist
means building it (running its `setup.py bdist_wheel`) and putting its code
(`import textgenrnn`, which imports `tensorflow.keras` and scikit-learn) on
the path, for two data files keras_transfer reads from the archive anyway.
`fetch_sdist_members` never looks at an installed distribution, so an
install would not even be used. `SDIST_SHA256` is therefore a table of its
own, next to `wheels.WHEEL_SHA256`.
"""

import logging
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from keras_transfer.backbones.downloads import download_bounded, sha256_of
from keras_transfer.utils.paths import cache_dir

logger = logging.getLogger(__name__)

_REQUIREMENT = re.compile(r"^([A-Za-z0-9_.\-]+)==([A-Za-z0-9_.\-+]+)$")
_CHUNK = 1 << 20

# sha256 of the sdist of each pinned requirement, keyed by normalized
# "name==version". To update a pin: `pip download --no-deps
# --no-build-isolation -d DIR name==version`, then `sha256sum DIR/*`.
SDIST_SHA256 = {
    # MIT; the character-level LM of keras_transfer.language_models.
    "textgenrnn==2.0.0":
        "c2b6f1c201c76d5a6021079e95a8db499bbe15d9f3448d33cb51c0cd496c86f8",
    # MIT; the human-rated sentiment snippets of the VADER paper (Hutto &
    # Gilbert, 2014), keras_transfer.data.datasets.vader_sentiment.
    "vadersentiment==3.3.2":
        "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9",
    # GPL-3.0 code, example annotations; three Pascal VOC box files
    # (examples/bbox_detection/data_dataset_voc/) are the known answers of the
    # box readers' tests. Fetched from its URL (SDIST_URLS).
    "labelme==7.9.1":
        "d8cc51cde4dc8160284ed7f65ea417c9887ac7b0c4bf49ee1d7de974d0068a62",
}

# Sdists that `pip download` cannot prepare here, fetched from their PyPI file
# URL instead (the hash above is still checked): labelme 7.9.1 declares
# Requires-Python >= 3.12 and a hatchling build.
SDIST_URLS = {
    "labelme==7.9.1": "https://files.pythonhosted.org/packages/b6/59/"
                      "5c2bd58f47e4a3eb51cf89fdc964af504303f5ac532362afb89f239a7a9d/"
                      "labelme-7.9.1.tar.gz",
}
MAX_SDIST_BYTES = 256 << 20


def _normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def fetch_sdist_members(requirement, members, archive=None):
    """Returns a folder holding the named files of a pinned PyPI sdist.

    The first call downloads the sdist (or takes the local copy `archive`),
    checks its sha256 against `SDIST_SHA256`, and copies each member in
    `members` to `<cache>/sdists/<name>-<version>/<member>`, atomically: a
    failed download, a hash mismatch or a bad member leaves nothing behind.
    Later calls return the folder directly.

    Args:
        requirement: str. A pinned requirement, `"name==version"`.
        members: dict. Exact member name inside the `.tar.gz` (e.g.
            `"textgenrnn-2.0.0/textgenrnn/textgenrnn_vocab.json"`) -> the
            largest size allowed, in bytes.
        archive: str or path. A local copy of the sdist, for machines
            without access to PyPI; its sha256 is checked the same way.
            Defaults to `None` (download it with pip).

    Returns:
        `pathlib.Path` of the folder; `folder / member` is each member's copy.

    Raises:
        ValueError: if `requirement` is not pinned with `==` or has no sha256
            in `SDIST_SHA256`, or a member name is absolute or holds `..`.
        RuntimeError: if pip cannot download the sdist, its sha256 is not the
            pinned one, it is not a `.tar.gz`, or a member is missing, is not a
            regular file or is larger than its bound.

    Example:

    ```python
    folder = keras_transfer.backbones.sdists.fetch_sdist_members(
        "textgenrnn==2.0.0",
        {"textgenrnn-2.0.0/textgenrnn/textgenrnn_vocab.json": 1 << 16})
    ```
    """
    match = _REQUIREMENT.match(str(requirement).strip())
    if not match:
        raise ValueError(
            "`requirement` must be pinned as 'name==version'. "
            f"Received: requirement={requirement!r}")
    name, version = match.groups()
    pinned = SDIST_SHA256.get(f"{_normalize(name)}=={version}")
    if not pinned:
        raise ValueError(
            f"{requirement} has no pinned sha256, so it will not be fetched. "
            f"Pinned sdists: {sorted(SDIST_SHA256)}. "
            f"Received: requirement={requirement!r}")
    for member in members:
        parts = Path(member).parts
        if not parts or Path(member).is_absolute() or ".." in parts:
            raise ValueError(
                "Each key of `members` must be a relative path inside the "
                f"archive, without '..'. Received: member={member!r}")

    target = cache_dir("sdists") / f"{_normalize(name).replace('-', '_')}-{version}"
    if all((target / member).is_file() for member in members):
        return target

    with tempfile.TemporaryDirectory(dir=cache_dir("sdists")) as tmp:
        path = Path(archive) if archive is not None else _download(
            requirement, pinned, tmp)
        digest = sha256_of(path)
        if digest != pinned:
            raise RuntimeError(
                f"{path.name} has sha256 {digest}, which is not the pinned hash "
                f"of {requirement} ({pinned}). Refusing to read it: it is not "
                "the pinned file.")
        unpacked = Path(tmp) / "members"
        extract_members(path, members, unpacked)
        if all((target / member).is_file() for member in members):
            # Another process (a second pytest-xdist worker) finished first:
            # keep its copy, which it may be reading right now.
            return target
        if target.exists():
            shutil.rmtree(target)
        os.replace(unpacked, target)
    return target


def _download(requirement, pinned, folder):
    """Runs `pip download` with the hash pinned (or fetches `SDIST_URLS`' file);
    returns the archive's path."""
    name, _, version = requirement.partition("==")
    url = SDIST_URLS.get(f"{_normalize(name)}=={version}")
    if url:
        return download_bounded(url, folder, MAX_SDIST_BYTES,
                                f"On an offline machine, download {url} elsewhere and pass "
                                "it as `archive`.")
    pins = Path(folder) / "requirement.txt"
    pins.write_text(f"{requirement} --hash=sha256:{pinned}\n")
    dest = Path(folder) / "download"
    logger.info("Downloading the %s sdist from PyPI (no dependencies)", requirement)
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
        "--no-build-isolation", "--require-hashes", "--disable-pip-version-check",
        "--dest", str(dest), "-r", str(pins),
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    found = sorted(dest.glob("*.tar.gz")) if dest.is_dir() else []
    if result.returncode != 0 or len(found) != 1:
        said = " ".join(result.stderr.split())[-500:]
        raise RuntimeError(
            f"Could not download the {requirement} sdist from the package index "
            f"(pip said: {said!r}). pip needs setuptools in this environment "
            "(`pip install setuptools`). On an offline machine, run `pip "
            f"download --no-deps --no-build-isolation {requirement}` elsewhere "
            "and pass the .tar.gz as `archive`.")
    return found[0]


def extract_members(archive_path, members, folder):
    """Copies the named members of a `.tar.gz` into `folder`, each under its bound.

    Only the named members are read. Each must be a regular file (not a
    link, device or folder) whose declared size is within its bound, and it
    is copied with a byte counter, so a lying header cannot make it write
    more.

    Args:
        archive_path: str or path. The `.tar.gz`.
        members: dict. Exact member name -> the largest size allowed, in
            bytes.
        folder: str or path. Where to write `folder / member`; created.

    Raises:
        RuntimeError: if the file is not a gzip-compressed tar archive, or a
            member is missing, is not a regular file or exceeds its bound.
    """
    folder = Path(folder)
    try:
        tar = tarfile.open(archive_path, mode="r:gz")
    except (tarfile.TarError, OSError) as error:
        raise RuntimeError(
            f"{Path(archive_path).name} is not a .tar.gz archive ({error}).") from None
    with tar:
        for member, bound in members.items():
            try:
                info = tar.getmember(member)
            except KeyError:
                raise RuntimeError(
                    f"{Path(archive_path).name} lacks {member!r}.") from None
            if not info.isreg():
                raise RuntimeError(
                    f"{member!r} in {Path(archive_path).name} is not a regular file.")
            if info.size > bound:
                raise RuntimeError(
                    f"{member!r} in {Path(archive_path).name} declares {info.size} "
                    f"bytes, more than the {bound} allowed.")
            out_path = folder / member
            out_path.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            with tar.extractfile(info) as src, open(out_path, "wb") as dst:
                for block in iter(lambda: src.read(_CHUNK), b""):
                    written += len(block)
                    if written > bound:
                        raise RuntimeError(
                            f"{member!r} in {Path(archive_path).name} is larger "
                            f"than the {bound} bytes allowed.")
                    dst.write(block)
