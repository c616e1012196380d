"""Tests of the espeak-ng spoken words generator."""

import time

import numpy as np
import pytest

from keras_transfer.data.datasets import spoken_words
from keras_transfer.data.datasets.spoken_words import load_spoken_words

needs_espeak = pytest.mark.usefixtures("espeak_ng")  # tests/conftest.py


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_TRANSFER_HOME", str(tmp_path))
    return tmp_path


def test_speakers_are_disjoint():
    train, test = spoken_words.speakers("train"), spoken_words.speakers("test")
    assert len(train) == 78 and len(test) == 26
    assert not set(train) & set(test)


@needs_espeak
def test_small_generation_is_audible_distinct_and_deterministic(cache):
    split = load_spoken_words("train", words=("yes", "no"),
                              examples_per_word=3, seed=0)
    assert split.x.shape == (6, 16000) and split.x.dtype == np.float32
    assert split.class_names == ("yes", "no")
    assert split.class_counts() == {"yes": 3, "no": 3}
    peaks = np.abs(split.x).max(axis=1)
    assert peaks.min() >= 0.3 - 1e-6 and peaks.max() <= 0.9 + 1e-6
    rms = np.sqrt(np.mean(split.x**2, axis=1))
    assert rms.min() > 0.01  # not silent
    for i in range(6):
        for j in range(i + 1, 6):
            assert np.abs(split.x[i] - split.x[j]).max() > 0.1
    # Same result when generated again from scratch (no cache).
    for path in (cache / "datasets").glob("*.npz"):
        path.unlink()
    again = load_spoken_words("train", words=("yes", "no"),
                              examples_per_word=3, seed=0)
    np.testing.assert_array_equal(split.x, again.x)
    np.testing.assert_array_equal(split.y, again.y)


@needs_espeak
def test_noise_at_requested_snr(cache):
    clean = load_spoken_words("test", words=("up", "down"),
                              examples_per_word=2)
    noisy = load_spoken_words("test", words=("up", "down"),
                              examples_per_word=2, snr_db=10.0)
    silent = np.abs(clean.x[0]) == 0  # padding around the word
    noise = noisy.x[0] - clean.x[0]
    speech = clean.x[0][~silent]
    snr = 10 * np.log10(np.mean(speech**2) / np.mean(noise**2))
    assert snr == pytest.approx(10.0, abs=0.5)


def test_missing_espeak_says_how_to_install(monkeypatch):
    monkeypatch.setattr(spoken_words.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match=r"sudo apt-get install espeak-ng"):
        load_spoken_words()


def test_invalid_arguments():
    with pytest.raises(ValueError, match=r"Received: words='yes'"):
        load_spoken_words(words="yes")
    with pytest.raises(ValueError, match=r"Received: words=\('yes', '-v'\)"):
        load_spoken_words(words=("yes", "-v"))
    with pytest.raises(ValueError, match=r"examples_per_word=0"):
        load_spoken_words(examples_per_word=0)


@pytest.mark.large
@needs_espeak
def test_default_digits_ten_by_forty(cache):
    start = time.perf_counter()
    split = load_spoken_words("train")
    elapsed = time.perf_counter() - start
    assert split.x.shape == (400, 16000)
    assert set(split.class_counts().values()) == {40}
    assert len({x.tobytes() for x in split.x}) == 400
    assert elapsed < 60
