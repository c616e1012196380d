"""Spoken words synthesized offline with espeak-ng (keyword spotting).

Each example is one word said by one synthetic speaker: an espeak-ng English
accent (8: American, British, Scottish, RP, Lancaster, West Midlands,
Caribbean, New York) with a voice variant (13: `m1`-`m8`, `f1`-`f5`), i.e. 104
speakers, at a random speed (130-200 words per minute), base pitch (20-80) and
loudness (peak 0.3-0.9), placed at a random offset inside one second of 16 kHz
mono audio, optionally with white noise at a given SNR.

The partition is by speaker and fixed: 26 of the 104 speakers are only used for
the test split, so test accuracy measures generalisation to unheard voices.
Generation is deterministic for a given seed and espeak-ng version, and the
result is cached as `.npz` under `<cache>/datasets/`.
"""

import concurrent.futures
import logging
import os
import re
import shutil
import struct
import subprocess
import time

import numpy as np

from keras_transfer.data.array_split import ArraySplit
from keras_transfer.data.datasets.common import cached_arrays
from keras_transfer.data.datasets.common import check_split
from keras_transfer.utils.argument_validation import check_int

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000
DIGITS = (
    "zero", "one", "two", "three", "four",
    "five", "six", "seven", "eight", "nine",
)
ACCENTS = (
    "en-us", "en", "en-gb-scotland", "en-gb-x-rp",
    "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-029", "en-us-nyc",
)
VARIANTS = (
    "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8",
    "f1", "f2", "f3", "f4", "f5",
)
DEFAULT_EXAMPLES_PER_WORD = {"train": 40, "test": 10}
_PARTITION_SEED = 7
_TEST_SPEAKERS = 26
_WORD = re.compile(r"^[A-Za-z][A-Za-z' ]*$")
_INSTALL_HINT = "Install it with `sudo apt-get install espeak-ng`."


def speakers(split):
    """Returns the `(accent, variant)` speakers of a split, in a fixed order.

    Args:
        split: str. `"train"` (78 speakers) or `"test"` (26).

    Returns:
        list of `(accent, variant)` tuples.
    """
    check_split("spoken_words", split)
    everyone = [(a, v) for a in ACCENTS for v in VARIANTS]
    order = np.random.RandomState(_PARTITION_SEED).permutation(len(everyone))
    chosen = order[:_TEST_SPEAKERS] if split == "test" else order[_TEST_SPEAKERS:]
    return [everyone[i] for i in sorted(chosen)]


def load_spoken_words(
    split="train", words=DIGITS, examples_per_word=None, seed=0, snr_db=None
):
    """Synthesizes (or loads from the cache) one-second clips of spoken words.

    Needs the `espeak-ng` program (Debian/Ubuntu package `espeak-ng`). The
    synthesizer speaks at 22,050 Hz; clips are trimmed of leading and trailing
    silence, resampled to 16 kHz with `keras_transfer.data.resample`, scaled,
    placed at a random offset and zero padded to exactly 16,000 samples
    (longer words are cut at one second, which does not happen at the speeds
    used here for the default words). 400 clips take 3 to 6 seconds on two
    CPU cores the first time, and milliseconds from the cache.

    Args:
        split: str. `"train"` or `"test"`; the two use disjoint speakers.
            Defaults to `"train"`.
        words: tuple of str. The words to say, one class each, in class
            order. Defaults to the digits `("zero", ..., "nine")`.
        examples_per_word: int. Clips per word. Defaults to `None`, which means
            40 for `"train"` and 10 for `"test"`.
        seed: int. Draws speakers, speeds, pitches, loudness, offsets and
            noise. Defaults to `0`.
        snr_db: float. When set, white Gaussian noise is added at this
            signal-to-noise ratio (signal power measured over the spoken part).
            Defaults to `None` (clean).

    Returns:
        `keras_transfer.data.ArraySplit` with `x` float32 of shape
        `(len(words) * examples_per_word, 16000)` in [-1, 1], `y` int32 word
        indices and `class_names == tuple(words)`.

    Raises:
        ValueError: if an argument is invalid.
        RuntimeError: if espeak-ng is missing or fails.

    Example:

    ```python
    split = keras_transfer.data.load_dataset(
        "spoken_words", split="test", snr_db=20.0)
    ds = keras_transfer.data.from_arrays(*split, batch_size=32)
    ```
    """
    check_split("spoken_words", split)
    words = _check_words(words)
    if examples_per_word is None:
        examples_per_word = DEFAULT_EXAMPLES_PER_WORD[split]
    check_int(examples_per_word, "examples_per_word", minimum=1)
    if snr_db is not None and not isinstance(snr_db, (int, float)):
        raise ValueError(
            f"`snr_db` must be a number or None. Received: snr_db={snr_db!r}"
        )
    binary = espeak_binary()
    version = _espeak_version(binary)

    def build():
        return _generate(
            binary, split, words, int(examples_per_word), seed, snr_db
        )

    arrays = cached_arrays(
        "spoken_words",
        {"split": split, "words": list(words),
         "examples_per_word": int(examples_per_word), "seed": seed,
         "snr_db": snr_db, "espeak": version, "version": 1},
        build,
    )
    return ArraySplit(arrays["x"], arrays["y"].astype(np.int32), words)


