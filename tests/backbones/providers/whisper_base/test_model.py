"""Tests for whisper_base/model.py on a tiny random checkpoint (no wheel).

They prove the weight-name mapping (transposes, fused q/k/v, padding of the
convolutions) and the architecture against the independent NumPy reference
in whisper_base/verify.py.
"""

import numpy as np
import pytest

from keras_transfer.backbones.providers.whisper_base.model import (
    build_encoder, weight_map)
from keras_transfer.backbones.providers.whisper_base.verify import (
    reference_forward, reference_log_mel)
from keras_transfer.backbones.providers.whisper_base.weights import encoder_tensors
from tests.backbones.providers.whisper_base.tiny import TINY, tiny_tensors


def _audio(samples, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(samples) / 16000
    tone = 0.3 * np.sin(2 * np.pi * 220 * t)
    return (tone + rng.normal(0, 0.05, samples)).astype("float32")


@pytest.mark.parametrize("samples", [8000, 7840])  # even and odd mel frame counts
def test_tiny_encoder_equals_numpy_reference(samples):
    tensors = encoder_tensors(tiny_tensors(), TINY)
    encoder = build_encoder(tensors, TINY)
    audio = np.stack([_audio(samples, 0), _audio(samples, 1) * 0.1])
    got = encoder(audio)
    for i in range(2):
        want = reference_forward(tensors, reference_log_mel(audio[i]), TINY)
        steps = -(-(samples // 160) // 2)
        assert got["sequence_output"].shape[1] == want.shape[0] == steps
        sequence = np.asarray(got["sequence_output"][i])
        np.testing.assert_allclose(sequence, want, atol=1e-4)
        pooled = np.asarray(got["default"][i])
        np.testing.assert_allclose(pooled, want.mean(0), atol=1e-4)


def test_a_wrong_mapping_would_be_caught():
    # Swapping query and key weights changes the output: the check above can fail.
    tensors = encoder_tensors(tiny_tensors(), TINY)
    audio = _audio(8000, 0)[None]
    want = reference_forward(tensors, reference_log_mel(audio[0]), TINY)
    name = "encoder/layer_0/self_attention/linear_0/weight"
    d = TINY["hidden_dim"]
    swapped = dict(tensors)
    swapped[name] = np.concatenate([tensors[name][d:2 * d], tensors[name][:d],
                                    tensors[name][2 * d:]])
    got = np.asarray(build_encoder(swapped, TINY)(audio)["sequence_output"][0])
    assert np.abs(got - want).max() > 1e-2


def test_weight_map_covers_every_encoder_variable():
    mapped = {name for sources in weight_map(TINY["num_layers"]).values()
              for name, _ in sources}
    assert mapped == set(tiny_tensors())


def test_missing_or_misshaped_tensors_raise():
    tensors = encoder_tensors(tiny_tensors(), TINY)
    missing = dict(tensors)
    del missing["encoder/conv2/bias"]
    with pytest.raises(ValueError, match="lack 'encoder/conv2/bias'"):
        build_encoder(missing, TINY)
    wrong = dict(tensors, **{"encoder/conv1/weight": np.zeros((16, 80, 5), "float32")})
    with pytest.raises(ValueError, match="conv1 needs"):
        build_encoder(wrong, TINY)
