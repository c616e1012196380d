"""Spoken commands in noise, synthesized offline with espeak-ng.

A harder sibling of `spoken_words`, modelled on the Speech Commands
vocabulary: 35 words, many of them short and alike ("on"/"off"/"one",
"bed"/"bird", "tree"/"three", "follow"/"forward"), said by espeak-ng voices
(8 English accents x 54 voice variants) at a random speed (110-230 words per
minute), base pitch (10-90), loudness and position, then sped up or slowed
down by resampling (x0.91-x1.09, which shifts pitch and formants together,
like the speed perturbation used on real corpora), and mixed with noise at a
random 0-10 dB signal-to-noise ratio: white noise or babble (3 to 6
overlapping sentences from other voices).

Voices, not only accent/voice pairs, are disjoint between the splits: of
the 54 variants, 30 speak the training words, 14 the test words, 5 make the
training babble and 5 the test babble. So test accuracy measures
generalisation to unheard voices in unheard background voices, and no
babble speaker ever says a command. The babble sentences contain none of
the command words.

Generation is deterministic for a given seed and espeak-ng version; the
result is cached as `.npz` under `<cache>/datasets/`.
"""

import concurrent.futures
import logging
import os
import time

import numpy as np

from keras_transfer.data.array_split import ArraySplit
from keras_transfer.data.datasets.common import cached_arrays
from keras_transfer.data.datasets.common import check_num_examples
from keras_transfer.data.datasets.common import check_split
from keras_transfer.data.datasets.common import stratified_sample
from keras_transfer.data.datasets.spoken_words import ACCENTS
from keras_transfer.data.datasets.spoken_words import SAMPLE_RATE
from keras_transfer.data.datasets.spoken_words import _check_words
from keras_transfer.data.datasets.spoken_words import _espeak_version
from keras_transfer.data.datasets.spoken_words import _synthesize
from keras_transfer.data.datasets.spoken_words import _trim_silence
from keras_transfer.data.datasets.spoken_words import espeak_binary
from keras_transfer.utils.argument_validation import check_int
from keras_transfer.utils.argument_validation import check_number
from keras_transfer.utils.argument_validation import check_one_of

logger = logging.getLogger(__name__)

COMMANDS = (
    "yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go",
    "zero", "one", "two", "three", "four",
    "five", "six", "seven", "eight", "nine",
    "bed", "bird", "cat", "dog", "happy", "house", "marvin", "sheila",
    "tree", "wow", "forward", "backward", "follow", "learn", "visual",
)
# espeak-ng voice variants (files in espeak-ng-data/voices/!v/) that sound
# human; robots, whisper, croak and novelty voices are left out.
VOICES = (
    "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8",
    "f1", "f2", "f3", "f4", "f5",
    "Alex", "Alicia", "Andrea", "Andy", "Annie", "antonio", "aunty",
    "belinda", "benjamin", "boris", "caleb", "david", "Denis", "ed",
    "edward", "Gene", "gustave", "Henrique", "Hugo", "iven", "john", "Lee",
    "linda", "max", "Michael", "Mike", "norbert", "pablo", "paul", "quincy",
    "rob", "robert", "sandro", "shelby", "steph", "travis", "victor", "zac",
    "anika", "grandma", "grandpa",
)
# Sentences the babble is made of; none contains a command word.
BABBLE_SENTENCES = (
    "the weather was much nicer than we expected this morning",
    "could you pass me that cup from the kitchen table",
    "we should meet again sometime later this week",
    "my brother bought a new car with a red roof",
    "the train was late because of the snow",
    "she told me about the film they watched",
    "there is a small shop behind the station",
    "I think the meeting will take about an hour",
    "they painted the walls a pale shade of green",
    "please remember to close the window tonight",
    "the children played in the garden until dinner",
    "he forgot his keys at the office again",
    "our neighbours are moving to a bigger town",
    "the museum opens at ten in summer",
    "I would like a coffee with milk and sugar",
    "the river was calm and the boats were still",
    "we walked along the beach for a while",
    "a letter arrived for you this afternoon",
    "the price of bread has risen again",
    "she plays the piano every evening",
    "the teacher asked a difficult question",
    "can you believe how quickly the year has passed",
    "the library keeps old maps of the city",
    "they are planning a party for her birthday",
    "the soup needs a little more salt",
    "I met an old friend at the market",
    "the phone rang while I was cooking",
    "this road leads to the village church",
    "the team lost the match by a single point",
    "we need some paper and a pencil",
    "the garden looks lovely after the rain",
    "he reads the paper with breakfast",
)
DEFAULT_EXAMPLES_PER_WORD = {"train": 40, "test": 20}
NOISES = ("mixed", "white", "babble")
# Voices per group, in this order, after a fixed shuffle of VOICES.
_GROUPS = {"test": 14, "babble_train": 5, "babble_test": 5}
_PARTITION_SEED = 13
# Speed perturbation: the 22,050 Hz synthesis is read as if recorded at one
# of these rates before resampling to 16 kHz (x0.91 ... x1.09).
_PERTURB_RATES = (20000, 21000, 22050, 23000, 24000)
_BANK_SIZE = 48
_PEAK = 0.99