def espeak_binary():
    """Returns the path of `espeak-ng`, or raises a RuntimeError saying how to
    install it."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise RuntimeError(
            "The spoken_words dataset is synthesized with espeak-ng, which is "
            f"not installed (not found on PATH). {_INSTALL_HINT}"
        )
    return binary


def _check_words(words):
    if isinstance(words, str):
        raise ValueError(
            "`words` must be a sequence of words, not one string. Received: "
            f"words={words!r}"
        )
    words = tuple(words)
    bad = [w for w in words if not isinstance(w, str) or not _WORD.match(w)]
    if len(words) < 2 or bad or len(set(words)) != len(words):
        raise ValueError(
            "`words` must be at least two distinct words made of letters, "
            f"apostrophes and spaces. Received: words={words!r}"
        )
    return words


def _espeak_version(binary):
    result = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip().split("  Data at")[0]


def _synthesize(binary, word, accent, variant, speed, pitch):
    """Runs espeak-ng once; returns (int16 samples, sample rate)."""
    command = [
        binary, "-v", f"{accent}+{variant}", "-s", str(speed),
        "-p", str(pitch), "--stdout", word,
    ]
    result = subprocess.run(command, capture_output=True, check=False)
    if result.returncode != 0 or len(result.stdout) < 44:
        raise RuntimeError(
            f"espeak-ng failed on {' '.join(command[1:])} (exit "
            f"{result.returncode}): {result.stderr.decode(errors='replace')}"
        )
    return _parse_stream_wav(result.stdout)


def _parse_stream_wav(data):
    """Parses espeak-ng's streamed WAV (its sizes are placeholders)."""
    fmt_at = data.find(b"fmt ")
    data_at = data.find(b"data", fmt_at)
    if data[:4] != b"RIFF" or fmt_at < 0 or data_at < 0:
        raise RuntimeError("espeak-ng did not write a WAV stream.")
    _, channels, rate = struct.unpack("<HHI", data[fmt_at + 8: fmt_at + 16])
    samples = np.frombuffer(data[data_at + 8:], dtype="<i2")
    if channels != 1:
        samples = samples[: len(samples) // channels * channels]
        samples = samples.reshape(-1, channels).mean(axis=1)
    return samples, rate


def _generate(binary, split, words, per_word, seed, snr_db):
    from keras_transfer.data.audio import resample

    start = time.perf_counter()
    pool = speakers(split)
    rng = np.random.default_rng([seed, 0 if split == "train" else 1])
    n = len(words) * per_word
    labels = np.repeat(np.arange(len(words), dtype=np.int32), per_word)
    who = rng.integers(len(pool), size=n)
    speeds = rng.integers(130, 201, size=n)
    pitches = rng.integers(20, 81, size=n)
    peaks = rng.uniform(0.3, 0.9, size=n)
    places = rng.uniform(size=n)
    noise_seeds = rng.integers(2**31, size=n)
    jobs = [
        (binary, words[labels[i]], *pool[who[i]], int(speeds[i]),
         int(pitches[i]))
        for i in range(n)
    ]
    workers = min(8, os.cpu_count() or 1)
    with concurrent.futures.ThreadPoolExecutor(workers) as executor:
        results = list(executor.map(lambda job: _synthesize(*job), jobs))

    rate = results[0][1]
    clips = [_trim_silence(samples.astype(np.float32) / 32768.0)
             for samples, _ in results]
    longest = max(len(c) for c in clips)
    padded = np.zeros((n, longest), np.float32)
    for i, clip in enumerate(clips):
        padded[i, : len(clip)] = clip
    if rate != SAMPLE_RATE:
        padded = resample(padded, rate, SAMPLE_RATE).numpy()
    lengths = [
        min(-(-len(c) * SAMPLE_RATE // rate), SAMPLE_RATE) for c in clips
    ]

    x = np.zeros((n, SAMPLE_RATE), np.float32)
    for i, length in enumerate(lengths):
        clip = padded[i, :length]
        clip = clip * (peaks[i] / max(np.abs(clip).max(), 1e-6))
        offset = int(places[i] * (SAMPLE_RATE - length))
        x[i, offset: offset + length] = clip
        if snr_db is not None:
            power = float(np.mean(clip**2))
            sigma = np.sqrt(power / 10 ** (snr_db / 10))
            noise = np.random.default_rng(noise_seeds[i]).normal(
                0.0, sigma, SAMPLE_RATE
            )
            x[i] += noise.astype(np.float32)
    np.clip(x, -1.0, 1.0, out=x)
    order = rng.permutation(n)
    logger.info(
        "Synthesized %d spoken words (%s split) in %.1f s",
        n, split, time.perf_counter() - start,
    )
    return {"x": x[order], "y": labels[order]}


def _trim_silence(clip, threshold=0.01):
    """Cuts leading and trailing samples quieter than `threshold` * peak."""
    loud = np.flatnonzero(np.abs(clip) > threshold * np.abs(clip).max())
    if len(loud) == 0:
        return clip
    return clip[loud[0]: loud[-1] + 1]
