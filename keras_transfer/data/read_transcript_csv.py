"""`read_transcript_csv`: (audio path, transcript) pairs from a CSV manifest."""

import csv
import io
from pathlib import Path

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.bounded_read import read_bounded
from keras_transfer.utils.paths import resolve_inside

MAX_MANIFEST_BYTES = 16 << 20


@keras_transfer_export("keras_transfer.data.read_transcript_csv")
def read_transcript_csv(path, root=None, max_bytes=MAX_MANIFEST_BYTES):
    """Reads a CSV manifest with `path` and `transcript` columns.

    The first row is the header; other columns are ignored. Each `path` is
    relative to `root` and must stay inside it: absolute paths, `..` and
    symbolic links out of `root` are refused (the manifest is hostile input),
    and the file is read under `max_bytes`.

    Args:
        path: str or path. The CSV file (UTF-8).
        root: str or path. The folder audio paths are relative to. Defaults
            to `None` (the CSV's own folder).
        max_bytes: int. Largest manifest accepted. Defaults to 16 MiB.

    Returns:
        list of `(audio path as str, transcript)` tuples, in row order.

    Raises:
        FileNotFoundError: if an audio file is missing.
        ValueError: if the header lacks `path` or `transcript`, a row is
            short or empty, a path leaves `root`, or the file is too big.

    Example:

    ```python
    pairs = keras_transfer.data.read_transcript_csv("speech/train.csv")
    ```
    """
    path = Path(path)
    root = path.parent if root is None else Path(root)
    text = read_bounded(path, max_bytes, "CSV manifest").decode("utf-8-sig", "replace")
    rows = csv.DictReader(io.StringIO(text, newline=""))
    missing = {"path", "transcript"} - set(rows.fieldnames or ())
    if missing:
        raise ValueError(
            f"{str(path)!r} needs a header with 'path' and 'transcript' columns; it "
            f"has {rows.fieldnames!r}.")
    pairs = []
    for number, row in enumerate(rows, 2):
        audio, transcript = row.get("path"), row.get("transcript")
        if not audio or transcript is None or not transcript.strip():
            raise ValueError(f"{str(path)!r} row {number} lacks a path or a transcript.")
        resolved = resolve_inside(root, audio, "audio path")
        if not resolved.is_file():
            raise FileNotFoundError(f"{str(path)!r} row {number}: no audio file "
                                    f"{str(resolved)!r}.")
        pairs.append((str(resolved), transcript.strip()))
    if not pairs:
        raise ValueError(f"{str(path)!r} has no rows.")
    return pairs
