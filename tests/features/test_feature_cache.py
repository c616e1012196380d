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
from keras_transfer.features.feature_cache import FeatureCache
from keras_transfer.models.build_image_classifier import build_image_classifier
from keras_transfer.models.build_sentence_similarity_model import (
    build_sentence_similarity_model,
)
from keras_transfer.models.build_text_classifier import build_text_classifier
from keras_transfer.testing import TestCase
from keras_transfer.testing import require
from tests import savedmodels


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
                         ["array_0.npy", "array_1.npy", "meta.json"])
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
