"""`fit --task asr --data ...`: transcribed speech as train and test waveforms.

A source is one of:

- `synthetic_speech`: English sentences spoken by espeak-ng
  (`keras_transfer.data.load_synthetic_speech`; its train and test splits
  hold out other sentences and other voices);
- `pocketsphinx_librivox`: the 5 real LibriVox recordings of Debian's
  `pocketsphinx-testdata` (`read_pocketsphinx_librivox`), split as below;
- a `.csv` manifest with `path,transcript` columns (`read_transcript_csv`);
- a LibriSpeech-style folder (`*.trans.txt` beside WAV files,
  `read_librispeech`), with `train/` and `test/` subfolders or split.

Sources without their own test split are shuffled with `--seed` and cut:
`--num-test` clips (default a fifth, at least one) for testing, the rest
(at most `--num-train`) for training. Clips longer than `--max-seconds` and
transcripts with no character of the vocabulary are dropped and counted.
"""

import os
from dataclasses import dataclass, field

import numpy as np

from keras_transfer.cli.errors import UsageError

SYNTHETIC = "synthetic_speech"
POCKETSPHINX = "pocketsphinx_librivox"
BUILT_IN = (SYNTHETIC, POCKETSPHINX)
TEST_FRACTION = 0.2


@dataclass
class SpeechSource:
    """Normalized transcripts and 1-D float32 waveforms at the model's rate.

    `test_names` names each test clip (its file name, or its index).
    """

    train_audio: list
    train_texts: list
    test_audio: list
    test_texts: list
    test_names: list
    description: str
    dropped: dict = field(default_factory=dict)


def load_speech_source(source, vocabulary, max_seconds, sample_rate=16000, num_train=None,
                       num_test=None, seed=0):
    """Loads `--data` for `fit --task asr`; returns a `SpeechSource`."""
    from keras_transfer import data

    if source == SYNTHETIC:
        import shutil

        if shutil.which("espeak-ng") is None:
            raise UsageError(f"--data {SYNTHETIC} needs the espeak-ng program: "
                             "sudo apt-get install espeak-ng")
        splits = {}
        for split, count in (("train", num_train), ("test", num_test)):
            try:
                splits[split] = data.load_synthetic_speech(
                    split, num_examples=count, seed=seed, max_seconds=max_seconds)
            except RuntimeError as error:
                raise UsageError(f"--data {SYNTHETIC}: {error}") from None
        return _source(splits["train"], splits["test"], None, vocabulary,
                       f"{SYNTHETIC} (espeak-ng)", {})
    if source == POCKETSPHINX:
        pairs, description = data.read_pocketsphinx_librivox(), POCKETSPHINX
    elif source.lower().endswith(".csv"):
        if not os.path.isfile(source):
            raise UsageError(f"--data {source}: no such CSV manifest")
        pairs, description = data.read_transcript_csv(source), f"manifest {source}"
    elif os.path.isdir(source):
        train_dir, test_dir = os.path.join(source, "train"), os.path.join(source, "test")
        if os.path.isdir(train_dir) and os.path.isdir(test_dir):
            train, _, train_dropped = _load(data.read_librispeech(train_dir), sample_rate,
                                            max_seconds, num_train, seed)
            test, names, test_dropped = _load(data.read_librispeech(test_dir), sample_rate,
                                              max_seconds, num_test, seed)
            dropped = {"train_too_long": train_dropped, "test_too_long": test_dropped}
            return _source(train, test, names, vocabulary,
                           f"LibriSpeech-style folder {source}", dropped)
        pairs, description = data.read_librispeech(source), f"LibriSpeech-style folder {source}"
    else:
        raise UsageError(
            f"--data {source!r} is not speech data for --task asr: give "
            f"{' or '.join(BUILT_IN)}, a .csv manifest (path,transcript) or a "
            "LibriSpeech-style folder")
    return _split(pairs, description, vocabulary, sample_rate, max_seconds, num_train,
                  num_test, seed)


def _split(pairs, description, vocabulary, sample_rate, max_seconds, num_train, num_test,
           seed):
    """Shuffles `(path, transcript)` pairs with `seed`, then cuts test and train."""
    pairs, too_long = _fitting(pairs, max_seconds)
    order = np.random.default_rng(seed).permutation(len(pairs))
    pairs = [pairs[i] for i in order]
    count = num_test if num_test is not None else max(1, round(TEST_FRACTION * len(pairs)))
    if len(pairs) < count + 1:
        raise UsageError(
            f"--data {description}: {len(pairs)} clip(s) of at most {max_seconds:g} s "
            f"({too_long} longer dropped); need at least {count + 1} (one to train, "
            f"{count} to test)")
    test, train = pairs[:count], pairs[count:]
    if num_train is not None:
        train = train[:num_train]
    from keras_transfer.data import load_transcribed_audio

    return _source(load_transcribed_audio(train, sample_rate, max_seconds),
                   load_transcribed_audio(test, sample_rate, max_seconds),
                   [os.path.basename(path) for path, _ in test], vocabulary, description,
                   {"too_long": too_long})


def _load(pairs, sample_rate, max_seconds, limit, seed):
    """A split of its own: clips that fit, at most `limit` (drawn with `seed`)."""
    from keras_transfer.data import load_transcribed_audio

    pairs, too_long = _fitting(pairs, max_seconds)
    if limit is not None and limit < len(pairs):
        pick = np.random.default_rng(seed).choice(len(pairs), limit, replace=False)
        pairs = [pairs[i] for i in sorted(pick)]
    return (load_transcribed_audio(pairs, sample_rate, max_seconds),
            [os.path.basename(path) for path, _ in pairs], too_long)


def _fitting(pairs, max_seconds):
    """The pairs whose WAV lasts at most `max_seconds` (headers only), and how many did not."""
    from keras_transfer.data.audio import inspect_wav

    kept = [(path, text) for path, text in pairs
            if inspect_wav(path)["duration"] <= max_seconds]
    return kept, len(pairs) - len(kept)


def _source(train, test, test_names, vocabulary, description, dropped):
    """Normalizes the transcripts and drops those with no character of the vocabulary."""
    if test_names is None:
        test_names = [f"test clip {i}" for i in range(len(test[1]))]
    splits = []
    for name, (audio, texts) in (("train", train), ("test", test)):
        texts = [vocabulary.normalize(text) for text in texts]
        keep = [i for i, text in enumerate(texts) if text]
        if len(keep) < len(texts):
            dropped[f"{name}_empty_transcript"] = len(texts) - len(keep)
        if not keep:
            raise UsageError(f"the {name} split holds no clip with a transcript in the "
                             f"vocabulary {vocabulary.characters!r}")
        splits.append(([audio[i] for i in keep], [texts[i] for i in keep], keep))
    (train_audio, train_texts, _), (test_audio, test_texts, kept) = splits
    return SpeechSource(train_audio, train_texts, test_audio, test_texts,
                        [test_names[i] for i in kept],
                        f"{description}: {len(train_texts)} train / {len(test_texts)} test "
                        "clips", {k: v for k, v in dropped.items() if v})
