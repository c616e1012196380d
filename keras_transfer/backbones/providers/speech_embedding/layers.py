"""The two Keras layers speech_embedding needs: its log-mel front end and activation."""

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.backbones.providers.speech_embedding.config import (
    FFT_LENGTH, HOP_LENGTH, NUM_MEL_BINS, SAMPLE_RATE)


_DB_PER_NEPER = np.float32(10.0 / np.log(10.0))
_LEAKY_SLOPE = 0.2
_ACTIVATION_FLOOR = -0.4


@keras.saving.register_keras_serializable(package="keras_transfer")
class MelSpectrogram(keras.layers.Layer):
    """Log-mel spectrogram of speech_embedding (openWakeWord's front end).

    Frames the waveform without padding (`(samples - fft_length) //
    hop_length + 1` frames), applies a windowed DFT held in `dft_kernel`
    (`[fft_length, 1, 2 * (fft_length // 2 + 1)]`: cos and sin columns with
    the window folded in), sums squares to a power spectrum, projects it with
    `mel_matrix` (`[fft_length // 2 + 1, num_mel_bins]`), and returns
    `10 * log10(max(mel, 1e-10))` clipped from below at each example's
    maximum minus `top_db`. Both weights are non-trainable; `build_model`
    fills them from `melspectrogram.tflite`. Every step is differentiable.

    Args:
        fft_length: int. Frame length and DFT size in samples. Defaults to
            512.
        hop_length: int. Samples between frames. Defaults to 160.
        num_mel_bins: int. Mel channels out. Defaults to 32.
        top_db: float. Dynamic range kept below each example's maximum, in
            dB. Defaults to 80.0.
        min_frames: int. Fewest frames an input may give; shorter inputs
            raise. Defaults to 1.
        **kwargs: Base layer arguments (`name`, `dtype`).

    Call arguments:
        inputs: float tensor `[batch, samples]`, int16 PCM values at 16 kHz
            (scale [-1, 1] audio by 32768 first).

    Returns:
        float tensor `[batch, frames, num_mel_bins]` in dB.

    Raises:
        ValueError: if an argument is out of range, or an input with a known
            length is shorter than `fft_length + (min_frames - 1) *
            hop_length` samples.

    Example:

    ```python
    layer = keras_transfer.backbones.providers.speech_embedding.layers.MelSpectrogram()
    mel = layer(np.random.uniform(-1e4, 1e4, (2, 16000)).astype("float32"))
    # mel.shape == (2, 97, 32); the weights are zero until set.
    ```
    """

    def __init__(self, fft_length=FFT_LENGTH, hop_length=HOP_LENGTH,
                 num_mel_bins=NUM_MEL_BINS, top_db=80.0, min_frames=1,
                 **kwargs):
        super().__init__(**kwargs)
        for name, value in (("fft_length", fft_length),
                            ("hop_length", hop_length),
                            ("num_mel_bins", num_mel_bins),
                            ("min_frames", min_frames)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"`{name}` must be a positive int. Received: "
                    f"{name}={value!r}"
                )
        if not top_db > 0:
            raise ValueError(
                f"`top_db` must be > 0. Received: top_db={top_db!r}"
            )
        self.fft_length = fft_length
        self.hop_length = hop_length
        self.num_mel_bins = num_mel_bins
        self.top_db = float(top_db)
        self.min_frames = min_frames

    @property
    def min_samples(self):
        """Fewest input samples the layer accepts."""
        return self.fft_length + (self.min_frames - 1) * self.hop_length

    def build(self, input_shape):
        bins = self.fft_length // 2 + 1
        self.dft_kernel = self.add_weight(
            name="dft_kernel", shape=(self.fft_length, 1, 2 * bins),
            initializer="zeros", trainable=False,
        )
        self.mel_matrix = self.add_weight(
            name="mel_matrix", shape=(bins, self.num_mel_bins),
            initializer="zeros", trainable=False,
        )

    def _check_length(self, inputs):
        samples = inputs.shape[-1]
        if samples is not None:
            if samples < self.min_samples:
                raise ValueError(
                    f"The waveform is too short: it needs at least "
                    f"{self.min_samples} samples ({self.min_frames} frame(s) "
                    f"of {self.fft_length} with hop {self.hop_length}; "
                    f"{self.min_samples / SAMPLE_RATE:.3f} s at 16 kHz). "
                    f"Pad or lengthen it. Received: samples={samples}"
                )
            return inputs
        # Unknown length (a graph traced for any length): check at run time.
        # The cond hides the length from shape inference, which would
        # otherwise fail first with a bare "Negative dimension size".
        samples = tf.shape(inputs)[-1]
        message = (
            f"The waveform is too short: it needs at least {self.min_samples} "
            f"samples ({self.min_frames} frame(s) of {self.fft_length} with "
            f"hop {self.hop_length}). Pad or lengthen it. Received: samples ="
        )

        def too_short():
            check = tf.debugging.Assert(False, [message, samples])
            with tf.control_dependencies([check]):
                return tf.pad(inputs, [[0, 0], [0, self.min_samples - samples]])

        return tf.cond(samples >= self.min_samples, lambda: inputs, too_short)

    def call(self, inputs):
        inputs = self._check_length(keras.ops.convert_to_tensor(inputs))
        frames = keras.ops.conv(
            keras.ops.expand_dims(inputs, -1), self.dft_kernel,
            strides=self.hop_length, padding="valid",
        )
        bins = self.fft_length // 2 + 1
        # Same order as the TFLite graph: second kernel squared first.
        power = (keras.ops.square(frames[..., bins:])
                 + keras.ops.square(frames[..., :bins]))
        mel = keras.ops.matmul(power, self.mel_matrix)
        # One multiply: graph optimizers would otherwise fold two constants
        # and round differently from eager execution.
        db = keras.ops.log(keras.ops.maximum(mel, 1e-10)) * _DB_PER_NEPER
        peak = keras.ops.max(db, axis=(1, 2), keepdims=True)
        return keras.ops.maximum(db, peak - self.top_db)

    def compute_output_shape(self, input_shape):
        samples = input_shape[-1]
        frames = None
        if samples is not None:
            frames = (samples - self.fft_length) // self.hop_length + 1
        return (input_shape[0], frames, self.num_mel_bins)

    def get_config(self):
        config = super().get_config()
        config.update({
            "fft_length": self.fft_length,
            "hop_length": self.hop_length,
            "num_mel_bins": self.num_mel_bins,
            "top_db": self.top_db,
            "min_frames": self.min_frames,
        })
        return config


