"""Tests for tiny_face_detector/weights.py: reading the quantised TF.js weights."""

import json
import shutil

import numpy as np
import pytest

from keras_transfer.backbones.providers.tiny_face_detector.config import (
    MANIFEST_MEMBER, WEIGHTS_MEMBER)
from keras_transfer.backbones.providers.tiny_face_detector.weights import (
    keras_weights, read_weights)


def test_dequantises_every_tensor_as_q_times_scale_plus_min(root, tensors):
    manifest = json.loads((root / MANIFEST_MEMBER).read_text())[0]["weights"]
    data = (root / WEIGHTS_MEMBER).read_bytes()

    assert len(data) == 193321  # one uint8 per weight
    assert list(tensors) == [w["name"] for w in manifest]
    assert sum(t.size for t in tensors.values()) == len(data)
    # conv0/filters is first in the file: check its first and last values by hand.
    q = manifest[0]["quantization"]
    first = tensors["conv0/filters"].reshape(-1)
    assert first[0] == pytest.approx(data[0] * q["scale"] + q["min"], abs=1e-6)
    assert first[-1] == pytest.approx(data[431] * q["scale"] + q["min"], abs=1e-6)
    assert tensors["conv8/filters"].shape == (1, 1, 512, 25)
    assert all(t.dtype == np.float32 for t in tensors.values())


def test_refuses_a_truncated_weights_file(root, tmp_path):
    copy = tmp_path / "copy"
    for member in (MANIFEST_MEMBER, WEIGHTS_MEMBER):
        (copy / member).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(root / member, copy / member)
    data = (copy / WEIGHTS_MEMBER).read_bytes()
    (copy / WEIGHTS_MEMBER).write_bytes(data[:-10])
    with pytest.raises(ValueError, match="ends inside tensor 'conv8/bias'"):
        read_weights(copy)
    (copy / WEIGHTS_MEMBER).write_bytes(data + b"\0")
    with pytest.raises(ValueError, match="describes 193321 bytes; the weights file has 193322"):
        read_weights(copy)


def test_keras_weights_maps_layers_and_checks_shapes(tensors):
    mapped = keras_weights(tensors)

    assert list(mapped) == ["conv0", "conv1", "conv2", "conv3", "conv4", "conv5", "conv8"]
    assert [a.shape for a in mapped["conv3"]] == [(3, 3, 64, 1), (1, 1, 64, 128), (128,)]
    broken = dict(tensors)
    del broken["conv4/bias"]
    with pytest.raises(ValueError, match="tensor 'conv4/bias' is missing"):
        keras_weights(broken)
    broken = dict(tensors, **{"conv2/pointwise_filter": np.zeros((1, 1, 32, 63), "float32")})
    with pytest.raises(ValueError, match=r"'conv2/pointwise_filter' has shape \(1, 1, 32, 63\)"):
        keras_weights(broken)
