"""`read_librispeech`: (audio path, transcript) pairs from a LibriSpeech-style tree."""

import re
from pathlib import Path

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.bounded_read import read_bounded
from keras_transfer.utils.paths import resolve_inside

MAX_TRANSCRIPT_BYTES = 1 << 20
# Utterance ids as LibriSpeech writes them (`84-121123-0000`): no separators.
UTTERANCE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")


@keras_transfer_export("keras_transfer.data.read_librispeech")
def read_librispeech(root, extension="wav", max_bytes=MAX_TRANSCRIPT_BYTES):
    """Reads the transcripts of a LibriSpeech-style folder tree.

    LibriSpeech keeps, in each `<speaker>/<chapter>/` folder, a
    `<speaker>-<chapter>.trans.txt` whose lines are `<utterance id> <TEXT>`,
    next to one audio file per utterance, `<utterance id>.flac`. Every
    `*.trans.txt` under `root` is read (sorted, symbolic links to folders
    not followed); each utterance's audio is looked up beside its
    transcript file. keras_transfer decodes 16-bit PCM WAV, so convert FLAC
    first (`sox in.flac out.wav`), or read other files yourself with the
    returned paths and `extension="flac"`.

    Hostile input: each transcript file is read under `max_bytes`; ids must
    be letters, digits, `_` and `-` (no path separators, no `..`), and the
    audio path must resolve inside `root`.

    Args:
        root: str or path. The top folder (e.g. `LibriSpeech/dev-clean`).
        extension: str. The audio files' extension. Defaults to `"wav"`.
        max_bytes: int. Largest transcript file accepted. Defaults to 1 MiB.

    Returns:
        list of `(audio path as str, transcript)` tuples, in file order.

    Raises:
        FileNotFoundError: if `root` is not a folder, holds no `*.trans.txt`,
            or an utterance's audio file is missing.
        ValueError: on a malformed line, a bad id, or a file over `max_bytes`.

    Example:

    ```python
    pairs = keras_transfer.data.read_librispeech("LibriSpeech/dev-clean")
    waveforms, texts = keras_transfer.data.load_transcribed_audio(pairs)
    ```
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"`root` is not a folder: {str(root)!r}")
    if not re.fullmatch(r"[A-Za-z0-9]{1,8}", str(extension)):
        raise ValueError(f"`extension` must be letters and digits, like 'wav'. "
                         f"Received: extension={extension!r}")
    files = sorted(root.rglob("*.trans.txt"))
    if not files:
        raise FileNotFoundError(f"No *.trans.txt file under {str(root)!r}.")
    pairs = []
    for path in files:
        text = read_bounded(path, max_bytes, "transcript file").decode("utf-8", "replace")
        folder = path.parent.relative_to(root)
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            fields = line.strip().split(maxsplit=1)
            if len(fields) != 2 or not UTTERANCE_ID.match(fields[0]):
                raise ValueError(
                    f"{str(path)!r} line {number} is not '<utterance id> <text>' "
                    f"with an id of letters, digits, '_' and '-': {line[:80]!r}")
            audio = resolve_inside(root, str(folder / f"{fields[0]}.{extension}"),
                                   "audio path")
            if not audio.is_file():
                raise FileNotFoundError(
                    f"{str(path)!r} line {number}: no audio file {str(audio)!r}.")
            pairs.append((str(audio), fields[1]))
    return pairs