def speakers(group):
    """Returns the `(accent, voice)` speakers of a group, in a fixed order.

    The 54 voices are shuffled once with a fixed seed and cut into four
    disjoint groups; every group speaks with all 8 accents.

    Args:
        group: str. `"train"` (30 voices, 240 speakers), `"test"` (14, 112),
            `"babble_train"` or `"babble_test"` (5, 40 each): the voices
            whose sentences make the babble of that split.

    Returns:
        list of `(accent, voice)` tuples.

    Raises:
        ValueError: if `group` is not one of the four groups.
    """
    check_one_of(group, "group", ("train", "test", "babble_train", "babble_test"))
    order = np.random.RandomState(_PARTITION_SEED).permutation(len(VOICES))
    voices, start = {}, 0
    for name, size in _GROUPS.items():
        voices[name] = order[start: start + size]
        start += size
    voices["train"] = order[start:]
    return [(a, VOICES[v]) for v in sorted(voices[group]) for a in ACCENTS]


def load_spoken_commands(
    split="train",
    num_examples=None,
    seed=0,
    noise="mixed",
    snr_db=(0.0, 10.0),
    words=COMMANDS,
    examples_per_word=None,
):
    """Synthesizes (or loads from the cache) noisy one-second spoken commands.

    Needs the `espeak-ng` program (Debian/Ubuntu package `espeak-ng`). Each
    clip: one word by one speaker of the split (see `speakers`), trimmed of
    silence, speed-perturbed and resampled to 16 kHz, scaled to a peak of
    0.25-0.6, placed at a random offset in 16,000 zero samples (words longer
    than one second are cut), plus noise. The signal-to-noise ratio compares
    the power of the spoken part with the power of the noise over the whole
    second. Babble is the sum of 3 to 6 one-second windows, each at its own
    level (0.5-1 x unit RMS), taken from a bank of 48 sentences said by the
    split's babble voices. A clip whose peak would pass 0.99 is scaled down
    as a whole, which keeps its SNR. The default 1,400 training clips take
    about a minute on two CPU cores the first time (1.3 s of audio synthesized
    per clip plus babble), and a second from the cache (90 MB).

    Args:
        split: str. `"train"` or `"test"`; the two use disjoint voices.
            Defaults to `"train"`.
        num_examples: int. Return a stratified random subset of this many
            clips (drawn with `seed`) from the generated split. Defaults to
            `None` (all of it).
        seed: int. Draws speakers, speeds, pitches, levels, offsets, noise
            and the subset. Defaults to `0`.
        noise: str or None. `"mixed"` (each clip white or babble with equal
            odds), `"white"`, `"babble"`, or `None` for clean clips; the
            clean part of every clip is the same whatever `noise` is.
            Defaults to `"mixed"`.
        snr_db: float or `(low, high)` pair. A fixed signal-to-noise ratio
            in dB, or a range each clip draws its own from, uniformly.
            Defaults to `(0.0, 10.0)`.
        words: tuple of str. The words, one class each, in class order.
            Defaults to the 35 `COMMANDS`.
        examples_per_word: int. Clips generated per word. Defaults to
            `None`: 40 for `"train"`, 20 for `"test"`.

    Returns:
        `keras_transfer.data.ArraySplit` with `x` float32 of shape
        `(n, 16000)` in [-1, 1], `y` int32 word indices and
        `class_names == tuple(words)`.

    Raises:
        ValueError: if an argument is invalid.
        RuntimeError: if espeak-ng is missing or fails.

    Example:

    ```python
    split = keras_transfer.data.load_dataset(
        "spoken_commands", split="test", num_examples=350)
    ds = keras_transfer.data.from_arrays(*split, batch_size=32)
    ```
    """
    check_split("spoken_commands", split)
    words = _check_words(words)
    if examples_per_word is None:
        examples_per_word = DEFAULT_EXAMPLES_PER_WORD[split]
    check_int(examples_per_word, "examples_per_word", minimum=1)
    check_int(seed, "seed", minimum=0)
    if noise is not None:
        check_one_of(noise, "noise", NOISES)
    snr_range = _check_snr(snr_db)
    num_examples = check_num_examples(
        num_examples, len(words) * int(examples_per_word), split
    )
    binary = espeak_binary()
    version = _espeak_version(binary)

    def build():
        arrays = _generate(binary, split, words, int(examples_per_word),
                           int(seed), noise, snr_range)
        return {"x": arrays["x"], "y": arrays["y"]}

    arrays = cached_arrays(
        "spoken_commands",
        {"split": split, "words": list(words),
         "examples_per_word": int(examples_per_word), "seed": int(seed),
         "noise": noise, "snr_db": list(snr_range), "espeak": version,
         "version": 1},
        build,
    )
    x, y = arrays["x"], arrays["y"].astype(np.int32)
    if num_examples < len(y):
        index = stratified_sample(y, num_examples, seed)
        x, y = x[index], y[index]
    return ArraySplit(x, y, words)


