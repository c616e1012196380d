"""Where keras_transfer keeps downloaded wheels, converted backbones and runs."""

import os
from pathlib import Path


def cache_dir(*parts):
    """Returns (and creates) a folder under keras_transfer's cache.

    The root is `$KERAS_TRANSFER_HOME` when set, else `~/.cache/keras_transfer`.

    Args:
        *parts: str. Sub-folders below the root.

    Returns:
        `pathlib.Path` of an existing folder.
    """
    root = os.environ.get("KERAS_TRANSFER_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache", "keras_transfer"
    )
    path = Path(root, *parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def resolve_inside(root, relative, what="path"):
    """Joins `relative` to `root`, refusing anything that leaves `root`.

    For paths read from files from outside (manifests, transcripts): absolute
    paths, `..` components and symbolic links that point out of `root` are
    refused, so a hostile manifest cannot make the reader open
    `/etc/passwd` or `../../secret.wav`.

    Args:
        root: str or path. The folder the files must stay in.
        relative: str. The path from the file, relative to `root`.
        what: str. What the path names, for the message.

    Returns:
        `pathlib.Path`, the resolved path (symbolic links followed).

    Raises:
        ValueError: if `relative` is empty, absolute, contains a NUL byte or
            `..`, or resolves outside `root`.
    """
    text = str(relative)
    parts = Path(text.replace("\\", "/")).parts
    if (not text.strip() or "\x00" in text or os.path.isabs(text)
            or text.startswith(("/", "\\", "~")) or ".." in parts
            or (len(text) > 1 and text[1] == ":")):
        raise ValueError(
            f"The {what} {text!r} must be a relative path inside {os.fspath(root)!r} "
            "(no absolute path, no '..').")
    base = Path(root).resolve()
    path = (base / text).resolve()
    if path != base and base not in path.parents:
        raise ValueError(
            f"The {what} {text!r} resolves to {str(path)!r}, outside "
            f"{str(base)!r} (a symbolic link out of the folder?).")
    return path
