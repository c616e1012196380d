"""`load_transcribed_audio`: decode the WAV files of (path, transcript) pairs."""

import numpy as np
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.data.audio import decode_wav, inspect_wav, resample
from keras_transfer.utils.argument_validation import check_int, check_positive


@keras_transfer_export("keras_transfer.data.load_transcribed_audio")
def load_transcribed_audio(pairs, sample_rate=16000, max_seconds=30.0):
    """Decodes the audio of `(wav path, transcript)` pairs to mono waveforms.

    The pairs are what `read_librispeech`, `read_transcript_csv` and
    `read_pocketsphinx_librivox` return. Each header is checked first
    (`keras_transfer.data.inspect_wav`: 16-bit PCM, not truncated) and its
    duration compared with `max_seconds` before any sample is decoded;
    channels are averaged and other rates resampled to `sample_rate`.

    Args:
        pairs: list of `(path, transcript)`.
        sample_rate: int. Hz of the returned waveforms. Defaults to `16000`.
        max_seconds: float. Longest file accepted. Defaults to `30.0`.

    Returns:
        `(waveforms, transcripts)`: a list of float32 1-D arrays in [-1, 1]
        and the list of transcripts, in the same order.

    Raises:
        ValueError: if a file is not 16-bit PCM WAV, is truncated or is
            longer than `max_seconds`.

    Example:

    ```python
    waveforms, texts = keras_transfer.data.load_transcribed_audio(
        keras_transfer.data.read_pocketsphinx_librivox())
    ```
    """
    check_int(sample_rate, "sample_rate", minimum=1, note="Hz")
    check_positive(max_seconds, "max_seconds")
    waveforms, transcripts = [], []
    for path, transcript in pairs:
        header = inspect_wav(path)
        if header["duration"] > max_seconds:
            raise ValueError(
                f"{str(path)!r} lasts {header['duration']:.2f} s, more than "
                f"max_seconds={max_seconds}; split it or raise the bound.")
        waveform, rate = decode_wav(tf.io.read_file(str(path)))
        if int(rate) != sample_rate:
            waveform = resample(waveform, int(rate), sample_rate)
        waveforms.append(np.asarray(waveform, np.float32))
        transcripts.append(transcript)
    return waveforms, transcripts
