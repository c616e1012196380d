"""Tests of from_arrays, from_directory and from_tfds."""

import os
import sys

import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.data.loaders import from_arrays
from keras_transfer.data.loaders import from_directory
from keras_transfer.data.loaders import from_tfds


def _wav(path, rate, seconds=0.25, freq=440.0, amplitude=0.5):
    t = np.arange(int(rate * seconds)) / rate
    x = (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    tf.io.write_file(str(path), tf.audio.encode_wav(x[:, None], rate))


@pytest.fixture
def folders(tmp_path):
    for label, name in enumerate(["cat", "dog"]):
        for kind in ("img", "txt", "wav"):
            (tmp_path / kind / name).mkdir(parents=True)
        for i in range(3):
            image = np.full((20 + i, 30, 3), 51 * (label + 1), np.uint8)
            tf.io.write_file(str(tmp_path / "img" / name / f"{i}.png"),
                             tf.io.encode_png(image))
            (tmp_path / "txt" / name / f"{i}.txt").write_text(f"{name} {i}")
            _wav(tmp_path / "wav" / name / f"{i}.wav", 8000 if i == 0 else 16000)
    return tmp_path


def test_from_arrays_images_resized_rgb_pixel_values():
    x = np.zeros((10, 28, 28), np.uint8)
    x[:, :, 14:] = 255
    ds = from_arrays(x, np.arange(10) % 2, ["a", "b"], image_size=56,
                     batch_size=4, drop_remainder=True, seed=0)
    assert ds.class_names == ["a", "b"]
    assert ds.element_spec[0].shape == (4, 56, 56, 3)
    assert ds.element_spec[1].dtype == tf.int32
    batches = list(ds)
    assert len(batches) == 2
    images = batches[0][0].numpy()
    assert images[0, 0, 0].tolist() == [0.0, 0.0, 0.0]
    assert images[0, 0, -1].tolist() == [255.0, 255.0, 255.0]


def test_from_arrays_seeded_shuffle_is_deterministic():
    x = np.arange(20, dtype=np.float32).reshape(20, 1, 1, 1) / 20
    order = lambda: np.concatenate(
        [b[1].numpy() for b in from_arrays(x, np.arange(20), seed=3)]
    )
    first, second = order(), order()
    np.testing.assert_array_equal(first, second)
    assert sorted(first.tolist()) == list(range(20))
    assert first.tolist() != list(range(20))


def test_from_arrays_text_and_audio():
    ds = from_arrays(np.array(["good", "bad", "fine"]), [1, 0, 1],
                     shuffle=False, batch_size=2)
    assert ds.class_names == ["0", "1"]
    x, y = next(iter(ds))
    assert x.numpy().tolist() == [b"good", b"bad"]
    waves = np.zeros((4, 16000), np.float32)
    ds = from_arrays(waves, [0, 1, 2, 3], input_sample_rate=16000,
                     sample_rate=8000, batch_size=4)
    assert ds.element_spec[0].shape == (None, 8000)
    ds = from_arrays(waves, [0, 1, 2, 3], output_sequence_length=12000)
    assert next(iter(ds))[0].shape == (4, 12000)


def test_from_arrays_errors():
    with pytest.raises(ValueError, match=r"`input_sample_rate` \(the rate "
                       r"of `x`\) is needed"):
        from_arrays(np.zeros((2, 100), np.float32), [0, 1], sample_rate=8000)
    with pytest.raises(ValueError, match=r"\['image_size'\] do not apply to "
                       r"modality='text'"):
        from_arrays(np.array(["a", "b"]), [0, 1], image_size=32)
    with pytest.raises(ValueError, match=r"x.shape=\(2, 5\), y.shape=\(3,\)"):
        from_arrays(np.array(["a"] * 2).reshape(2, 1).repeat(5, 1), [0, 1, 2])
    with pytest.raises(ValueError, match=r"holds label 2"):
        from_arrays(np.zeros((3, 4, 4)), [0, 1, 2], ["a", "b"])
    with pytest.raises(ValueError, match=r"Received: batch_size=0"):
        from_arrays(np.zeros((3, 4, 4)), [0, 1, 2], batch_size=0)
    with pytest.raises(ValueError, match=r"Received: image_size=\(1, 2, 3\)"):
        from_arrays(np.zeros((3, 4, 4)), [0, 1, 2], image_size=(1, 2, 3))


def test_from_directory_image(folders):
    ds = from_directory(str(folders / "img"), "image", image_size=(32, 48),
                        batch_size=6, seed=0)
    assert ds.class_names == ["cat", "dog"]
    x, y = next(iter(ds))
    assert x.shape == (6, 32, 48, 3)
    # Pixel values 51 (cat) and 102 (dog) arrive as 0..255 floats, as the
    # image models expect.
    means = {int(label): float(np.mean(img)) for img, label in zip(x, y)}
    assert means[0] == pytest.approx(51.0, abs=1e-3)
    assert means[1] == pytest.approx(102.0, abs=1e-3)


def test_from_directory_text_with_validation_split(folders):
    train, val = from_directory(str(folders / "txt"), "text", seed=1,
                                validation_split=0.34, subset="both")
    train_text = [t for x, _ in train for t in x.numpy().tolist()]
    val_text = [t for x, _ in val for t in x.numpy().tolist()]
    assert len(train_text) == 4 and len(val_text) == 2
    assert not set(train_text) & set(val_text)


def test_from_directory_audio_resamples_each_file(folders):
    ds = from_directory(str(folders / "wav"), "audio", sample_rate=16000,
                        output_sequence_length=4000, batch_size=6,
                        drop_remainder=True, shuffle=False)
    assert ds.element_spec[0].shape == (6, 4000)
    x, y = next(iter(ds))
    assert y.numpy().tolist() == [0, 0, 0, 1, 1, 1]
    # The files in the order of the examples, for reports that name them.
    assert [os.path.relpath(p, folders / "wav") for p in ds.file_paths[:4]] == [
        os.path.join("cat", "0.wav"), os.path.join("cat", "1.wav"),
        os.path.join("cat", "2.wav"), os.path.join("dog", "0.wav")]
    # The 8 kHz file (index 0) upsampled to 16 kHz matches a 16 kHz file.
    np.testing.assert_allclose(x[0, 100:3900], x[1, 100:3900], atol=2e-3)


def test_from_directory_audio_errors(folders):
    with pytest.raises(ValueError, match=r"different sample rates \(Hz: "
                       r"files\) \{8000: 2, 16000: 4\}. Pass `sample_rate=`"):
        from_directory(str(folders / "wav"), "audio", shuffle=False)
    broken = folders / "wav" / "dog" / "3.wav"
    broken.write_bytes((folders / "wav" / "dog" / "1.wav").read_bytes()[:500])
    with pytest.raises(ValueError, match=r"dog/3.wav is a truncated WAV"):
        from_directory(str(folders / "wav"), "audio", sample_rate=16000)
    with pytest.raises(ValueError, match=r"A `seed` is needed"):
        from_directory(str(folders / "wav"), "audio", validation_split=0.5,
                       subset="training")
    with pytest.raises(ValueError, match=r"`modality` must be one of"):
        from_directory(str(folders / "wav"), "video")


def test_from_tfds_with_mock_data():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=8):
        ds = from_tfds("mnist", split="train", batch_size=4, image_size=32,
                       seed=0, drop_remainder=True)
        assert ds.class_names == [str(d) for d in range(10)]
        assert ds.element_spec[0].shape == (4, 32, 32, 3)
        x, y = next(iter(ds))
        assert 0.0 <= float(tf.reduce_min(x)) and float(tf.reduce_max(x)) <= 255.0
        assert float(tf.reduce_max(x)) > 1.0  # pixel values, not [0, 1]
        assert y.dtype == tf.int32
        ds = from_tfds("imdb_reviews", batch_size=4, shuffle=False)
        assert ds.class_names == ["neg", "pos"]
        assert ds.element_spec[0].dtype == tf.string
        ds = from_tfds("speech_commands", batch_size=4, sample_rate=8000,
                       output_sequence_length=8000, seed=0)
        assert ds.element_spec[0].shape == (None, 8000)
        assert len(ds.class_names) == 12
        with pytest.raises(ValueError, match=r"keys=\('image', 'nope'\)"):
            from_tfds("mnist", keys=("image", "nope"))


def test_from_tfds_without_tensorflow_datasets(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)
    with pytest.raises(ImportError, match=r"keras-transfer\[data\]"):
        from_tfds("mnist")
