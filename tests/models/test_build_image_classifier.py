import shutil
import tempfile

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.backbones import conversion, registry
from keras_transfer.layers.hub_backbone import HubBackbone
from keras_transfer.models.build_image_classifier import build_image_classifier
from keras_transfer.testing import TestCase
from keras_transfer.testing import require
from tests import savedmodels


def pixels(n=8, height=10, width=12, seed=0, dtype="uint8"):
    rng = np.random.default_rng(seed)
    return (rng.random((n, height, width, 3)) * 255).astype(dtype)


class BuildImageClassifierTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = tempfile.mkdtemp()
        cls.path = savedmodels.image_feature_vector(cls.root)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)
        super().tearDownClass()

    def test_layers_shapes_and_preprocessing(self):
        model = build_image_classifier(self.path, 3, image_size=8, dropout=0.0)
        self.assertEqual([layer.name for layer in model.layers],
                         ["images", "preprocessing", "backbone", "head"])
        self.assertIsInstance(model.get_layer("backbone"), HubBackbone)
        x = pixels()
        probabilities = model.predict(x, verbose=0)
        self.assertEqual(probabilities.shape, (8, 3))
        self.assertEqual(probabilities.dtype, np.float32)
        self.assertAllClose(probabilities.sum(-1), np.ones(8), atol=1e-5)
        # uint8 and float32 pixels give the same output.
        self.assertAllClose(model.predict(x.astype("float32"), verbose=0), probabilities)
        # Inside: x / 255, resized to 8x8, then the backbone and the head.
        resized = tf.image.resize(x.astype("float32") / 255.0, (8, 8))
        features = HubBackbone(self.path)(resized)
        head = model.get_layer("head")
        expected = keras.ops.softmax(features @ head.dense.kernel + head.dense.bias)
        self.assertAllClose(probabilities, expected, atol=1e-5)

    def test_frozen_backbone_stays_identical_and_head_learns(self):
        model = build_image_classifier(self.path, 2, image_size=8, trainable=False,
                                       dropout=0.0, learning_rate=0.05)
        backbone = model.get_layer("backbone")
        self.assertEmpty(backbone.trainable_weights)
        self.assertAllClose(float(model.optimizer.learning_rate), 0.05)
        before = self.weights_snapshot(backbone.weights)
        x = pixels(16)
        y = (x.astype("float32").mean(axis=(1, 2, 3)) > 127).astype("int32")
        history = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
        self.assertLess(history.history["loss"][-1], history.history["loss"][0])
        for old, new in zip(before, backbone.weights):
            self.assertTrue(np.array_equal(old, new.numpy()), new.path)

    def test_trainable_backbone_is_fine_tuned(self):
        model = build_image_classifier(self.path, 2, image_size=8, learning_rate=0.01)
        backbone = model.get_layer("backbone")
        self.assertLen(backbone.trainable_weights, 8)
        before = self.weights_snapshot(backbone.trainable_weights)
        model.fit(pixels(8), np.arange(8) % 2, epochs=1, batch_size=8, verbose=0)
        changed = [not np.array_equal(b, v.numpy())
                   for b, v in zip(before, backbone.trainable_weights)]
        self.assertTrue(all(changed))
        self.assertEqual([g.name for g in backbone.layer_groups],
                         ["backbone/block1", "backbone/block2", "backbone/top"])

    def test_default_learning_rates_and_compile(self):
        frozen = build_image_classifier(self.path, 2, image_size=8, trainable=False)
        tuned = build_image_classifier(self.path, 2, image_size=8, trainable=True)
        self.assertAllClose(float(frozen.optimizer.learning_rate), 1e-3)
        self.assertAllClose(float(tuned.optimizer.learning_rate), 1e-4)
        self.assertIsInstance(frozen.optimizer, keras.optimizers.Adam)
        self.assertIsInstance(frozen.loss, keras.losses.SparseCategoricalCrossentropy)
        self.assertFalse(build_image_classifier(self.path, 2, image_size=8,
                                                compile=False).compiled)

    def test_precision_policies_keep_float32_outputs(self):
        for precision, compute in [("float32", "float32"), ("mixed_bfloat16", "bfloat16"),
                                   ("mixed_float16", "float16")]:
            model = build_image_classifier(self.path, 3, image_size=8, precision=precision)
            self.assertEqual(keras.config.dtype_policy().name, "float32")
            self.assertEqual(model.get_layer("backbone").compute_dtype, compute)
            self.assertEqual(model.get_layer("head").compute_dtype, compute)
            self.assertEqual(model.get_layer("preprocessing").compute_dtype, "float32")
            out = model(pixels(2))
            self.assertEqual(keras.backend.standardize_dtype(out.dtype), "float32")
            self.assertEqual(isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer),
                             precision == "mixed_float16")
        history = model.fit(pixels(4), np.arange(4) % 3, epochs=1, verbose=0)
        self.assertTrue(np.isfinite(history.history["loss"][0]))

    def test_strategy_scope(self):
        strategy = self.mirrored_strategy()
        model = build_image_classifier(self.path, 2, image_size=8, strategy=strategy,
                                       trainable=False)
        self.assertIs(model.distribute_strategy, strategy)
        kernel = model.get_layer("head").dense.kernel
        self.assertIsInstance(kernel.value, tf.distribute.DistributedValues)
        history = model.fit(pixels(8), np.arange(8) % 2, epochs=1, batch_size=4, verbose=0)
        self.assertTrue(np.isfinite(history.history["loss"][0]))

    def test_serialization_round_trip(self):
        model = build_image_classifier(self.path, 3, image_size=(8, 6))
        model.fit(pixels(4), np.arange(4) % 3, epochs=1, verbose=0)
        reloaded = self.run_serialization_test(model, pixels(2, dtype="float32"))
        self.assertEqual(reloaded.get_layer("preprocessing").layers[1].get_config()["width"], 6)

    def test_registry_entry_sets_size_and_value_range(self):
        registry.register_backbone("tiny_image_test", {
            "modality": "image", "description": "test",
            "handles": {"feature_vector": self.path}, "variant": "feature_vector",
            "input": {"shape": [6, 6, 3], "range": [-1.0, 1.0]}, "inference_mode": True,
        })
        self.addCleanup(registry.BACKBONES.pop, "tiny_image_test")
        model = build_image_classifier("tiny_image_test", 2)
        backbone = model.get_layer("backbone")
        self.assertEqual(backbone.handle, "tiny_image_test/feature_vector")
        self.assertTrue(backbone.inference_mode)
        scaled = model.get_layer("preprocessing")(np.full((1, 4, 4, 3), 255.0, "float32"))
        self.assertEqual(tuple(scaled.shape), (1, 6, 6, 3))
        self.assertAllClose(scaled, np.ones((1, 6, 6, 3)))
        zero = model.get_layer("preprocessing")(np.zeros((1, 4, 4, 3), "float32"))
        self.assertAllClose(zero, -np.ones((1, 6, 6, 3)))

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, r"Unknown backbone 'efficientnet_l0'\. "
                                                r"Registered image backbones: "
                                                r"\[.*'efficientnet_lite0'"):
            build_image_classifier("efficientnet_l0", 2)
        with self.assertRaisesRegex(ValueError, r"`backbone='minilm_l6'` is a text backbone.*"
                                                r"keras_transfer.build_text_classifier"):
            build_image_classifier("minilm_l6", 2)
        with self.assertRaisesRegex(ValueError, r"`num_classes` must be an integer >= 2.*"
                                                r"Received: num_classes=1"):
            build_image_classifier(self.path, 1, image_size=8)
        with self.assertRaisesRegex(ValueError, r"`image_size` is required"):
            build_image_classifier(self.path, 2)
        with self.assertRaisesRegex(ValueError, r"Received: image_size=\(8, 0\)"):
            build_image_classifier(self.path, 2, image_size=(8, 0))
        with self.assertRaisesRegex(ValueError, r"`precision` must be one of .*"
                                                r"Received: precision='bfloat16'"):
            build_image_classifier(self.path, 2, image_size=8, precision="bfloat16")
        with self.assertRaisesRegex(ValueError, r"Received: learning_rate=-1"):
            build_image_classifier(self.path, 2, image_size=8, learning_rate=-1)
        with self.assertRaisesRegex(ValueError, r"Received: dropout=1.5"):
            build_image_classifier(self.path, 2, image_size=8, dropout=1.5)


@pytest.mark.large
class BuildImageClassifierLargeTest(TestCase):
    def test_efficientnet_lite0_end_to_end(self):
        try:
            conversion.backbone_path("efficientnet_lite0")
        except Exception as error:  # noqa: BLE001 (conversion needs the wheel)
            require(False, f"efficientnet_lite0 is not available: {error}")
        model = build_image_classifier("efficientnet_lite0", 2, trainable=False,
                                       learning_rate=0.01)
        self.assertEqual(model.get_layer("backbone").output.shape, (None, 1280))
        rng = np.random.default_rng(0)
        # Bright vs dark images: an easy task for any image feature.
        x = np.concatenate([rng.uniform(0, 60, (4, 96, 96, 3)),
                            rng.uniform(190, 255, (4, 96, 96, 3))]).astype("float32")
        y = np.array([0] * 4 + [1] * 4)
        before = self.weights_snapshot(model.get_layer("backbone").weights[:5])
        history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
        self.assertLess(history.history["loss"][-1], history.history["loss"][0])
        self.assertEqual(history.history["accuracy"][-1], 1.0)
        for old, new in zip(before, model.get_layer("backbone").weights[:5]):
            self.assertTrue(np.array_equal(old, new.numpy()))
