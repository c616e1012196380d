"""Known-answer check of a converted Whisper base encoder against NumPy."""

import math
from pathlib import Path

import numpy as np
import tensorflow as tf

from keras_transfer.backbones.providers.minilm.verify import erf
from keras_transfer.backbones.providers.whisper_base.config import (
    ARCHITECTURE, FFT_LENGTH, HOP_LENGTH, SAMPLE_RATE)
from keras_transfer.backbones.providers.whisper_base.layers import slaney_mel_filters
from keras_transfer.backbones.providers.whisper_base.weights import (
    encoder_tensors, read_model)

# Largest |Keras float32 - NumPy float64| allowed on encoder outputs (whose
# values reach about +-10). Measured: see docs/speech.md.
REFERENCE_ATOL = 1e-3
# Largest |table - Whisper's sinusoids| (the table is stored in float16).
SINUSOID_ATOL = 1e-3


def sinusoids(length, channels, max_timescale=10000):
    """Whisper's encoder positions: `[sin | cos]` of geometric timescales."""
    increment = math.log(max_timescale) / (channels // 2 - 1)
    inv = np.exp(-increment * np.arange(channels // 2))
    scaled = np.arange(length)[:, None] * inv[None, :]
    return np.concatenate([np.sin(scaled), np.cos(scaled)], axis=1)


def reference_log_mel(audio):
    """NumPy (float64) `whisper.audio.log_mel_spectrogram` of one waveform."""
    audio = np.asarray(audio, np.float64)
    half = FFT_LENGTH // 2
    padded = np.pad(audio, half, mode="reflect")
    count = 1 + (len(padded) - FFT_LENGTH) // HOP_LENGTH
    index = np.arange(FFT_LENGTH)[None, :] + HOP_LENGTH * np.arange(count)[:, None]
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(FFT_LENGTH) / FFT_LENGTH)
    power = np.abs(np.fft.rfft(padded[index] * window, axis=1)) ** 2
    mel = power[:-1] @ slaney_mel_filters().astype(np.float64)
    log = np.log10(np.maximum(mel, 1e-10))
    log = np.maximum(log, log.max() - 8.0)
    return (log + 4.0) / 4.0


def _gelu(x):
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def _layer_norm(x, gamma, beta, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def _conv(x, weight, bias, stride):
    """PyTorch Conv1d, padding 1: x `[time, in]`, weight `[out, in, 3]`."""
    x = np.pad(x, ((1, 1), (0, 0)))
    steps = (len(x) - 3) // stride + 1
    out = np.zeros((steps, weight.shape[0]))
    for j in range(3):
        out += x[j:j + stride * steps:stride][:steps] @ weight[:, :, j].T
    return out + bias


def reference_forward(tensors, log_mel, architecture=None):
    """NumPy (float64) forward pass of Whisper's encoder on one log-mel.

    Written from openai/whisper's `AudioEncoder` (and CTranslate2's variable
    layout), independent of the Keras model.

    Args:
        tensors: dict name -> array. The `encoder/` variables of `model.bin`.
        log_mel: array `[frames, 80]`.
        architecture: dict. Sizes as `config.ARCHITECTURE` (the default).

    Returns:
        float64 array `[ceil(frames / 2), hidden]`.
    """
    a = dict(ARCHITECTURE, **(architecture or {}))
    w = {k: np.asarray(v, np.float64) for k, v in tensors.items()}
    eps = a["layer_norm_epsilon"]
    x = _gelu(_conv(np.asarray(log_mel, np.float64), w["encoder/conv1/weight"],
                    w["encoder/conv1/bias"], 1))
    x = _gelu(_conv(x, w["encoder/conv2/weight"], w["encoder/conv2/bias"], 2))
    x = x + w["encoder/position_encodings/encodings"][:len(x)]
    heads, length, hidden = a["num_heads"], len(x), x.shape[1]
    for i in range(a["num_layers"]):
        p = f"encoder/layer_{i}/"
        h = _layer_norm(x, w[p + "self_attention/layer_norm/gamma"],
                        w[p + "self_attention/layer_norm/beta"], eps)
        qkv = h @ w[p + "self_attention/linear_0/weight"].T + \
            w[p + "self_attention/linear_0/bias"]
        q, k, v = (t.reshape(length, heads, -1).transpose(1, 0, 2)
                   for t in np.split(qkv, 3, axis=1))
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(hidden // heads)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        probs = scores / scores.sum(-1, keepdims=True)
        context = (probs @ v).transpose(1, 0, 2).reshape(length, hidden)
        x = x + context @ w[p + "self_attention/linear_1/weight"].T + \
            w[p + "self_attention/linear_1/bias"]
        h = _layer_norm(x, w[p + "ffn/layer_norm/gamma"],
                        w[p + "ffn/layer_norm/beta"], eps)
        h = _gelu(h @ w[p + "ffn/linear_0/weight"].T + w[p + "ffn/linear_0/bias"])
        x = x + h @ w[p + "ffn/linear_1/weight"].T + w[p + "ffn/linear_1/bias"]
    return _layer_norm(x, w["encoder/layer_norm/gamma"],
                       w["encoder/layer_norm/beta"], eps)


def synthetic_signal(seconds=2.0):
    """A deterministic speech-like test waveform: a gliding harmonic tone with noise."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    pitch = 120.0 + 60.0 * np.sin(2 * np.pi * 1.5 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / SAMPLE_RATE
    voice = sum(np.sin(k * phase) / k for k in range(1, 12))
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3.0 * t) ** 2
    noise = np.random.default_rng(0).normal(0.0, 0.02, t.shape)
    return (0.2 * voice * envelope + noise).astype(np.float32)


def verify(export_dir, audio=None, model_path=None):
    """Checks a converted Whisper base encoder against a NumPy forward pass.

    Loads `export_dir/"encoder"`, runs it on `audio` and compares
    `sequence_output` with `reference_forward(reference_log_mel(audio))`
    computed from the `model.bin` tensors; also checks that the stored
    positional table is Whisper's sinusoids and that the key projection has
    no bias (Whisper's keys have none).

    Args:
        export_dir: str or path. The folder `convert` wrote.
        audio: float array `[samples]`, 16 kHz. Defaults to `None`
            (`synthetic_signal()`, 2 s).
        model_path: str or path. The `model.bin`. Defaults to `None` (the
            cached joined file).

    Returns:
        dict with `max_abs_error`, `max_abs_output`, `frames`,
        `sinusoid_error`.

    Raises:
        RuntimeError: if a check fails.
    """
    audio = synthetic_signal() if audio is None else np.asarray(audio, np.float32)
    model = read_model(model_path, names=lambda name: name.startswith("encoder/"))
    tensors = encoder_tensors(model["variables"])
    table = tensors["encoder/position_encodings/encodings"]
    sinusoid_error = float(np.abs(table - sinusoids(*table.shape)).max())
    if sinusoid_error > SINUSOID_ATOL:
        raise RuntimeError(
            "The encoder positions differ from Whisper's sinusoids by "
            f"{sinusoid_error}.")
    hidden = ARCHITECTURE["hidden_dim"]
    for i in range(ARCHITECTURE["num_layers"]):
        bias = tensors[f"encoder/layer_{i}/self_attention/linear_0/bias"]
        if np.any(bias[hidden:2 * hidden]):
            raise RuntimeError(f"Layer {i}'s key projection has a non-zero bias.")
    encoder = tf.saved_model.load(str(Path(export_dir) / "encoder"))
    outputs = encoder(tf.constant(audio[None]), training=False)
    got = outputs["sequence_output"].numpy()[0]
    want = reference_forward(tensors, reference_log_mel(audio))
    if got.shape != want.shape:
        raise RuntimeError(
            f"The encoder gave shape {got.shape}; the reference {want.shape}.")
    error = float(np.abs(got - want).max())
    if not error <= REFERENCE_ATOL:
        raise RuntimeError(
            f"The converted encoder differs from the NumPy reference by {error} "
            f"(allowed {REFERENCE_ATOL}).")
    pooled = outputs["default"].numpy()[0]
    if not np.allclose(pooled, got.mean(0), atol=1e-5):
        raise RuntimeError("`default` is not the mean of `sequence_output`.")
    return {"max_abs_error": error, "max_abs_output": float(np.abs(want).max()),
            "frames": int(got.shape[0]), "sinusoid_error": sinusoid_error}
