"""A tiny random Whisper encoder in CTranslate2's layout, and a writer for it."""

import struct

import numpy as np

from keras_transfer.backbones.providers.whisper_base.config import ARCHITECTURE

TINY = dict(ARCHITECTURE, hidden_dim=16, num_heads=2, intermediate_dim=32, num_layers=2,
            max_positions=40)


def tiny_tensors(seed=0):
    """Random float16 encoder variables named and shaped as in `model.bin`."""
    rng = np.random.default_rng(seed)
    d, f, m = TINY["hidden_dim"], TINY["intermediate_dim"], TINY["num_mel_bins"]
    shapes = {
        "encoder/conv1/weight": (d, m, 3), "encoder/conv1/bias": (d,),
        "encoder/conv2/weight": (d, d, 3), "encoder/conv2/bias": (d,),
        "encoder/position_encodings/encodings": (TINY["max_positions"], d),
        "encoder/layer_norm/gamma": (d,), "encoder/layer_norm/beta": (d,),
    }
    for i in range(TINY["num_layers"]):
        p = f"encoder/layer_{i}/"
        shapes.update({
            p + "self_attention/layer_norm/gamma": (d,),
            p + "self_attention/layer_norm/beta": (d,),
            p + "self_attention/linear_0/weight": (3 * d, d),
            p + "self_attention/linear_0/bias": (3 * d,),
            p + "self_attention/linear_1/weight": (d, d),
            p + "self_attention/linear_1/bias": (d,),
            p + "ffn/layer_norm/gamma": (d,), p + "ffn/layer_norm/beta": (d,),
            p + "ffn/linear_0/weight": (f, d), p + "ffn/linear_0/bias": (f,),
            p + "ffn/linear_1/weight": (d, f), p + "ffn/linear_1/bias": (d,),
        })
    tensors = {}
    for name, shape in shapes.items():
        scale = 0.5 if name.endswith(("weight", "encodings")) else 0.1
        value = rng.normal(0.0, scale, shape)
        if name.endswith("gamma"):
            value += 1.0
        tensors[name] = value.astype(np.float16)
    return tensors


def write_model_bin(path, tensors, spec="WhisperSpec"):
    """Writes `tensors` (float16 arrays) as a CTranslate2 format-6 `model.bin`."""

    def string(text):
        raw = text.encode("utf-8") + b"\0"
        return struct.pack("<H", len(raw)) + raw

    with open(path, "wb") as f:
        f.write(struct.pack("<I", 6) + string(spec)
                + struct.pack("<II", 3, len(tensors) + 1))
        items = list(tensors.items()) + [
            ("encoder/num_heads", np.array(TINY["num_heads"], "<i2"))]
        for name, value in items:
            value = np.asarray(value)
            code = {np.dtype("<f2"): 4, np.dtype("<i2"): 2}[value.dtype]
            f.write(string(name) + struct.pack("<B", value.ndim)
                    + struct.pack(f"<{value.ndim}I", *value.shape)
                    + struct.pack("<BI", code, value.nbytes) + value.tobytes())
        f.write(struct.pack("<I", 0))
