import os
import shutil
import tempfile
import time
from unittest import mock

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.backbones import conversion
from keras_transfer.features import feature_cache
from keras_transfer.features.feature_cache import FeatureCache
from keras_transfer.models.build_image_classifier import build_image_classifier
from keras_transfer.models.build_sentence_similarity_model import (
    build_sentence_similarity_model,
)
from keras_transfer.models.build_text_classifier import build_text_classifier
from keras_transfer.testing import TestCase
from keras_transfer.testing import require
from tests import savedmodels
from tests.autoshard import labels_per_worker


def pixels(n=20, seed=0):
    return (np.random.default_rng(seed).random((n, 10, 10, 3)) * 255).astype("float32")


class FeatureCacheTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = tempfile.mkdtemp()
        cls.path = savedmodels.image_feature_vector(cls.root)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)
        super().tearDownClass()

    def build(self, dropout=0.0, seed=5, **kwargs):
        keras.utils.set_random_seed(seed)
        kwargs.setdefault("trainable", False)
        return build_image_classifier(self.path, 3, image_size=8, dropout=dropout,
                                      learning_rate=0.05, **kwargs)

    def dataset(self, n=20, batch_size=8):
        return tf.data.Dataset.from_tensor_slices((pixels(n), np.arange(n) % 3)).batch(batch_size)

    def test_cached_training_equals_end_to_end_training(self):
        # Dropout included: the head's layers (and their seed generators) are shared.
        for dropout in (0.0, 0.3):
            end_to_end, cached = self.build(dropout), self.build(dropout)
            for a, b in zip(end_to_end.get_layer("head").weights,
                            cached.get_layer("head").weights):
                self.assertAllEqual(a.numpy(), b.numpy())
            history = end_to_end.fit(self.dataset(), epochs=3, shuffle=False, verbose=0)
            cache = FeatureCache(cached)
            cached_history = cache.fit(cache.extract(self.dataset()), epochs=3, verbose=0)
            self.assertAllClose(history.history["loss"], cached_history.history["loss"],
                                atol=1e-6, rtol=0)
            heads = zip(end_to_end.get_layer("head").weights, cached.get_layer("head").weights)
            for a, b in heads:
                self.assertTrue(np.allclose(a.numpy(), b.numpy(), atol=1e-7, rtol=0), a.path)
            self.assertEqual(int(cached.optimizer.iterations), 9)
            x = pixels(4, seed=1)
            self.assertAllClose(end_to_end.predict(x, verbose=0), cached.predict(x, verbose=0),
                                atol=1e-6)

    def test_head_model_shares_the_model_layers(self):
        model = self.build()
        cache = FeatureCache(model)
        self.assertIs(cache.head_model.get_layer("head"), model.get_layer("head"))
        self.assertEqual([layer.name for layer in cache.feature_extractor.layers],
                         ["images", "preprocessing", "backbone"])
        before = model.get_layer("head").dense.kernel.numpy().copy()
        cache.fit(cache.extract(pixels(), np.arange(20) % 3), epochs=1, verbose=0)
        self.assertNotAllClose(before, model.get_layer("head").dense.kernel.numpy())
        self.assertIs(cache.head_model.optimizer, model.optimizer)
        features = cache.feature_extractor.predict(pixels(3), verbose=0)
        self.assertAllClose(model.predict(pixels(3), verbose=0),
                            cache.head_model.predict(features, verbose=0), atol=1e-6)

    def test_extract_keeps_batches_values_and_sample_weights(self):
        model = self.build()
        cache = FeatureCache(model)
        x, y, weights = pixels(), np.arange(20) % 3, np.linspace(0.1, 1, 20)
        cached = list(cache.extract(x, y, sample_weight=weights, batch_size=8))
        self.assertEqual([len(batch[0]) for batch in cached], [8, 8, 4])
        features = np.concatenate([batch[0] for batch in cached])
        self.assertAllClose(features, cache.feature_extractor.predict(x, verbose=0), atol=1e-6)
        self.assertEqual(features.dtype, np.float32)
        self.assertAllEqual(np.concatenate([batch[1] for batch in cached]), y)
        self.assertAllClose(np.concatenate([batch[2] for batch in cached]), weights)

    def test_shuffle_reorders_every_epoch(self):
        cache = FeatureCache(self.build())
        y = np.arange(20)
        cached = cache.extract(pixels(), y, batch_size=8, shuffle=True, seed=3)
        first = np.concatenate([labels for _, labels in cached])
        second = np.concatenate([labels for _, labels in cached])
        self.assertAllEqual(np.sort(first), y)
        self.assertNotAllEqual(first, second)

    def test_uneven_batches_are_replayed(self):
        cache = FeatureCache(self.build())
        dataset = tf.data.Dataset.from_tensor_slices((pixels(9), np.arange(9) % 3))
        dataset = dataset.take(3).batch(3).concatenate(dataset.skip(3).batch(6))
        dataset = dataset.concatenate(dataset.take(1))
        sizes = [len(labels) for _, labels in cache.extract(dataset)]
        self.assertEqual(sizes, [3, 6, 3])

    def test_disk_cache_is_reused_and_checked(self):
        directory = self.temp_dir()
        cache = FeatureCache(self.build(), directory=directory)
        first = list(cache.extract(self.dataset(), name="train"))
        self.assertEqual(sorted(os.listdir(os.path.join(directory, "train"))),
                         ["manifest.json", "shard-00000.tfrecord"])
        again = FeatureCache(self.build(), directory=directory)
        with mock.patch.object(again.feature_extractor, "predict_on_batch") as predict:
            second = list(again.extract(self.dataset(), name="train"))
        predict.assert_not_called()
        for (f1, l1), (f2, l2) in zip(first, second):
            self.assertAllEqual(f1, f2)
            self.assertAllEqual(l1, l2)
        with self.assertRaisesRegex(ValueError, r"computed from other data.*Delete that folder"):
            again.extract(self.dataset().skip(1), name="train")
        other = FeatureCache(self.build(seed=6, trainable=False), directory=directory)
        other.model.get_layer("backbone").weights[0].assign(
            other.model.get_layer("backbone").weights[0] * 2)
        with self.assertRaisesRegex(ValueError, r"another feature extractor"):
            other.extract(self.dataset(), name="train")
        with self.assertRaisesRegex(ValueError, r"needs `directory=`.*Received: name='val'"):
            FeatureCache(self.build()).extract(self.dataset(), name="val")

    def test_text_model_with_a_preprocessor(self):
        encoder = savedmodels.mean_pooled_encoder(self.temp_dir())
        preprocessor = savedmodels.string_preprocessor(self.temp_dir())

        def build():
            keras.utils.set_random_seed(2)
            return build_text_classifier(encoder, 2, preprocessor=preprocessor,
                                         output_key="default", trainable=False,
                                         dropout=0.0, learning_rate=0.1)

        text = tf.constant(["good fine", "bad poor", "fine great", "awful bad"])
        data = tf.data.Dataset.from_tensor_slices((text, np.array([1, 0, 1, 0]))).batch(2)
        end_to_end, cached = build(), build()
        end_to_end.fit(data, epochs=2, shuffle=False, verbose=0)
        cache = FeatureCache(cached)
        self.assertEqual(cache.head_model.input.shape, (None, 8))
        cache.fit(cache.extract(data), epochs=2, verbose=0)
        for a, b in zip(end_to_end.get_layer("head").weights, cached.get_layer("head").weights):
            self.assertTrue(np.allclose(a.numpy(), b.numpy(), atol=1e-7, rtol=0), a.path)

        # Text features stored on disk load back on the next extract.
        folder = self.temp_dir()
        stored = FeatureCache(build(), directory=folder)
        first = stored.extract(data, name="train")
        again = FeatureCache(build(), directory=folder).extract(data, name="train")
        for (a, _), (b, _) in zip(first, again):
            self.assertAllEqual(a, b)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, r"needs? a frozen feature extractor.*"
                                                r"`model.get_layer\('backbone'\).trainable = "
                                                r"False`"):
            FeatureCache(self.build(trainable=True))
        with self.assertRaisesRegex(ValueError, r"no layer named 'encoder'.*layers: "
                                                r"\['images', 'preprocessing', 'backbone', "
                                                r"'head'\]"):
            FeatureCache(self.build(), feature_layer="encoder")
        encoder = savedmodels.mean_pooled_encoder(self.temp_dir())
        preprocessor = savedmodels.string_preprocessor(self.temp_dir())
        siamese = build_sentence_similarity_model(encoder, preprocessor=preprocessor,
                                                  output_key="default", trainable=False)
        with self.assertRaisesRegex(ValueError, r"must be called exactly once"):
            FeatureCache(siamese)
        cache = FeatureCache(self.build(compile=False))
        with self.assertRaisesRegex(ValueError, r"Compile the model"):
            cache.fit(cache.extract(self.dataset()))
        with self.assertRaisesRegex(ValueError, r"`y` \(labels\) is required"):
            cache.extract(pixels())
        unlabelled = tf.data.Dataset.from_tensor_slices(pixels(4)).batch(2)
        with self.assertRaisesRegex(ValueError, r"without labels"):
            cache.extract(unlabelled)


