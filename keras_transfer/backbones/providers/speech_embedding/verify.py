"""Known-answer check of speech_embedding: the Keras twins and SavedModel vs TFLite."""

import os
from pathlib import Path

import numpy as np
import tensorflow as tf

from keras_transfer.backbones.providers.speech_embedding.config import (
    EMBEDDING_DIM, EMBEDDING_FILE, MELSPECTROGRAM_FILE, MIN_SAMPLES, NUM_MEL_BINS,
    PCM_SCALE, SAMPLE_RATE, WINDOW_FRAMES, WINDOW_STRIDE)
from keras_transfer.backbones.providers.speech_embedding.model import (
    build_embedding_model, build_melspectrogram_model, build_model)
from keras_transfer.backbones.providers.speech_embedding.weights import (
    tflite_interpreter, tflite_path)


TOLERANCE = 1e-4


def known_answer_audio(seconds=2.0, seed=0):
    """Returns a deterministic test waveform: a rising chirp plus noise.

    Args:
        seconds: float. Length at 16 kHz. Defaults to 2.0.
        seed: int. Noise seed. Defaults to 0.

    Returns:
        float32 numpy array `[samples]` in [-1, 1], quantized to int16 steps.
    """
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    phase = 2 * np.pi * (150.0 * t + 0.5 * (3500.0 / seconds) * t**2)
    envelope = 0.3 + 0.25 * np.sin(2 * np.pi * 3.0 * t) ** 2
    noise = np.random.default_rng(seed).normal(0.0, 0.02, t.shape)
    audio = np.clip(envelope * np.sin(phase) + noise, -1.0, 1.0)
    return (np.round(audio * 32767.0) / PCM_SCALE).astype(np.float32)


def tflite_melspectrogram(pcm, path=None):
    """Runs `melspectrogram.tflite` on one clip of int16 PCM values.

    Args:
        pcm: numpy array `[samples]` of int16 values (any float/int dtype).
        path: str or path. The TFLite file. Defaults to the pinned wheel's.

    Returns:
        float32 numpy array `[frames, 32]` in dB.
    """
    pcm = np.asarray(pcm, np.float32)[None]
    interpreter = tflite_interpreter(tflite_path(MELSPECTROGRAM_FILE, path),
                                      pcm.shape)
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], pcm)
    interpreter.invoke()
    out = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    return out[0, 0]


def tflite_embedding(windows, path=None):
    """Runs `embedding_model.tflite` on mel windows.

    Args:
        windows: numpy array `[n, 76, 32]` or `[n, 76, 32, 1]` (after
            `x / 10 + 2`).
        path: str or path. The TFLite file. Defaults to the pinned wheel's.

    Returns:
        float32 numpy array `[n, 96]`.
    """
    windows = np.asarray(windows, np.float32).reshape(
        (-1, WINDOW_FRAMES, NUM_MEL_BINS, 1))
    interpreter = tflite_interpreter(tflite_path(EMBEDDING_FILE, path),
                                      windows.shape)
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"],
                           windows)
    interpreter.invoke()
    out = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    return out.reshape((-1, EMBEDDING_DIM))


def tflite_pipeline(waveform):
    """openWakeWord's feature pipeline with the TFLite models, one clip.

    Args:
        waveform: numpy array `[samples]` in [-1, 1] at 16 kHz.

    Returns:
        dict with `"melspectrogram"` (`[frames, 32]` dB), `"windows"` (the
        embedding input, `[windows, 76, 32, 1]`, after `x / 10 + 2`) and
        `"sequence_output"` (`[windows, 96]`).

    Raises:
        ValueError: if `waveform` is shorter than 12512 samples.
    """
    waveform = np.asarray(waveform, np.float32)
    if waveform.ndim != 1 or len(waveform) < MIN_SAMPLES:
        raise ValueError(
            f"`waveform` must be 1-D with at least {MIN_SAMPLES} samples. "
            f"Received: waveform.shape={waveform.shape}"
        )
    mel = tflite_melspectrogram(waveform * PCM_SCALE)
    features = mel / 10.0 + 2.0
    count = (len(features) - WINDOW_FRAMES) // WINDOW_STRIDE + 1
    windows = np.stack([
        features[j * WINDOW_STRIDE: j * WINDOW_STRIDE + WINDOW_FRAMES]
        for j in range(count)])[..., None]
    return {"melspectrogram": mel, "windows": windows,
            "sequence_output": tflite_embedding(windows)}


def verify(export_dir, waveforms=None):
    """Checks the Keras models and the SavedModel against TFLite.

    Runs the TFLite pipeline and the Keras models on known-answer audio
    (`known_answer_audio`, or `waveforms`) and compares: the mel front end
    (dB), the embedding network on TFLite's own mel windows, the end-to-end
    `build_model` output, and the SavedModel at `export_dir/"feature_vector"`
    (its `"sequence_output"` and `"default"`).

    Args:
        export_dir: str or path. The folder given to `convert`.
        waveforms: list of numpy arrays `[samples]` in [-1, 1] at 16 kHz.
            Defaults to `None` (a 2 s chirp with noise).

    Returns:
        dict of max absolute differences (`"melspectrogram"`, `"embedding"`,
        `"end_to_end"`, `"savedmodel"`) and `"tolerance"`.

    Raises:
        RuntimeError: if any difference exceeds 1e-4.
    """
    if waveforms is None:
        waveforms = [known_answer_audio()]
    # On CPU: GPU convolutions may run in TF32, far coarser than 1e-4.
    with tf.device("/CPU:0"):
        diffs = _differences(export_dir, waveforms)
    failed = {k: v for k, v in diffs.items() if not v <= TOLERANCE}
    diffs["tolerance"] = TOLERANCE
    if failed:
        raise RuntimeError(
            f"speech_embedding does not match TFLite within {TOLERANCE}: "
            f"{failed}. All differences: {diffs}"
        )
    return diffs


def _differences(export_dir, waveforms):
    """Max abs differences to TFLite; see `verify`."""
    mel_model = build_melspectrogram_model()
    embedding_model = build_embedding_model()
    model = build_model()
    loaded = tf.saved_model.load(os.fspath(Path(export_dir) / "feature_vector"))
    diffs = {"melspectrogram": 0.0, "embedding": 0.0, "end_to_end": 0.0,
             "savedmodel": 0.0}
    for waveform in waveforms:
        waveform = np.asarray(waveform, np.float32)
        ref = tflite_pipeline(waveform)
        mel = np.asarray(mel_model(waveform[None] * PCM_SCALE))[0]
        emb = np.asarray(embedding_model(ref["windows"]))
        seq = np.asarray(model(waveform[None]))[0]
        out = loaded(tf.constant(waveform[None]), training=False)
        expected = ref["sequence_output"]
        diffs["melspectrogram"] = max(
            diffs["melspectrogram"], float(np.abs(mel - ref["melspectrogram"]).max()))
        diffs["embedding"] = max(diffs["embedding"],
                                 float(np.abs(emb - expected).max()))
        diffs["end_to_end"] = max(diffs["end_to_end"],
                                  float(np.abs(seq - expected).max()))
        saved = max(
            float(np.abs(out["sequence_output"].numpy()[0] - expected).max()),
            float(np.abs(out["default"].numpy()[0] - expected.mean(0)).max()))
        diffs["savedmodel"] = max(diffs["savedmodel"], saved)
    return diffs
