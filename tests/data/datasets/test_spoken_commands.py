"""Tests of the noisy spoken commands generator (espeak-ng)."""

import re
import shutil
import subprocess
import time

import numpy as np
import pytest

from keras_transfer.data.datasets import spoken_commands
from keras_transfer.data.datasets.spoken_commands import COMMANDS
from keras_transfer.data.datasets.spoken_commands import load_spoken_commands

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None,
    reason="sudo apt-get install espeak-ng",
)
WORDS = ("yes", "no", "up")
GROUPS = ("train", "test", "babble_train", "babble_test")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_TRANSFER_HOME", str(tmp_path))
    return tmp_path


def _voices(group):
    return {voice for _, voice in spoken_commands.speakers(group)}


def _generate(split, noise="mixed", snr_db=(0.0, 10.0), seed=0):
    """3 words x 4 clips with a bank of 6 babble sentences: about a second."""
    return spoken_commands._generate(
        spoken_commands.espeak_binary(), split, WORDS, 4, seed, noise,
        snr_db, bank_size=6)


def test_vocabulary_has_35_distinct_words_absent_from_the_babble():
    assert len(COMMANDS) == 35 and len(set(COMMANDS)) == 35
    for sentence in spoken_commands.BABBLE_SENTENCES:
        assert not set(sentence.split()) & set(COMMANDS), sentence


def test_voice_groups_are_disjoint_and_cover_every_voice():
    sizes = {g: len(_voices(g)) for g in GROUPS}
    assert sizes == {"train": 30, "test": 14, "babble_train": 5,
                     "babble_test": 5}
    union = set().union(*(_voices(g) for g in GROUPS))
    assert union == set(spoken_commands.VOICES)  # so pairwise disjoint
    assert len(spoken_commands.speakers("train")) == 240
    assert len(spoken_commands.speakers("test")) == 112
    with pytest.raises(ValueError, match=r"Received: group='babble'"):
        spoken_commands.speakers("babble")


@needs_espeak
def test_every_voice_is_installed():
    # espeak-ng silently falls back to its default voice for an unknown
    # variant, so a typo would quietly merge speakers.
    listing = subprocess.run(["espeak-ng", "--voices=variant"],
                             capture_output=True, text=True).stdout
    installed = set(re.findall(r"!v/(\S+)", listing))
    assert set(spoken_commands.VOICES) <= installed


@needs_espeak
@pytest.mark.parametrize("split", ["train", "test"])
def test_parts_snr_and_babble_speakers(split):
    parts = _generate(split)
    n = len(WORDS) * 4
    assert parts["x"].shape == (n, 16000) and parts["x"].dtype == np.float32
    np.testing.assert_array_equal(np.bincount(parts["y"]), [4, 4, 4])
    assert set(parts["kind"]) == {1, 2}  # white and babble both present
    # SNR measured from the two components, against the per-clip request.
    for i in range(n):
        start, length = parts["start"][i], parts["length"][i]
        speech = parts["clean"][i, start: start + length].astype(np.float64)
        assert np.abs(parts["clean"][i, :start]).max(initial=0) == 0
        noise = parts["noise"][i].astype(np.float64)
        snr = 10 * np.log10(np.mean(speech**2) / np.mean(noise**2))
        assert 0.0 <= parts["snr_db"][i] <= 10.0
        assert snr == pytest.approx(parts["snr_db"][i], abs=0.5)
    # The mixture is the sum, scaled down only to keep the peak <= 0.99.
    np.testing.assert_allclose(
        parts["x"], (parts["clean"] + parts["noise"]) * parts["gain"][:, None],
        atol=1e-6)
    assert np.abs(parts["x"]).max() <= 0.99 + 1e-6
    assert parts["gain"].max() <= 1.0
    # Speech from the split's voices; babble from 3-6 sentences of the
    # split's babble voices, none of which speaks in either split.
    assert parts["speech_pool"] == spoken_commands.speakers(split)
    assert parts["babble_pool"] == spoken_commands.speakers(f"babble_{split}")
    babble_voices = {parts["babble_pool"][j][1]
                     for j in parts["babble_speakers"].ravel() if j >= 0}
    assert babble_voices
    assert not babble_voices & (_voices("train") | _voices("test"))
    counts = (parts["babble_speakers"] >= 0).sum(axis=1)
    assert set(counts[parts["kind"] == 2]) <= {3, 4, 5, 6}
    assert set(counts[parts["kind"] == 1]) == {0}


@needs_espeak
def test_clean_part_does_not_depend_on_noise_and_white_is_fixed_snr():
    mixed = _generate("test")
    clean = _generate("test", noise=None)
    white = _generate("test", noise="white", snr_db=(3.0, 3.0))
    np.testing.assert_array_equal(mixed["clean"], clean["clean"])
    np.testing.assert_array_equal(clean["x"], clean["clean"])
    assert set(white["kind"]) == {1}
    np.testing.assert_array_equal(white["snr_db"], 3.0)


@needs_espeak
def test_loader_is_deterministic_cached_and_subsamples(cache):
    options = dict(words=WORDS, examples_per_word=4, snr_db=5.0)
    split = load_spoken_commands("train", seed=0, **options)
    assert split.x.shape == (12, 16000) and split.x.dtype == np.float32
    assert split.y.dtype == np.int32 and split.class_names == WORDS
    assert split.class_counts() == {"yes": 4, "no": 4, "up": 4}
    files = list((cache / "datasets").glob("spoken_commands-*.npz"))
    assert len(files) == 1
    files[0].unlink()
    again = load_spoken_commands("train", seed=0, **options)
    np.testing.assert_array_equal(split.x, again.x)
    np.testing.assert_array_equal(split.y, again.y)
    other = load_spoken_commands("train", seed=1, **options)
    assert np.abs(other.x - split.x).max() > 0.1
    subset = load_spoken_commands("train", seed=0, num_examples=6, **options)
    assert subset.class_counts() == {"yes": 2, "no": 2, "up": 2}
    rows = {row.tobytes() for row in split.x}
    assert all(row.tobytes() in rows for row in subset.x)


def test_invalid_arguments_name_the_argument():
    with pytest.raises(ValueError, match=r"Received: noise='pink'"):
        load_spoken_commands(noise="pink")
    with pytest.raises(ValueError, match=r"Received: snr_db=\(10, 0\)"):
        load_spoken_commands(snr_db=(10, 0))
    with pytest.raises(ValueError, match=r"Received: snr_db='loud'"):
        load_spoken_commands(snr_db="loud")
    with pytest.raises(ValueError, match=r"examples_per_word=0"):
        load_spoken_commands(examples_per_word=0)
    with pytest.raises(ValueError, match=r"holds 700 examples.*"
                       r"num_examples=701"):
        load_spoken_commands("test", num_examples=701)


def test_missing_espeak_says_how_to_install(monkeypatch):
    from keras_transfer.data.datasets import spoken_words

    monkeypatch.setattr(spoken_words.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match=r"sudo apt-get install espeak-ng"):
        load_spoken_commands()


def test_cli_lists_it(capsys):
    from keras_transfer.cli.main import main

    assert main(["datasets"]) == 0
    assert "spoken_commands" in capsys.readouterr().out


@pytest.mark.large
@needs_espeak
def test_default_train_split_size_and_time(cache):
    start = time.perf_counter()
    split = load_spoken_commands("train")
    elapsed = time.perf_counter() - start
    assert split.x.shape == (1400, 16000)
    assert set(split.class_counts().values()) == {40}
    assert len({x.tobytes() for x in split.x}) == 1400
    assert elapsed < 180