@keras.saving.register_keras_serializable(package="keras_transfer")
class FlooredLeakyReLU(keras.layers.Layer):
    """Leaky ReLU followed by a lower bound, `max(leaky_relu(x), floor)`.

    speech_embedding applies it after every convolution but the last.

    Args:
        negative_slope: float. Slope for `x < 0`. Defaults to 0.2.
        floor: float. Smallest output value. Must be <= 0. Defaults to -0.4.
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: float tensor of any shape.

    Returns:
        A tensor of the same shape.

    Raises:
        ValueError: if `negative_slope` is negative or `floor` positive.

    Example:

    ```python
    act = keras_transfer.backbones.providers.speech_embedding.layers.FlooredLeakyReLU()
    act(np.array([-5.0, -1.0, 2.0]))  # [-0.4, -0.2, 2.0]
    ```
    """

    def __init__(self, negative_slope=_LEAKY_SLOPE, floor=_ACTIVATION_FLOOR,
                 **kwargs):
        super().__init__(**kwargs)
        if not negative_slope >= 0:
            raise ValueError(
                "`negative_slope` must be >= 0. Received: "
                f"negative_slope={negative_slope!r}"
            )
        if not floor <= 0:
            raise ValueError(f"`floor` must be <= 0. Received: floor={floor!r}")
        self.negative_slope = float(negative_slope)
        self.floor = float(floor)

    def call(self, inputs):
        return keras.ops.maximum(
            keras.ops.leaky_relu(inputs, negative_slope=self.negative_slope),
            self.floor,
        )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"negative_slope": self.negative_slope,
                       "floor": self.floor})
        return config