def _check_snr(snr_db):
    """Returns `(low, high)` floats from a number or a pair."""
    if isinstance(snr_db, (tuple, list)) and len(snr_db) == 2:
        low, high = snr_db
    else:
        low = high = snr_db
    try:
        check_number(low, "snr_db", -30, 60, finite=True)
        check_number(high, "snr_db", -30, 60, finite=True)
        if low > high:
            raise ValueError
    except ValueError:
        raise ValueError(
            "`snr_db` must be a number or a (low, high) pair with "
            f"-30 <= low <= high <= 60. Received: snr_db={snr_db!r}"
        ) from None
    return float(low), float(high)


def _generate(binary, split, words, per_word, seed, noise, snr_range,
              voices=None, bank_size=_BANK_SIZE):
    """Builds one split; returns the mixture and its parts, shuffled.

    Returns a dict: `x` (mixtures), `y`, `clean` and `noise` (the two
    components before the common peak scaling `gain`), `snr_db` (the
    requested ratio per clip), `kind` (0 none, 1 white, 2 babble),
    `start`/`length` (where the spoken part lies), `speaker` (index into
    `voices["speech"]`), `babble_speakers` (indices into `voices["babble"]`
    of the bank sentences mixed in, -1 padded) and the two speaker lists.
    `voices` overrides the speaker lists (tests use a few voices).
    """
    from keras_transfer.data.audio import resample

    start_time = time.perf_counter()
    if voices is None:
        voices = {"speech": speakers(split), "babble": speakers(f"babble_{split}")}
    speech_pool, babble_pool = voices["speech"], voices["babble"]
    rng = np.random.default_rng([seed, 0 if split == "train" else 1, 35])
    n = len(words) * per_word
    labels = np.repeat(np.arange(len(words), dtype=np.int32), per_word)
    # Every draw happens whatever `noise` is, so the clean part of a clip
    # does not depend on the noise settings.
    who = rng.integers(len(speech_pool), size=n)
    speeds = rng.integers(110, 231, size=n)
    pitches = rng.integers(10, 91, size=n)
    rates = rng.choice(_PERTURB_RATES, size=n)
    peaks = rng.uniform(0.25, 0.6, size=n)
    places = rng.uniform(size=n)
    babble = rng.integers(2, size=n).astype(bool)
    snrs = rng.uniform(*snr_range, size=n)
    noise_seeds = rng.integers(2**31, size=n)
    bank_who = rng.integers(len(babble_pool), size=bank_size)
    bank_text = rng.integers(len(BABBLE_SENTENCES), size=bank_size)
    bank_speeds = rng.integers(140, 221, size=bank_size)
    bank_pitches = rng.integers(10, 91, size=bank_size)
    order = rng.permutation(n)

    if noise is None:
        kinds = np.zeros(n, np.int8)
    elif noise == "mixed":
        kinds = np.where(babble, 2, 1).astype(np.int8)
    else:
        kinds = np.full(n, 1 if noise == "white" else 2, np.int8)
    need_bank = bool((kinds == 2).any())

    jobs = [(words[labels[i]], *speech_pool[who[i]], int(speeds[i]),
             int(pitches[i])) for i in range(n)]
    if need_bank:
        jobs += [(BABBLE_SENTENCES[bank_text[j]], *babble_pool[bank_who[j]],
                  int(bank_speeds[j]), int(bank_pitches[j]))
                 for j in range(bank_size)]
    workers = min(8, os.cpu_count() or 1)
    with concurrent.futures.ThreadPoolExecutor(workers) as executor:
        results = list(executor.map(lambda job: _synthesize(binary, *job), jobs))
    rate = results[0][1]
    clips = [_trim_silence(s.astype(np.float32) / 32768.0) for s, _ in results]

    # Speed perturbation: read each clip at its drawn rate, resample to 16 kHz.
    spoken = [None] * n
    for read_rate in _PERTURB_RATES:
        members = np.flatnonzero(rates == read_rate)
        if len(members):
            resampled = _resample_batch([clips[i] for i in members],
                                        int(read_rate * rate / 22050), resample)
            for i, clip in zip(members, resampled):
                spoken[i] = clip[:SAMPLE_RATE]
    bank = (_resample_batch(clips[n:], rate, resample) if need_bank else [])

    clean = np.zeros((n, SAMPLE_RATE), np.float32)
    noise_part = np.zeros((n, SAMPLE_RATE), np.float32)
    babble_speakers = np.full((n, 6), -1, np.int32)
    starts = np.zeros(n, np.int32)
    lengths = np.zeros(n, np.int32)
    for i, clip in enumerate(spoken):
        clip = clip * (peaks[i] / max(np.abs(clip).max(), 1e-6))
        starts[i] = int(places[i] * (SAMPLE_RATE - len(clip)))
        lengths[i] = len(clip)
        clean[i, starts[i]: starts[i] + len(clip)] = clip
        if kinds[i] == 0:
            continue
        noise_rng = np.random.default_rng(noise_seeds[i])
        if kinds[i] == 1:
            raw = noise_rng.standard_normal(SAMPLE_RATE)
        else:
            raw, used = _babble(bank, noise_rng)
            babble_speakers[i, : len(used)] = bank_who[used]
        speech_power = float(np.mean(clip.astype(np.float64) ** 2))
        target = speech_power / 10 ** (snrs[i] / 10)
        noise_part[i] = raw * np.sqrt(target / np.mean(raw**2))
    mixture = clean + noise_part
    gain = np.minimum(1.0, _PEAK / np.maximum(np.abs(mixture).max(axis=1), 1e-6))
    x = (mixture * gain[:, None]).astype(np.float32)
    logger.info(
        "Synthesized %d spoken commands (%s split, noise=%s) in %.1f s",
        n, split, noise, time.perf_counter() - start_time,
    )
    return {
        "x": x[order], "y": labels[order], "clean": clean[order],
        "noise": noise_part[order], "gain": gain[order].astype(np.float32),
        "snr_db": np.where(kinds > 0, snrs, np.inf)[order],
        "kind": kinds[order], "start": starts[order], "length": lengths[order],
        "speaker": who[order], "babble_speakers": babble_speakers[order],
        "speech_pool": speech_pool, "babble_pool": babble_pool,
    }


