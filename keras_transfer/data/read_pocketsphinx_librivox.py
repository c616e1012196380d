"""`read_pocketsphinx_librivox`: the 5 real LibriVox recordings of Debian's pocketsphinx-testdata."""

import re
from pathlib import Path

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.data.read_librispeech import UTTERANCE_ID
from keras_transfer.utils.bounded_read import read_bounded
from keras_transfer.utils.paths import resolve_inside

DEFAULT_FOLDER = "/usr/share/pocketsphinx/test/data/librivox"
_LINE = re.compile(r"^<s>\s*(.*?)\s*</s>\s*\(([^()\s]+)\)\s*$")


@keras_transfer_export("keras_transfer.data.read_pocketsphinx_librivox")
def read_pocketsphinx_librivox(folder=None):
    """Reads the LibriVox test recordings shipped by `pocketsphinx-testdata`.

    Debian's `pocketsphinx-testdata` package has, in
    `pocketsphinx/test/data/librivox/`, five real recordings (16 kHz mono
    WAV, 3 to 7 s, one reader of Jane Austen's *Sense and Sensibility*, a
    LibriVox public-domain recording) and their transcripts in
    `transcription`, lines `<s> text </s> (utterance id)`.

    Args:
        folder: str or path. The `librivox` folder. Defaults to `None`
            (`/usr/share/pocketsphinx/test/data/librivox`).

    Returns:
        list of `(wav path as str, transcript)` tuples, 5 for the Debian
        package (lower case, no punctuation: "he was not an ill disposed
        young man").

    Raises:
        FileNotFoundError: if the folder or a listed WAV is missing (install
            it with `sudo apt-get install pocketsphinx-testdata`).
        ValueError: on a malformed `transcription` line.

    Example:

    ```python
    pairs = keras_transfer.data.read_pocketsphinx_librivox()
    ```
    """
    folder = Path(DEFAULT_FOLDER if folder is None else folder)
    listing = folder / "transcription"
    if not listing.is_file():
        raise FileNotFoundError(
            f"No pocketsphinx LibriVox transcription at {str(listing)!r}. Install "
            "`sudo apt-get install pocketsphinx-testdata` or pass `folder=`.")
    text = read_bounded(listing, 1 << 20, "transcription file").decode("utf-8", "replace")
    pairs = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _LINE.match(line.strip())
        if not match or not UTTERANCE_ID.match(match.group(2)):
            raise ValueError(f"{str(listing)!r} line {number} is not "
                             f"'<s> text </s> (id)': {line[:80]!r}")
        audio = resolve_inside(folder, f"{match.group(2)}.wav", "audio path")
        if not audio.is_file():
            raise FileNotFoundError(f"{str(listing)!r} line {number}: no {str(audio)!r}.")
        pairs.append((str(audio), match.group(1)))
    return pairs