def dense_model(seed=0, compile=True):
    """Inputs (4,) -> frozen Dense "backbone" (16) -> softmax "head" (3)."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((4,), name="x")
    backbone = keras.layers.Dense(16, activation="relu", name="backbone")
    backbone.trainable = False
    outputs = keras.layers.Dense(3, activation="softmax", name="head")(backbone(inputs))
    model = keras.Model(inputs, outputs)
    if compile:
        model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy")
    return model


def vectors(n, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 4)).astype("float32")


class FeatureCacheOnDiskTest(TestCase):
    """Features streamed from sharded TFRecord files (`directory=` and `name=`)."""

    def extract(self, n=40, batch_size=8, shard_size=1, shuffle=False, seed=None,
                weights=False, directory=None, name="train"):
        directory = directory or self.temp_dir()
        cache = FeatureCache(dense_model(), directory=directory, shard_size=shard_size)
        sw = np.linspace(0.1, 1, n).astype("float32") if weights else None
        data = cache.extract(vectors(n), np.arange(n) % 3, sample_weight=sw,
                             batch_size=batch_size, name=name, shuffle=shuffle, seed=seed)
        return cache, data, os.path.join(directory, name)

    def test_round_trip_is_exact_and_sharded(self):
        n = 37
        cache, streamed, path = self.extract(n=n, weights=True, shard_size=1000)
        in_memory = FeatureCache(dense_model()).extract(
            vectors(n), np.arange(n) % 3, sample_weight=np.linspace(0.1, 1, n).astype("float32"),
            batch_size=8)
        files = sorted(f for f in os.listdir(path) if f.endswith(".tfrecord"))
        # A batch of 8 is ~690 bytes on disk (512 of features): two per file.
        self.assertEqual(files, ["shard-00000.tfrecord", "shard-00001.tfrecord",
                                 "shard-00002.tfrecord"])
        streamed, in_memory = list(streamed), list(in_memory)
        self.assertEqual([len(b[1]) for b in streamed], [8, 8, 8, 8, 5])
        self.assertEqual(len(streamed), len(in_memory))
        for a, b in zip(streamed, in_memory):
            for x, y in zip(a, b):
                self.assertEqual(x.dtype, y.dtype)
                self.assertAllEqual(x, y)  # bit-exact, not close
        # A second pass, and a second cache reading the files, give the same.
        again = FeatureCache(dense_model(), directory=os.path.dirname(path))
        with mock.patch.object(again.feature_extractor, "predict_on_batch") as predict:
            reread = list(again.extract(vectors(n), np.arange(n) % 3,
                                        sample_weight=np.linspace(0.1, 1, n).astype("float32"),
                                        batch_size=8, name="train"))
        predict.assert_not_called()
        for a, b in zip(streamed, reread):
            self.assertAllEqual(a[0], b[0])

    def test_training_on_streamed_features_equals_in_memory(self):
        streamed_model, memory_model = dense_model(), dense_model()
        data = (vectors(40), np.arange(40) % 3)
        streamed = FeatureCache(streamed_model, directory=self.temp_dir(), shard_size=1)
        streamed.fit(streamed.extract(*data, batch_size=8, name="t"), epochs=3, verbose=0)
        memory = FeatureCache(memory_model)
        memory.fit(memory.extract(*data, batch_size=8), epochs=3, verbose=0)
        for a, b in zip(streamed_model.get_layer("head").weights,
                        memory_model.get_layer("head").weights):
            self.assertAllEqual(a.numpy(), b.numpy())
        self.assertEqual(int(streamed_model.optimizer.iterations), 15)

    def test_extraction_never_concatenates(self):
        with mock.patch.object(feature_cache, "_concat") as concat:
            _, data, _ = self.extract()
            self.assertEqual(sum(len(y) for _, y in data), 40)
        concat.assert_not_called()

    def test_stream_opens_files_one_after_the_other(self):
        # 10 files of one batch each. Once the first batch has come, the last
        # five files are deleted: a stream that had read every file up front
        # would not notice; this one fails when it reaches them.
        _, data, path = self.extract(n=80, batch_size=8)
        self.assertEqual(len([f for f in os.listdir(path) if f.endswith(".tfrecord")]), 10)
        iterator = iter(data)
        first = next(iterator)
        self.assertEqual(len(first[1]), 8)
        for i in range(5, 10):
            os.remove(os.path.join(path, f"shard-{i:05d}.tfrecord"))
        seen = 1
        with self.assertRaises(tf.errors.NotFoundError):
            for _ in iterator:
                seen += 1
        self.assertGreaterEqual(seen, 5)
        self.assertLess(seen, 10)

    def test_shuffle_on_disk_reorders_every_epoch(self):
        cache = FeatureCache(dense_model(), directory=self.temp_dir(), shard_size=1)
        x, y = vectors(40), np.arange(40)  # labels identify the examples
        data = cache.extract(x, y, batch_size=8, name="ids", shuffle=True, seed=1)
        first = [(f, label) for batch_x, batch_y in data for f, label in zip(batch_x, batch_y)]
        second = np.concatenate([labels for _, labels in data])
        self.assertEqual(sorted(label for _, label in first), list(range(40)))
        self.assertNotAllEqual([label for _, label in first], second)
        self.assertNotAllEqual([label for _, label in first], y)
        self.assertEqual([len(labels) for _, labels in data], [8] * 5)
        # Each feature row still travels with its own label.
        expected = cache.feature_extractor.predict(x, verbose=0)
        for features, label in first:
            self.assertAllEqual(features, expected[label])

    def test_file_autoshard_gives_each_worker_its_own_files(self):
        # Labels 0..39 identify the examples. TensorFlow's FILE auto-shard
        # rewrite (what MultiWorkerMirroredStrategy applies) gives worker i
        # files i, i+2, ...: disjoint, together everything.
        directory = self.temp_dir()
        cache = FeatureCache(dense_model(), directory=directory, shard_size=1)
        y = np.arange(40)
        for shuffle in (False, True):
            data = cache.extract(vectors(40), y, batch_size=8, name="ids", shuffle=shuffle,
                                 seed=0)
            self.assertEqual(data.options().experimental_distribute.auto_shard_policy,
                             tf.data.experimental.AutoShardPolicy.FILE)
            worker0, worker1 = labels_per_worker(data, 2)
            self.assertEqual(set(worker0) & set(worker1), set())
            self.assertEqual(sorted(np.concatenate([worker0, worker1])), list(range(40)))
            if not shuffle:
                self.assertAllEqual(worker0, [*range(0, 8), *range(16, 24), *range(32, 40)])

    def test_changed_or_stale_files_are_refused(self):
        directory = self.temp_dir()
        _, _, path = self.extract(directory=directory, shard_size=600)

        def again():
            return self.extract(directory=directory, shard_size=600)

        shard = os.path.join(path, "shard-00001.tfrecord")
        with open(shard, "rb") as f:
            original = f.read()
        tampered = bytearray(original)
        tampered[len(tampered) // 2] ^= 1
        with open(shard, "wb") as f:
            f.write(bytes(tampered))
        with self.assertRaisesRegex(ValueError, r"does not match its manifest: "
                                                r"shard-00001.tfrecord was changed \(SHA-256 "
                                                r"differs\)\. Delete '.*train'"):
            again()
        with open(shard, "wb") as f:
            f.write(original[:-3])
        with self.assertRaisesRegex(ValueError, rf"shard-00001.tfrecord has "
                                                rf"{len(original) - 3} bytes, not "
                                                rf"{len(original)}"):
            again()
        os.remove(shard)
        with self.assertRaisesRegex(ValueError, r"shard-00001.tfrecord is missing"):
            again()
        with open(shard, "wb") as f:
            f.write(original)
        self.assertEqual(sum(len(y) for _, y in again()[1]), 40)  # repaired: loads again

        manifest_path = os.path.join(path, "manifest.json")
        with open(manifest_path) as f:
            manifest = f.read()
        for old, new, message in (
                ('"float32"', '"object"', r"tensor spec"),
                ('"shard-00000.tfrecord"', '"../../etc/passwd"', r"file name '../../etc/passwd'"),
                ('"format": 2', '"format": 1', r"format 1, expected 2")):
            with open(manifest_path, "w") as f:
                f.write(manifest.replace(old, new, 1))
            with self.assertRaisesRegex(ValueError, rf"The manifest of the feature cache in "
                                                    rf"'.*train' is invalid \({message}"):
                again()
        with open(manifest_path, "w") as f:
            f.write(manifest)
        # Other data under the same name: stale.
        cache = FeatureCache(dense_model(), directory=directory)
        with self.assertRaisesRegex(ValueError, r"computed from other data"):
            cache.extract(vectors(40, seed=1), np.arange(40) % 3, batch_size=8, name="train")
        # A folder of the older .npy format, or of something else.
        old = os.path.join(directory, "old")
        os.makedirs(old)
        with open(os.path.join(old, "meta.json"), "w") as f:
            f.write("{}")
        with self.assertRaisesRegex(ValueError, r"older keras_transfer.*Delete '.*old'"):
            cache.extract(vectors(8), np.arange(8) % 3, name="old")
        with self.assertRaisesRegex(ValueError, r"`shard_size` must be"):
            FeatureCache(dense_model(), directory=directory, shard_size=0)


@pytest.mark.large
class FeatureCacheLargeTest(TestCase):
    def test_efficientnet_lite0_cache_is_exact_and_faster(self):
        try:
            conversion.backbone_path("efficientnet_lite0")
        except Exception as error:  # noqa: BLE001 (conversion needs the wheel)
            require(False, f"efficientnet_lite0 is not available: {error}")

        def build():
            keras.utils.set_random_seed(0)
            return build_image_classifier("efficientnet_lite0", 4, trainable=False,
                                          dropout=0.2, learning_rate=1e-3)

        rng = np.random.default_rng(0)
        x = (rng.random((64, 96, 96, 3)) * 255).astype("float32")
        data = tf.data.Dataset.from_tensor_slices((x, np.arange(64) % 4)).batch(16)
        end_to_end, cached = build(), build()
        timer = _EpochTimer()
        end_to_end.fit(data, epochs=3, shuffle=False, verbose=0, callbacks=[timer])
        full_epoch = float(np.median(timer.seconds[1:]))  # the first epoch traces
        cache = FeatureCache(cached)
        features = cache.extract(data)
        timer = _EpochTimer()
        cache.fit(features, epochs=3, verbose=0, callbacks=[timer])
        cached_epoch = float(np.median(timer.seconds[1:]))
        for a, b in zip(end_to_end.get_layer("head").weights, cached.get_layer("head").weights):
            self.assertTrue(np.allclose(a.numpy(), b.numpy(), atol=1e-6, rtol=0), a.path)
        self.assertGreater(full_epoch / cached_epoch, 5.0)


class _EpochTimer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)
