"""The Keras layers of Whisper's encoder: log-mel front end, positions, block."""

import math

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from keras_transfer.backbones.providers.whisper_base.config import (
    FFT_LENGTH, HOP_LENGTH, MAX_SAMPLES, MIN_SAMPLES, NUM_MEL_BINS, SAMPLE_RATE)


def _hz_to_mel(hz):
    """Slaney mel scale: linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, np.float64)
    linear = hz / (200.0 / 3)
    log = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log, linear)


def _mel_to_hz(mel):
    mel = np.asarray(mel, np.float64)
    linear = mel * (200.0 / 3)
    log = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0))
    return np.where(mel >= 15.0, log, linear)


def slaney_mel_filters(sample_rate=SAMPLE_RATE, fft_length=FFT_LENGTH,
                       num_mel_bins=NUM_MEL_BINS):
    """Slaney-style mel filter bank, as `librosa.filters.mel` (Whisper's).

    Triangular filters between `num_mel_bins + 2` points equally spaced on
    the Slaney mel scale from 0 Hz to `sample_rate / 2`, each scaled by
    `2 / (upper_hz - lower_hz)` (equal area).

    Args:
        sample_rate: int. Hz. Defaults to 16000.
        fft_length: int. DFT size. Defaults to 400.
        num_mel_bins: int. Filters. Defaults to 80.

    Returns:
        float32 array `[fft_length // 2 + 1, num_mel_bins]` (multiply a power
        spectrum on the right).
    """
    fft_hz = np.linspace(0.0, sample_rate / 2.0, fft_length // 2 + 1)
    mel_hz = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sample_rate / 2.0),
                                    num_mel_bins + 2))
    widths = np.diff(mel_hz)
    ramps = mel_hz[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_hz[2:] - mel_hz[:-2]))[:, None]
    return weights.T.astype(np.float32)


@keras.saving.register_keras_serializable(package="keras_transfer")
class WhisperLogMel(keras.layers.Layer):
    """Whisper's 80-bin log-mel spectrogram, as TensorFlow ops in the graph.

    As `whisper.audio.log_mel_spectrogram`: the waveform is reflect-padded
    by `fft_length // 2` on both sides, cut into frames of 400 samples every
    160 (the last frame dropped, so `samples // 160` frames), multiplied by
    a periodic Hann window, turned into a power spectrum (`|rfft|**2`),
    projected on the Slaney mel filter bank (`slaney_mel_filters`, a
    non-trainable weight), then `log10(max(mel, 1e-10))`, clamped from below
    at each example's maximum minus 8, and mapped by `(x + 4) / 4`.

    Args:
        **kwargs: Base layer arguments (`name`, `dtype`).

    Call arguments:
        inputs: float tensor `[batch, samples]`, 16 kHz audio in [-1, 1],
            between 400 and 480000 samples (30 s).

    Returns:
        float tensor `[batch, samples // 160, 80]`.

    Raises:
        ValueError: if an input with a known length is out of bounds
            (unknown lengths are checked when the graph runs).

    Example:

    ```python
    layer = keras_transfer.backbones.providers.whisper_base.layers.WhisperLogMel()
    mel = layer(np.zeros((1, 16000), "float32"))  # (1, 100, 80)
    ```
    """

    def build(self, input_shape):
        filters = slaney_mel_filters()
        self.mel_filters = self.add_weight(
            name="mel_filters", shape=filters.shape,
            initializer=keras.initializers.Constant(filters), trainable=False)

    def _check_length(self, inputs):
        samples = inputs.shape[-1]
        if samples is not None:
            if not MIN_SAMPLES <= samples <= MAX_SAMPLES:
                raise ValueError(
                    f"Whisper takes {MIN_SAMPLES} to {MAX_SAMPLES} samples "
                    f"(0.025 to 30 s at 16 kHz); split or pad the audio. "
                    f"Received: samples={samples}")
            return inputs
        samples = tf.shape(inputs)[-1]
        check = tf.debugging.assert_less_equal(
            samples, MAX_SAMPLES, message=f"Whisper takes at most {MAX_SAMPLES} "
            "samples (30 s at 16 kHz); split the audio.")
        check_min = tf.debugging.assert_greater_equal(
            samples, MIN_SAMPLES, message=f"Whisper takes at least {MIN_SAMPLES} "
            "samples; pad the audio.")
        with tf.control_dependencies([check, check_min]):
            return tf.identity(inputs)

    def call(self, inputs):
        inputs = self._check_length(tf.convert_to_tensor(inputs, tf.float32))
        half = FFT_LENGTH // 2
        padded = tf.pad(inputs, [[0, 0], [half, half]], mode="REFLECT")
        frames = tf.signal.frame(padded, FFT_LENGTH, HOP_LENGTH)[:, :-1]
        window = tf.signal.hann_window(FFT_LENGTH, periodic=True)
        spectrum = tf.signal.rfft(frames * window, fft_length=[FFT_LENGTH])
        power = tf.math.real(spectrum) ** 2 + tf.math.imag(spectrum) ** 2
        mel = tf.matmul(power, tf.cast(self.mel_filters, tf.float32))
        log_mel = tf.math.log(tf.maximum(mel, 1e-10)) / math.log(10.0)
        peak = tf.reduce_max(log_mel, axis=[1, 2], keepdims=True)
        log_mel = tf.maximum(log_mel, peak - 8.0)
        return (log_mel + 4.0) / 4.0

    def compute_output_shape(self, input_shape):
        samples = input_shape[-1]
        frames = None if samples is None else samples // HOP_LENGTH
        return (input_shape[0], frames, NUM_MEL_BINS)


@keras.saving.register_keras_serializable(package="keras_transfer")
class PositionalTable(keras.layers.Layer):
    """Adds the first `length` rows of a fixed `[max_positions, dim]` table.

    Whisper's encoder adds sinusoidal positions for 1500 steps (30 s); a
    shorter input gets the table's first rows, as if the positions past its
    end were cut off. The table is a non-trainable weight.

    Args:
        max_positions: int. Rows of the table. Defaults to 1500.
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: float tensor `[batch, length, dim]`, `length <= max_positions`.

    Returns:
        A tensor of the same shape.

    Example:

    ```python
    layer = keras_transfer.backbones.providers.whisper_base.layers.PositionalTable(4)
    layer(np.zeros((1, 3, 2), "float32"))  # adds table rows 0..2
    ```
    """

    def __init__(self, max_positions=1500, **kwargs):
        super().__init__(**kwargs)
        if isinstance(max_positions, bool) or not isinstance(max_positions, int) \
                or max_positions < 1:
            raise ValueError(
                "`max_positions` must be a positive int. "
                f"Received: max_positions={max_positions!r}")
        self.max_positions = max_positions

    def build(self, input_shape):
        self.table = self.add_weight(
            name="table", shape=(self.max_positions, input_shape[-1]),
            initializer="zeros", trainable=False)

    def call(self, inputs):
        length = ops.shape(inputs)[1]
        return inputs + ops.cast(self.table[:length], inputs.dtype)[None]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "max_positions": self.max_positions}


@keras.saving.register_keras_serializable(package="keras_transfer")
class WhisperEncoderBlock(keras.layers.Layer):
    """One Whisper encoder layer: pre-LayerNorm self-attention, then MLP.

    `x + attn(LN(x))`, then `x + W2 gelu(W1 LN(x))` with exact (erf) GELU.
    The query, key and value projections are one fused dense layer
    (`qkv`, as CTranslate2 stores them); scores are scaled by
    `1 / sqrt(head_dim)`, no mask (the encoder sees the whole input).

    Args:
        num_heads: int. Attention heads.
        intermediate_dim: int. MLP width.
        layer_norm_epsilon: float. Defaults to 1e-5.
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: float tensor `[batch, length, hidden]`.

    Returns:
        A tensor of the same shape.

    Example:

    ```python
    block = keras_transfer.backbones.providers.whisper_base.layers.WhisperEncoderBlock(
        num_heads=2, intermediate_dim=16)
    block(np.zeros((1, 5, 8), "float32")).shape  # (1, 5, 8)
    ```
    """

    def __init__(self, num_heads, intermediate_dim, layer_norm_epsilon=1e-5,
                 **kwargs):
        super().__init__(**kwargs)
        for name, value in (("num_heads", num_heads),
                            ("intermediate_dim", intermediate_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"`{name}` must be a positive int. Received: {name}={value!r}")
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.layer_norm_epsilon = layer_norm_epsilon

    def build(self, input_shape):
        hidden = input_shape[-1]
        if hidden % self.num_heads:
            raise ValueError(
                f"The hidden size {hidden} is not divisible by `num_heads`="
                f"{self.num_heads}.")

        def norm(name):
            layer = keras.layers.LayerNormalization(
                epsilon=self.layer_norm_epsilon, name=name, dtype=self.dtype_policy)
            layer.build(input_shape)
            return layer

        def dense(units, name, width, activation=None):
            layer = keras.layers.Dense(units, activation=activation, name=name,
                                       dtype=self.dtype_policy)
            layer.build((*input_shape[:-1], width))
            return layer

        self.attention_norm = norm("attention_norm")
        self.qkv = dense(3 * hidden, "qkv", hidden)
        self.attention_output = dense(hidden, "attention_output", hidden)
        self.mlp_norm = norm("mlp_norm")
        # Keras' "gelu" is the exact (erf) form, as Whisper's nn.GELU.
        self.mlp_in = dense(self.intermediate_dim, "mlp_in", hidden, activation="gelu")
        self.mlp_out = dense(hidden, "mlp_out", self.intermediate_dim)

    def call(self, inputs):
        batch, length = ops.shape(inputs)[0], ops.shape(inputs)[1]
        hidden = inputs.shape[-1]
        qkv = ops.reshape(self.qkv(self.attention_norm(inputs)),
                          (batch, length, 3, self.num_heads, hidden // self.num_heads))
        qkv = ops.transpose(qkv, (2, 0, 3, 1, 4))  # [3, batch, heads, length, d]
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2)))
        scores = scores / math.sqrt(hidden // self.num_heads)
        context = ops.matmul(ops.softmax(scores, axis=-1), v)
        context = ops.reshape(ops.transpose(context, (0, 2, 1, 3)),
                              (batch, length, hidden))
        x = inputs + self.attention_output(context)
        return x + self.mlp_out(self.mlp_in(self.mlp_norm(x)))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads,
                "intermediate_dim": self.intermediate_dim,
                "layer_norm_epsilon": self.layer_norm_epsilon}
