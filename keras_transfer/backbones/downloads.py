"""File hashes and bounded downloads: the one place that reads URLs and hashes files."""

import hashlib
import logging
import urllib.error
import urllib.request
from pathlib import Path

logger = logging.getLogger(__name__)

CHUNK = 1 << 20


def sha256_of(path):
    """The hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def download_bounded(url, folder, max_bytes, offline_hint):
    """Streams `url` into `folder` (named after its last path part), refusing
    more than `max_bytes`; returns the path. The caller checks the hash.

    Raises:
        RuntimeError: the download failed (message ends with `offline_hint`)
            or is larger than `max_bytes`.
    """
    path = Path(folder) / url.rsplit("/", 1)[-1]
    logger.info("Downloading %s", url)
    written = 0
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(path, "wb") as out:
            for block in iter(lambda: response.read(CHUNK), b""):
                written += len(block)
                if written > max_bytes:
                    raise RuntimeError(f"{url} is larger than the {max_bytes} bytes "
                                       "allowed; it is not the pinned file.")
                out.write(block)
    except (urllib.error.URLError, OSError) as error:
        raise RuntimeError(f"Could not download {url} ({error}). {offline_hint}") from None
    return path