def _resample_batch(clips, rate_in, resample):
    """Resamples clips of different lengths to 16 kHz in one batch."""
    padded = np.zeros((len(clips), max(len(c) for c in clips)), np.float32)
    for i, clip in enumerate(clips):
        padded[i, : len(clip)] = clip
    if rate_in != SAMPLE_RATE:
        padded = resample(padded, rate_in, SAMPLE_RATE).numpy()
    return [padded[i, : -(-len(c) * SAMPLE_RATE // rate_in)]
            for i, c in enumerate(clips)]


def _babble(bank, rng):
    """Sums 3 to 6 one-second windows of distinct bank sentences.

    Each window is scaled to unit RMS over the whole sentence, then by a level
    drawn in [0.5, 1]; sentences shorter than a second are repeated.

    Returns:
        `(float64 array of 16,000 samples, int array of the bank indices)`.
    """
    used = rng.choice(len(bank), size=min(rng.integers(3, 7), len(bank)),
                      replace=False)
    total = np.zeros(SAMPLE_RATE)
    for j in used:
        sentence = bank[j].astype(np.float64)
        sentence = sentence / max(np.sqrt(np.mean(sentence**2)), 1e-9)
        if len(sentence) < SAMPLE_RATE:
            sentence = np.tile(sentence, -(-SAMPLE_RATE // len(sentence)))
        start = rng.integers(len(sentence) - SAMPLE_RATE + 1)
        total += rng.uniform(0.5, 1.0) * sentence[start: start + SAMPLE_RATE]
    return total, used
