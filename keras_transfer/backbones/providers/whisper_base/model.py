"""Whisper base's encoder as a Keras model from waveform to hidden states."""

import keras
import numpy as np

from keras_transfer.backbones.providers.whisper_base.config import ARCHITECTURE
from keras_transfer.backbones.providers.whisper_base.layers import (
    PositionalTable, WhisperEncoderBlock, WhisperLogMel)


def weight_map(num_layers):
    """Keras layer path -> the `model.bin` variables of its weights, in order.

    CTranslate2 stores dense kernels as `[out, in]` (transposed here) and
    convolutions as `[out, in, width]` (transposed to Keras' `[width, in,
    out]`).

    Args:
        num_layers: int. Transformer layers.

    Returns:
        dict mapping a layer path (`"block_3/qkv"`) to a list of `(variable
        name, transpose axes or None)` pairs, one per Keras weight.
    """
    conv = (2, 1, 0)
    dense_t = (1, 0)

    def dense(name):
        return [(f"{name}/weight", dense_t), (f"{name}/bias", None)]

    def norm(name):
        return [(f"{name}/gamma", None), (f"{name}/beta", None)]

    mapping = {
        "conv1": [("encoder/conv1/weight", conv), ("encoder/conv1/bias", None)],
        "conv2": [("encoder/conv2/weight", conv), ("encoder/conv2/bias", None)],
        "positions": [("encoder/position_encodings/encodings", None)],
        "final_norm": norm("encoder/layer_norm"),
    }
    for i in range(num_layers):
        p = f"encoder/layer_{i}/"
        mapping.update({
            f"block_{i}/attention_norm": norm(p + "self_attention/layer_norm"),
            f"block_{i}/qkv": dense(p + "self_attention/linear_0"),
            f"block_{i}/attention_output": dense(p + "self_attention/linear_1"),
            f"block_{i}/mlp_norm": norm(p + "ffn/layer_norm"),
            f"block_{i}/mlp_in": dense(p + "ffn/linear_0"),
            f"block_{i}/mlp_out": dense(p + "ffn/linear_1"),
        })
    return mapping


def _layer(model, path):
    name, *rest = path.split("/")
    layer = model.get_layer(name)
    return getattr(layer, rest[0]) if rest else layer


def build_encoder(tensors=None, architecture=None):
    """Builds Whisper's encoder, waveform in, hidden states out.

    `WhisperLogMel`, then two width-3 convolutions (the second with stride
    2), each zero-padded by one step on both sides and followed by exact
    GELU, `PositionalTable`, `num_layers` `WhisperEncoderBlock`s and a final
    LayerNormalization.

    Args:
        tensors: dict name -> array. The encoder variables of `model.bin`
            (see `weights.encoder_tensors` and `weight_map`). Defaults to
            `None` (random weights, zero positions).
        architecture: dict. Sizes as `config.ARCHITECTURE` (the default).

    Returns:
        `keras.Model` from float32 `[batch, samples]` (16 kHz, [-1, 1], at
        most 30 s) to a dict: `"sequence_output"` `[batch, ceil((samples //
        160) / 2), hidden]` (one vector per 20 ms) and `"default"`
        `[batch, hidden]`, its mean over time.

    Raises:
        ValueError: if a tensor is missing or has another shape than the
            Keras weight it fills.

    Example:

    ```python
    encoder = keras_transfer.backbones.providers.whisper_base.model.build_encoder(
        architecture={"num_layers": 1, "hidden_dim": 16, "num_heads": 2,
                      "intermediate_dim": 32})
    ```
    """
    a = dict(ARCHITECTURE, **(architecture or {}))
    waveform = keras.Input((None,), dtype="float32", name="waveform")
    x = WhisperLogMel(name="log_mel")(waveform)
    for name, strides in (("conv1", 1), ("conv2", 2)):
        x = keras.layers.ZeroPadding1D(1, name=f"{name}_pad")(x)
        x = keras.layers.Conv1D(a["hidden_dim"], 3, strides=strides, activation="gelu",
                                name=name)(x)
    x = PositionalTable(a["max_positions"], name="positions")(x)
    for i in range(a["num_layers"]):
        x = WhisperEncoderBlock(a["num_heads"], a["intermediate_dim"],
                                a["layer_norm_epsilon"], name=f"block_{i}")(x)
    x = keras.layers.LayerNormalization(epsilon=a["layer_norm_epsilon"],
                                        name="final_norm")(x)
    pooled = keras.layers.GlobalAveragePooling1D(name="mean_pool")(x)
    model = keras.Model(waveform, {"sequence_output": x, "default": pooled},
                        name="whisper_base_encoder")
    if tensors is not None:
        load_weights(model, tensors, a["num_layers"])
    return model


def load_weights(model, tensors, num_layers):
    """Fills `model` (from `build_encoder`) with `model.bin` encoder tensors.

    Raises:
        ValueError: if a tensor is missing or its shape does not match.
    """
    for path, sources in weight_map(num_layers).items():
        layer = _layer(model, path)
        values = []
        for (name, axes), weight in zip(sources, layer.weights):
            if name not in tensors:
                raise ValueError(f"The Whisper tensors lack {name!r} (for {path}).")
            value = np.asarray(tensors[name], np.float32)
            if axes is not None:
                value = value.transpose(axes)
            if tuple(value.shape) != tuple(weight.shape):
                raise ValueError(
                    f"{name!r} has shape {value.shape} after transposing; "
                    f"{path} needs {tuple(weight.shape)}.")
            values.append(value)
        if len(values) != len(layer.weights):
            raise ValueError(f"{path} has {len(layer.weights)} weights, "
                             f"{len(values)} tensors were mapped.")
        layer.set_weights(values)
