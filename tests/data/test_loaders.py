"""Tests of from_arrays, from_directory, from_tfds and from_tfrecords."""

import os
import sys

import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.data.loaders import from_arrays
from keras_transfer.data.loaders import from_directory
from keras_transfer.data.loaders import from_tfds
from keras_transfer.data.loaders import from_tfrecords


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


def _example(**features):
    def feature(value):
        if isinstance(value, bytes):
            return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))
        value = np.asarray(value).reshape(-1)
        if value.dtype.kind == "f":
            return tf.train.Feature(float_list=tf.train.FloatList(value=value))
        return tf.train.Feature(int64_list=tf.train.Int64List(value=value))

    return tf.train.Example(features=tf.train.Features(
        feature={k: feature(v) for k, v in features.items()})).SerializeToString()


def _write_images(folder, num_files=4, per_file=3):
    """PNG images whose label is their index: file i holds examples 3i..3i+2."""
    paths = []
    for i in range(num_files):
        path = str(folder / f"train-{i:02d}.tfrecord")
        with tf.io.TFRecordWriter(path) as writer:
            for j in range(per_file):
                label = i * per_file + j
                image = np.full((10 + j, 12, 3), label, np.uint8)
                writer.write(_example(image=tf.io.encode_png(image).numpy(), label=label))
        paths.append(path)
    return paths


IMAGE_SPEC = {"image": tf.io.FixedLenFeature([], tf.string),
              "label": tf.io.FixedLenFeature([], tf.int64)}


def test_from_tfrecords_images_in_order_and_shuffled(tmp_path):
    paths = _write_images(tmp_path)
    ds = from_tfrecords(str(tmp_path / "train-*.tfrecord"), IMAGE_SPEC, ("image", "label"),
                        "image", batch_size=5, shuffle=False, image_size=8,
                        class_names=range(12))
    assert ds.file_paths == paths
    assert ds.class_names == [str(i) for i in range(12)]
    assert ds.element_spec[0].shape.as_list() == [None, 8, 8, 3]
    batches = list(ds)
    assert [len(y) for _, y in batches] == [5, 5, 2]
    labels = np.concatenate([y for _, y in batches])
    np.testing.assert_array_equal(labels, np.arange(12))
    assert batches[0][1].dtype == tf.int32
    pixels = np.concatenate([x for x, _ in batches])
    np.testing.assert_allclose(pixels.mean(axis=(1, 2, 3)), np.arange(12), atol=1e-4)
    shuffled = from_tfrecords(paths[::-1], IMAGE_SPEC, ("image", "label"), "image",
                              batch_size=5, image_size=8, seed=0)
    first = np.concatenate([y for _, y in shuffled])
    second = np.concatenate([y for _, y in shuffled])
    assert sorted(first) == list(range(12))
    assert list(first) != list(range(12)) and list(first) != list(second)


def test_from_tfrecords_file_autoshard_is_disjoint_and_complete(tmp_path):
    from tests.autoshard import labels_per_worker

    _write_images(tmp_path)
    for shuffle in (False, True):
        ds = from_tfrecords(str(tmp_path / "*.tfrecord"), IMAGE_SPEC, ("image", "label"),
                            "image", batch_size=2, image_size=8, shuffle=shuffle, seed=0)
        assert (ds.options().experimental_distribute.auto_shard_policy
                == tf.data.experimental.AutoShardPolicy.FILE)
        worker0, worker1 = labels_per_worker(ds, 2)
        # Whole files: worker 0 reads files 0 and 2, worker 1 files 1 and 3.
        assert sorted(worker0) == [0, 1, 2, 6, 7, 8]
        assert sorted(worker1) == [3, 4, 5, 9, 10, 11]


def test_from_tfrecords_text_audio_and_pixels(tmp_path):
    text_path = str(tmp_path / "text.tfrecord")
    audio_path = str(tmp_path / "audio.tfrecord")
    pixel_path = str(tmp_path / "pixels.tfrecord")
    with tf.io.TFRecordWriter(text_path) as writer:
        for i, text in enumerate(["good", "bad", "fine"]):
            writer.write(_example(text=text.encode(), label=i % 2))
    with tf.io.TFRecordWriter(audio_path) as writer:
        for i in range(3):
            samples = np.sin(np.arange(800 + 100 * i) / 5).astype("float32") * 0.5
            wav = tf.audio.encode_wav(samples[:, None], 8000).numpy()
            writer.write(_example(wav=wav, samples=samples, label=i))
    with tf.io.TFRecordWriter(pixel_path) as writer:
        writer.write(_example(pixels=np.full((4, 4, 1), 7.0, "float32"), label=1))
    label = {"label": tf.io.FixedLenFeature([], tf.int64)}
    text = from_tfrecords(text_path, {"text": tf.io.FixedLenFeature([], tf.string), **label},
                          ("text", "label"), "text", shuffle=False)
    x, y = next(iter(text))
    assert list(x.numpy()) == [b"good", b"bad", b"fine"] and list(y.numpy()) == [0, 1, 0]
    wav = from_tfrecords(audio_path, {"wav": tf.io.FixedLenFeature([], tf.string), **label},
                         ("wav", "label"), "audio", sample_rate=16000, shuffle=False)
    x, _ = next(iter(wav))
    assert x.shape == (3, 2000)  # 1000 samples at 8 kHz, resampled and padded
    samples = from_tfrecords(audio_path, {"samples": tf.io.VarLenFeature(tf.float32),
                                          **label}, ("samples", "label"), "audio",
                             output_sequence_length=900, shuffle=False)
    x, _ = next(iter(samples))
    assert x.shape == (3, 900)
    np.testing.assert_allclose(x[0, :800], np.sin(np.arange(800) / 5) * 0.5, atol=1e-6)
    pixels = from_tfrecords(pixel_path, {"pixels": tf.io.FixedLenFeature([4, 4, 1],
                                                                         tf.float32), **label},
                            ("pixels", "label"), "image", shuffle=False)
    x, _ = next(iter(pixels))
    assert x.shape == (1, 4, 4, 3) and float(x[0, 0, 0, 0]) == 7.0


