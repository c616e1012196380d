"""`fit --task asr --data ...`: the sources, splits and drops, on tiny WAV files."""

import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.cli.errors import UsageError
from keras_transfer.cli.speech_data import load_speech_source
from keras_transfer.speech.character_vocabulary import CharacterVocabulary


def write_wav(path, seconds, rate=16000, frequency=300.0):
    t = np.arange(int(seconds * rate)) / rate
    audio = (0.3 * np.sin(2 * np.pi * frequency * t)).astype("float32")[:, None]
    path.write_bytes(tf.audio.encode_wav(audio, rate).numpy())


def librispeech_folder(root, speaker, texts, seconds=0.2):
    chapter = root / str(speaker) / "1"
    chapter.mkdir(parents=True)
    lines = []
    for i, text in enumerate(texts):
        utterance = f"{speaker}-1-{i:04d}"
        write_wav(chapter / f"{utterance}.wav", seconds[i] if isinstance(seconds, list)
                  else seconds)
        lines.append(f"{utterance} {text}")
    (chapter / f"{speaker}-1.trans.txt").write_text("\n".join(lines) + "\n")


def test_librispeech_folder_with_train_and_test(tmp_path):
    librispeech_folder(tmp_path / "train", 11, ["HELLO THERE", "GOOD-BYE", "YES"],
                       seconds=[0.2, 0.2, 1.5])
    librispeech_folder(tmp_path / "test", 12, ["NO WAY", "1 2 3"])
    source = load_speech_source(str(tmp_path), CharacterVocabulary(), max_seconds=1.0)
    assert source.train_texts == ["hello there", "good bye"]
    assert source.test_texts == ["no way"]
    assert source.test_names == ["12-1-0000.wav"]
    assert source.dropped == {"train_too_long": 1, "test_empty_transcript": 1}
    assert [len(w) for w in source.test_audio] == [3200]
    assert source.test_audio[0].dtype == np.float32


def test_csv_manifest_is_shuffled_then_split(tmp_path):
    rows = ["path,transcript"]
    for i in range(6):
        write_wav(tmp_path / f"{i}.wav", 0.1, rate=8000)  # resampled to 16 kHz
        rows.append(f"{i}.wav,clip {'abcdef'[i]}")
    (tmp_path / "speech.csv").write_text("\n".join(rows) + "\n")
    vocabulary = CharacterVocabulary()
    source = load_speech_source(str(tmp_path / "speech.csv"), vocabulary, 1.0, num_test=2,
                                seed=3)
    again = load_speech_source(str(tmp_path / "speech.csv"), vocabulary, 1.0, num_test=2,
                               seed=3)
    assert source.test_texts == again.test_texts and len(source.test_texts) == 2
    assert sorted(source.train_texts + source.test_texts) == [f"clip {c}" for c in "abcdef"]
    assert source.test_names == [f"{'abcdef'.index(t[-1])}.wav" for t in source.test_texts]
    assert {len(w) for w in source.train_audio} == {1600}
    limited = load_speech_source(str(tmp_path / "speech.csv"), vocabulary, 1.0, num_train=1)
    assert len(limited.train_texts) == 1 and len(limited.test_texts) == 1  # a fifth of 6
    with pytest.raises(UsageError, match=r"6 clip\(s\) of at most 1 s \(0 longer dropped\); "
                                         r"need at least 7"):
        load_speech_source(str(tmp_path / "speech.csv"), vocabulary, 1.0, num_test=6)


def test_unknown_sources(tmp_path):
    vocabulary = CharacterVocabulary()
    with pytest.raises(UsageError, match="is not speech data for --task asr"):
        load_speech_source("rotten_tomatoes", vocabulary, 8.0)
    with pytest.raises(UsageError, match="no such CSV manifest"):
        load_speech_source(str(tmp_path / "missing.csv"), vocabulary, 8.0)
    with pytest.raises(FileNotFoundError):
        load_speech_source(str(tmp_path), vocabulary, 8.0)  # a folder without transcripts
