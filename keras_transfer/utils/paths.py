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
