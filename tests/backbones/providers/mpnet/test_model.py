"""Tests for mpnet/model.py and mpnet/layers.py on a tiny random checkpoint.

Fast (no wheel): they prove the weight-name mapping and the architecture
against the independent NumPy reference in mpnet/verify.py.
"""

import numpy as np
import pytest

from keras_transfer.backbones.providers.mpnet.config import ARCHITECTURE
from keras_transfer.backbones.providers.mpnet.layers import relative_position_bucket
from keras_transfer.backbones.providers.mpnet.model import build_encoder, weight_map
from keras_transfer.backbones.providers.mpnet.verify import reference_forward
from tests.backbones.providers.mpnet.tiny import TINY, tiny_checkpoint


def _inputs():
    rng = np.random.default_rng(1)
    ids = rng.integers(3, TINY["vocab_size"], size=(2, 30)).astype("int32")
    mask = np.ones_like(ids)
    mask[1, 20:] = 0
    ids[1, 20:] = ARCHITECTURE["padding_idx"]
    return ids, mask


def test_tiny_encoder_equals_numpy_reference():
    tensors = tiny_checkpoint()
    ids, mask = _inputs()
    encoder = build_encoder(tensors, TINY)
    got = encoder({"input_word_ids": ids, "input_mask": mask,
                   "input_type_ids": np.zeros_like(ids)}, training=False)
    want = reference_forward(tensors, ids, mask, TINY)
    valid = mask.astype(bool)
    np.testing.assert_allclose(got["sequence_output"].numpy()[valid],
                               want["sequence_output"][valid], atol=1e-5)
    np.testing.assert_allclose(got["pooled_output"].numpy(), want["pooled_output"], atol=1e-5)
    np.testing.assert_allclose(got["default"].numpy(), want["default"], atol=1e-5)
    # Padding changes nothing for the real tokens of the padded example.
    alone = encoder({"input_word_ids": ids[1:, :20], "input_mask": mask[1:, :20],
                     "input_type_ids": np.zeros_like(ids[1:, :20])})
    np.testing.assert_allclose(alone["default"].numpy(), got["default"].numpy()[1:],
                               atol=1e-5)


def test_every_checkpoint_tensor_is_mapped_once_and_fills_every_weight():
    tensors = tiny_checkpoint()
    mapping = weight_map(TINY["num_layers"])
    names = [name for sources in mapping.values() for name, _ in sources]
    assert len(names) == len(set(names))
    assert sorted(names) == sorted(tensors)
    encoder = build_encoder(tensors, TINY)
    assert len(encoder.weights) == len(names) == 39
    # Kernels are the transposed PyTorch Linear weights.
    q = encoder.get_layer("block_1").q
    np.testing.assert_array_equal(q.kernel.numpy(),
                                  tensors["encoder.layer.1.attention.attn.q.weight"].T)
    # The full model: 7 shared tensors + 16 per layer (position_ids is not a weight).
    assert sum(len(s) for s in weight_map(ARCHITECTURE["num_layers"]).values()) == 7 + 16 * 12


def test_wrong_shape_names_the_weight():
    tensors = tiny_checkpoint()
    tensors["encoder.layer.0.attention.attn.k.weight"] = np.zeros((16, 8), "float32")
    with pytest.raises(ValueError, match=r"block_0/k: checkpoint tensor shape \(8, 16\)"):
        build_encoder(tensors, TINY)
    del tensors["encoder.layer.0.attention.attn.k.weight"]
    with pytest.raises(ValueError, match="lacks 'encoder.layer.0.attention.attn.k.weight'"):
        build_encoder(tensors, TINY)


def test_relative_position_buckets_known_values():
    # key - query offsets -> buckets, as Hugging Face MPNet computes them:
    # keys after the query use buckets 16..31, exact below 8, log-spaced above.
    offsets = np.array([0, 1, 7, 8, 12, 127, 128, 500, -1, -7, -8, -16, -500])
    want = [0, 17, 23, 24, 25, 31, 31, 31, 1, 7, 8, 10, 15]
    np.testing.assert_array_equal(np.asarray(relative_position_bucket(offsets)), want)
