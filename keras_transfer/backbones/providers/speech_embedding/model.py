"""speech_embedding's networks in Keras 3: mel front end, embedding, end to end."""

import os

import keras

from keras_transfer.backbones.providers.speech_embedding.config import (
    EMBEDDING_BLOCKS, EMBEDDING_DIM, EMBEDDING_FILE, HEAD_CONV, NUM_MEL_BINS, PCM_SCALE,
    WINDOW_FRAMES)
from keras_transfer.backbones.providers.speech_embedding.layers import (
    FlooredLeakyReLU, MelSpectrogram)
from keras_transfer.backbones.providers.speech_embedding.weights import (
    read_embedding_weights, read_melspectrogram_weights)


def _conv_names():
    names = [f"conv_block_{b}_conv_{i}"
             for b, block in enumerate(EMBEDDING_BLOCKS)
             for i in range(len(block["convs"]))]
    return names + ["head_conv"]


def _embedding_trunk(x):
    """Applies the embedding layers to `[n, frames, 32, 1]`; `[n, w, 1, 96]`."""
    for b, block in enumerate(EMBEDDING_BLOCKS):
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
    filters, kernel = HEAD_CONV
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
    se = keras_transfer.backbones.providers.speech_embedding.model
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
    se = keras_transfer.backbones.providers.speech_embedding.model
    model = se.build_embedding_model()
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
    model = keras_transfer.backbones.providers.speech_embedding.model.build_model()
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