def test_from_tfrecords_errors(tmp_path):
    _write_images(tmp_path, num_files=1)
    pattern = str(tmp_path / "*.tfrecord")
    with pytest.raises(ValueError, match=r"No TFRecord files match '.*nothing-\*'"):
        from_tfrecords(str(tmp_path / "nothing-*"), IMAGE_SPEC, ("image", "label"), "image")
    with pytest.raises(ValueError, match=r"not found: \['.*missing.tfrecord'\]"):
        from_tfrecords([str(tmp_path / "missing.tfrecord")], IMAGE_SPEC,
                       ("image", "label"), "image", image_size=8)
    with pytest.raises(ValueError, match=r"`keys` must be.*\['image', 'label'\]"):
        from_tfrecords(pattern, IMAGE_SPEC, ("image", "y"), "image", image_size=8)
    with pytest.raises(ValueError, match=r"pass `image_size=`"):
        from_tfrecords(pattern, IMAGE_SPEC, ("image", "label"), "image")
    with pytest.raises(ValueError, match=r"`features` must map"):
        from_tfrecords(pattern, {"image": "bytes"}, ("image", "label"), "image")
    with pytest.raises(ValueError, match=r"must have a dtype in \['string'\]"):
        from_tfrecords(pattern, {"x": tf.io.FixedLenFeature([3], tf.float32),
                                 "label": IMAGE_SPEC["label"]}, ("x", "label"), "text")
    with pytest.raises(ValueError, match=r"label feature 'label' must be"):
        from_tfrecords(pattern, {**IMAGE_SPEC, "label": tf.io.FixedLenFeature([], tf.float32)},
                       ("image", "label"), "image", image_size=8)
    with pytest.raises(ValueError, match=r"Image pixels 'label' must be"):
        from_tfrecords(pattern, IMAGE_SPEC, ("label", "image"), "image", image_size=8)
    with pytest.raises(ValueError, match=r"`compression_type` must be one of"):
        from_tfrecords(pattern, IMAGE_SPEC, ("image", "label"), "image", image_size=8,
                       compression_type="zip")


def _tiny_tfds_builder(tfds):
    class TinyTexts(tfds.core.GeneratorBasedBuilder):
        """Twelve labelled sentences; the label is the example's index."""

        VERSION = tfds.core.Version("1.0.0")
        # No checksums file to look up (TFDS would import importlib_resources,
        # which tensorflow-datasets 4.9.10 does not install, to find one).
        code_path = None

        def _info(self):
            return tfds.core.DatasetInfo(
                builder=self,
                features=tfds.features.FeaturesDict({
                    "text": tfds.features.Text(),
                    "label": tfds.features.ClassLabel(num_classes=12)}),
                supervised_keys=("text", "label"))

        def _split_generators(self, dl_manager):
            return {"train": self._generate_examples()}

        def _generate_examples(self):
            for i in range(12):
                yield i, {"text": f"sentence {i}", "label": i}

    return TinyTexts


def test_from_tfds_shards_by_file(tmp_path):
    # A dataset prepared here, offline, in 4 files: each worker reads whole files.
    # (With TFDS' auto-cache of small unshuffled splits, which from_tfds turns
    # off, both workers read the same examples.)
    tfds = pytest.importorskip("tensorflow_datasets")
    from tests.autoshard import labels_per_worker

    builder = _tiny_tfds_builder(tfds)(data_dir=str(tmp_path))
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(
        num_shards=4, try_download_gcs=False))
    assert builder.info.splits["train"].num_shards == 4
    name = builder.name
    ds = from_tfds(name, data_dir=str(tmp_path), batch_size=2, shuffle=False,
                   download=False)
    assert (ds.options().experimental_distribute.auto_shard_policy
            == tf.data.experimental.AutoShardPolicy.FILE)
    labels = np.concatenate([y for _, y in ds])
    assert sorted(labels) == list(range(12))
    worker0, worker1 = labels_per_worker(ds, 2)
    assert set(worker0).isdisjoint(worker1) and sorted([*worker0, *worker1]) == list(range(12))
    assert 0 < len(worker0) < 12
    # TFDS' own file sharding, for `distribute_datasets_from_function`.
    parts = [np.concatenate([y for _, y in from_tfds(
        name, data_dir=str(tmp_path), batch_size=2, shuffle=False, download=False,
        input_context=tf.distribute.InputContext(2, i, 2))]) for i in range(2)]
    assert set(parts[0]).isdisjoint(parts[1])
    assert sorted([*parts[0], *parts[1]]) == list(range(12))
