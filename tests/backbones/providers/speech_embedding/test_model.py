"""Tests for speech_embedding/model.py.

The Keras twins against the TFLite interpreter.
"""

import subprocess

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.backbones.providers.speech_embedding.config import (
    MIN_SAMPLES, PCM_SCALE)
from keras_transfer.backbones.providers.speech_embedding.model import (
    build_embedding_model, build_melspectrogram_model)
from keras_transfer.backbones.providers.speech_embedding.verify import (
    known_answer_audio, tflite_pipeline)


TOLERANCE = 1e-4


def _max_diff(a, b):
    return float(np.abs(np.asarray(a) - np.asarray(b)).max())


def test_melspectrogram_matches_tflite(clips, references):
    mel_model = build_melspectrogram_model()
    mel = np.asarray(mel_model(clips * PCM_SCALE))
    # (24000 - 512) // 160 + 1 frames of 32 mel bins, in dB.
    assert mel.shape == (2, 147, 32)
    for i, ref in enumerate(references):
        assert ref["melspectrogram"].shape == (147, 32)
        assert _max_diff(mel[i], ref["melspectrogram"]) <= TOLERANCE
    # Real dB values, not a degenerate all-floor output.
    assert mel[0].max() > 90.0 and mel[0].min() < mel[0].max() - 20.0
    # Per-example top_db clip: each example's floor is its own max - 80.
    for i in range(2):
        assert mel[i].min() >= mel[i].max() - 80.0 - 1e-3


def test_embedding_matches_tflite(references):
    embedding_model = build_embedding_model()
    windows = np.concatenate([ref["windows"] for ref in references])
    expected = np.concatenate([ref["sequence_output"] for ref in references])
    assert windows.shape == (2 * 9, 76, 32, 1)
    emb = np.asarray(embedding_model(windows))
    assert emb.shape == (18, 96)
    assert _max_diff(emb, expected) <= TOLERANCE
    assert np.abs(expected).max() > 10.0


def test_end_to_end_matches_tflite_pipeline(model, clips, references):
    seq = np.asarray(model(clips))
    # (24000 - 12512) // 1280 + 1 windows, one every 80 ms.
    assert seq.shape == (2, 9, 96)
    for i, ref in enumerate(references):
        assert _max_diff(seq[i], ref["sequence_output"]) <= TOLERANCE
    # The two clips are different audio: their embeddings must differ.
    assert _max_diff(seq[0], seq[1]) > 1.0


@pytest.mark.usefixtures("espeak_ng")  # tests/conftest.py
def test_spoken_word_matches_tflite(model, tmp_path):
    from scipy.io import wavfile
    from scipy.signal import resample_poly

    wav = tmp_path / "word.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), "hey computer"], check=True)
    rate, pcm = wavfile.read(wav)
    assert rate == 22050
    audio = resample_poly(pcm.astype(np.float64), 320, 441)  # 22050 -> 16000
    audio = np.clip(np.round(audio), -32768, 32767) / PCM_SCALE
    audio = np.pad(audio, (0, max(0, MIN_SAMPLES - len(audio))))
    audio = audio.astype(np.float32)
    ref = tflite_pipeline(audio)
    mel = np.asarray(build_melspectrogram_model()(audio[None] * PCM_SCALE))
    assert _max_diff(mel[0], ref["melspectrogram"]) <= TOLERANCE
    seq = np.asarray(model(audio[None]))[0]
    assert seq.shape == ref["sequence_output"].shape
    assert _max_diff(seq, ref["sequence_output"]) <= TOLERANCE


def test_variable_paths_read_input_to_output(model):
    paths = [v.path for v in model.variables]
    assert paths[:4] == [
        "melspectrogram/dft_kernel", "melspectrogram/mel_matrix",
        "conv_block_0_conv_0/kernel", "conv_block_0_conv_0/bias",
    ]
    assert paths[-4:] == [
        "conv_block_4_conv_3/kernel", "conv_block_4_conv_3/bias",
        "head_conv/kernel", "head_conv/bias",
    ]
    trainable = [v.path for v in model.trainable_variables]
    assert len(trainable) == 40
    assert not any(p.startswith("melspectrogram/") for p in trainable)
    assert sum(int(np.prod(v.shape)) for v in model.trainable_variables) == 328_224


def test_embedding_is_differentiable(model):
    waveform = tf.Variable(known_answer_audio(seconds=0.8)[None])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(waveform))
    grads = tape.gradient(loss, [waveform] + model.trainable_variables)
    assert all(g is not None for g in grads)
    assert all(bool(tf.reduce_all(tf.math.is_finite(g))) for g in grads)
    assert float(tf.reduce_max(tf.abs(grads[0]))) > 0.0
    assert float(tf.reduce_max(tf.abs(grads[-2]))) > 0.0  # head_conv kernel


def test_too_short_input_raises(model):
    with pytest.raises(ValueError, match=r"at least 12512 samples.*samples=12000"):
        model(np.zeros((1, 12000), np.float32))
    mel_model = build_melspectrogram_model()
    with pytest.raises(ValueError, match=r"at least 512 samples.*samples=400"):
        mel_model(np.zeros((1, 400), np.float32))
    # The shortest accepted input gives exactly one window.
    assert tuple(model(np.zeros((1, MIN_SAMPLES), np.float32)).shape) == (1, 1, 96)


def test_keras_file_round_trip(model, clips, tmp_path):
    path = tmp_path / "speech_embedding.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)
    assert _max_diff(reloaded(clips), model(clips)) == 0.0


@pytest.mark.large
def test_long_batch_matches_tflite(model):
    clips = np.stack([known_answer_audio(seconds=10.0, seed=s)
                      for s in range(3)])
    seq = np.asarray(model(clips))
    assert seq.shape == (3, (160000 - 12512) // 1280 + 1, 96)
    for i, clip in enumerate(clips):
        ref = tflite_pipeline(clip)
        assert _max_diff(seq[i], ref["sequence_output"]) <= TOLERANCE
