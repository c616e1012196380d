"""HubBackbone: the behaviours tensorflow_hub's keras_layer_test checks, on Keras 3."""

import hashlib
import json
import os
import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.layers.hub_backbone import HubBackbone
from keras_transfer.testing import TestCase
from tests import savedmodels


class HubBackboneTest(TestCase):
    def setUp(self):
        super().setUp()
        self.root = self.temp_dir()

    def _image_model(self, trainable, **kwargs):
        backbone = HubBackbone(savedmodels.image_feature_vector(self.temp_dir()), trainable=trainable,
                               name="backbone", **kwargs)
        model = keras.Sequential([keras.Input((8, 8, 3)), backbone,
                                  keras.layers.Dense(2, name="head")])
        return model, backbone

    # --------------------------------------------------------------- training
    def test_trainable_backbone_is_fine_tuned_by_fit(self):
        model, backbone = self._image_model(trainable=True)
        x, y = savedmodels.images(16), np.arange(16) % 2
        before = self.weights_snapshot(backbone.trainable_weights)
        model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
        history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
        self.assertLess(history.history["loss"][-1], history.history["loss"][0])
        self.assertLen(backbone.trainable_weights, 8)
        for old, new in zip(before, backbone.trainable_weights):
            self.assertFalse(np.array_equal(old, new.numpy()), new.path)
        # The layer's weights ARE the SavedModel's variables, not copies.
        saved = {v.name.split(":")[0]: v for v in backbone._loaded.variables}
        kernel = saved["block1_conv/kernel"]
        self.assertAllEqual(kernel.numpy(), backbone.weights[0].numpy())

    def test_auto_jit_compile_does_not_pick_xla(self):
        model, backbone = self._image_model(trainable=True)
        self.assertFalse(backbone.supports_jit)
        model.compile("adam", "sparse_categorical_crossentropy", jit_compile="auto")
        self.assertFalse(model.jit_compile)

    def test_frozen_backbone_is_byte_identical_and_bn_does_not_move(self):
        model, backbone = self._image_model(trainable=False)
        before = self.weights_snapshot(backbone.weights)
        head_before = self.weights_snapshot(model.layers[-1].weights)
        self.assertEmpty(backbone.trainable_weights)
        self.run_fit_smoke(model, savedmodels.images(16), np.arange(16) % 2, epochs=2)
        for old, new in zip(before, backbone.weights):
            self.assertTrue(np.array_equal(old, new.numpy()), new.path)
        self.assertFalse(np.array_equal(head_before[0], model.layers[-1].weights[0].numpy()))

    def test_batchnorm_statistics_move_only_when_trainable(self):
        model, backbone = self._image_model(trainable=True)
        moving = [v for v in backbone.weights if "moving_mean" in v.path][0]
        self.run_fit_smoke(model, savedmodels.images(8), np.arange(8) % 2, epochs=1)
        self.assertGreater(float(np.abs(moving.numpy()).max()), 0.0)

        model, backbone = self._image_model(trainable=True, inference_mode=True)
        moving = [v for v in backbone.weights if "moving_mean" in v.path][0]
        self.run_fit_smoke(model, savedmodels.images(8), np.arange(8) % 2, epochs=1)
        self.assertEqual(float(np.abs(moving.numpy()).max()), 0.0)

    def test_regularization_loss_counts_only_when_trainable(self):
        x = savedmodels.images(2)
        _, trainable = self._image_model(trainable=True)
        trainable(x)
        self.assertLen(trainable.losses, 1)
        expected = 0.01 * np.sum(np.square(trainable.weights[0].numpy()))
        self.assertAllClose(float(trainable.losses[0]), expected, rtol=1e-5)

        _, frozen = self._image_model(trainable=False)
        frozen(x)
        self.assertEmpty(frozen.losses)

    # --------------------------------------------------------- dict / list io
    def test_bert_style_dict_inputs_and_outputs(self):
        encoder_path = savedmodels.bert_encoder(self.root)
        preprocess = HubBackbone(savedmodels.string_preprocessor(self.root), name="pre")
        encoder = HubBackbone(encoder_path, trainable=True, name="encoder")
        text = keras.Input((), dtype="string")
        outputs = encoder(preprocess(text))
        self.assertEqual(sorted(outputs), ["pooled_output", "sequence_output"])
        logits = keras.layers.Dense(2)(outputs["pooled_output"])
        model = keras.Model(text, logits)
        sentences = tf.constant(["a cat sat", "stock markets fell", "hello", "the end"])
        before = self.weights_snapshot(encoder.trainable_weights)
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(sentences, np.array([0, 1, 0, 1]), epochs=2, verbose=0)
        changed = [not np.array_equal(b, v.numpy()) for b, v in zip(before, encoder.trainable_weights)]
        self.assertTrue(all(changed))

        picked = HubBackbone(encoder_path, output_key="sequence_output")
        ids = {k: tf.ones([2, 8], tf.int32) for k in
               ["input_word_ids", "input_mask", "input_type_ids"]}
        self.assertEqual(tuple(picked(ids).shape), (2, 8, 8))

    def test_compute_output_shape_like_hub_keras_layer(self):
        """Issue 11 item 10: hub.KerasLayer supports it; ours raised NotImplementedError."""
        image = HubBackbone(savedmodels.image_feature_vector(self.root))
        self.assertEqual(image.compute_output_shape((None, 8, 8, 3)), (None, 5))
        self.assertEqual(image.compute_output_shape((3, 16, 16, 3)), (3, 5))
        encoder_path = savedmodels.bert_encoder(self.root)
        shapes = {k: (2, 7) for k in ["input_word_ids", "input_mask", "input_type_ids"]}
        self.assertEqual(
            HubBackbone(encoder_path, output_key="sequence_output").compute_output_shape(shapes),
            (2, 7, 8))
        self.assertEqual(HubBackbone(encoder_path).compute_output_shape(shapes),
                         {"pooled_output": (2, 8), "sequence_output": (2, 7, 8)})
        signature_shapes = {"inputs": (None, 7), "inputs_1": (None, 7), "inputs_2": (None, 7)}
        outputs = HubBackbone(encoder_path, signature="serving_default",
                              signature_outputs_as_dict=True)
        self.assertEqual(outputs.compute_output_shape(signature_shapes),
                         {"pooled_output": (None, 8), "sequence_output": (None, 7, 8)})
        pooled = HubBackbone(encoder_path, signature="serving_default", output_key="pooled_output")
        self.assertEqual(pooled.compute_output_shape(signature_shapes), (None, 8))
        # It agrees with a real call, and adds no loss while tracing.
        actual = HubBackbone(encoder_path, trainable=True)(
            {k: tf.ones(v, tf.int32) for k, v in shapes.items()})
        self.assertEqual(tuple(actual["sequence_output"].shape), (2, 7, 8))
        regularized = HubBackbone(savedmodels.image_feature_vector(self.temp_dir()), trainable=True)
        regularized.compute_output_shape((None, 8, 8, 3))
        self.assertEmpty(regularized.losses)

    def test_trainable_without_trainable_variables_warns_once(self):
        path = savedmodels.string_preprocessor(self.root)
        with self.assertWarnsRegex(UserWarning, "declares no trainable variables"):
            layer = HubBackbone(path, trainable=True, name="pre")
        import warnings

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            layer.trainable = False
            layer.trainable = True
            HubBackbone(savedmodels.image_feature_vector(self.root), trainable=True)
        self.assertEqual([str(w.message) for w in caught], [])

    def test_guide_training_false_trap_warns_once_and_inference_mode_avoids_it(self):
        """Issue 11 item 11: keras.io's `base(inputs, training=False)` pattern."""
        import warnings

        def guide_model(**kwargs):
            base = HubBackbone(savedmodels.image_feature_vector(self.temp_dir()), name="base",
                               **kwargs)
            inputs = keras.Input((8, 8, 3))
            outputs = keras.layers.Dense(2)(base(inputs, training=False))
            model = keras.Model(inputs, outputs)
            base.trainable = True  # the guide's fine-tuning step
            model.compile(keras.optimizers.SGD(0.01), "sparse_categorical_crossentropy")
            return model, [v for v in base.weights if "moving_mean" in v.path][0]

        x, y = savedmodels.images(8), np.arange(8) % 2
        model, moving = guide_model()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(x, y, epochs=2, batch_size=4, verbose=0)
        trap = [w for w in caught if "was called with `training=False`" in str(w.message)]
        self.assertLen(trap, 1)
        self.assertIn("inference_mode=True", str(trap[0].message))
        # Keras 3 semantics: BatchNorm statistics DID move despite training=False.
        self.assertGreater(float(np.abs(moving.numpy()).max()), 0.0)

        model, moving = guide_model(inference_mode=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(x, y, epochs=1, batch_size=4, verbose=0)
        self.assertEqual([w for w in caught if "training=False" in str(w.message)], [])
        self.assertEqual(float(np.abs(moving.numpy()).max()), 0.0)

    def test_list_outputs(self):
        inputs = keras.Input((4,))
        a = keras.layers.Dense(3, name="block1_dense")(inputs)
        b = keras.layers.Dense(2, name="block2_dense")(a)
        path = os.path.join(self.root, "listout")
        from keras_transfer.backbones.hub_format import save_hub_savedmodel

        save_hub_savedmodel(keras.Model(inputs, [a, b]), path, tf.TensorSpec([None, 4], tf.float32))
        outputs = HubBackbone(path)(np.ones((2, 4), np.float32))
        self.assertLen(outputs, 2)
        self.assertEqual([tuple(o.shape) for o in outputs], [(2, 3), (2, 2)])

    def test_signature_rules_and_errors_list_what_is_available(self):
        path = savedmodels.image_feature_vector(self.root)
        layer = HubBackbone(path, signature="serving_default", output_key="default")
        self.assertEqual(tuple(layer(savedmodels.images(2)).shape), (2, 5))
        as_dict = HubBackbone(path, signature="serving_default", signature_outputs_as_dict=True)
        self.assertEqual(list(as_dict(savedmodels.images(2))), ["default"])
        with self.assertRaisesRegex(ValueError, r"Available signatures: \['serving_default'\]"):
            HubBackbone(path, signature="nope", output_key="default")
        with self.assertRaisesRegex(ValueError, "exactly one of `output_key`"):
            HubBackbone(path, signature="serving_default")
        with self.assertRaisesRegex(ValueError, "only valid with a `signature`"):
            HubBackbone(path, signature_outputs_as_dict=True)
        with self.assertRaisesRegex(ValueError, "not supported when calling a signature"):
            HubBackbone(path, signature="serving_default", output_key="default", trainable=True)
        bad_key = HubBackbone(savedmodels.bert_encoder(self.root), output_key="pooled")
        ids = {k: tf.ones([1, 4], tf.int32) for k in ["input_word_ids", "input_mask", "input_type_ids"]}
        with self.assertRaisesRegex(ValueError, r"Available output keys: \['pooled_output', 'sequence_output'\]"):
            bad_key(ids)

    def test_bad_inputs_get_clear_errors(self):
        layer = HubBackbone(savedmodels.bert_encoder(self.root))
        with self.assertRaisesRegex(ValueError, r"Missing input\(s\) \['input_type_ids'\]"):
            layer({"input_word_ids": tf.ones([1, 4], tf.int32), "input_mask": tf.ones([1, 4], tf.int32)})
        with self.assertRaisesRegex(ValueError, "has dtype float32, but the SavedModel expects dtype=int32"):
            layer({k: tf.ones([1, 4]) for k in ["input_word_ids", "input_mask", "input_type_ids"]})
        image = HubBackbone(savedmodels.image_feature_vector(self.root))
        with self.assertRaisesRegex(ValueError, r"has shape \(8, 8, 3\), but the SavedModel expects"):
            image(np.ones((8, 8, 3), np.float32))

    def test_missing_path_and_offline_url_errors(self):
        with self.assertRaisesRegex(FileNotFoundError, "the path does not exist"):
            HubBackbone(os.path.join(self.root, "missing"))
        empty = os.path.join(self.root, "empty")
        os.makedirs(empty)
        with self.assertRaisesRegex(FileNotFoundError, "holds no saved_model.pb"):
            HubBackbone(empty)
        with self.assertRaises(ValueError):
            HubBackbone(42)

    def test_url_offline_error_names_the_cache(self):
        import tensorflow_hub

        url = "https://tfhub.dev/google/imagenet/mobilenet_v2_100_224/feature_vector/5"
        cache = os.path.join(self.root, "hubcache")
        original = tensorflow_hub.resolve

        def offline(handle):
            raise OSError("network is unreachable")

        tensorflow_hub.resolve = offline
        try:
            os.environ["TFHUB_CACHE_DIR"] = cache
            with self.assertRaisesRegex(OSError, "copy the extracted SavedModel to .*" +
                                        hashlib.sha1(url.encode()).hexdigest()):
                HubBackbone(url)
        finally:
            tensorflow_hub.resolve = original
            os.environ.pop("TFHUB_CACHE_DIR", None)

    def test_url_loads_from_tfhub_cache_without_network(self):
        url = "https://tfhub.dev/keras-transfer/test/feature_vector/1"
        cache = os.path.join(self.root, "hubcache")
        target = os.path.join(cache, hashlib.sha1(url.encode()).hexdigest())
        shutil.copytree(savedmodels.image_feature_vector(self.root), target)
        with open(target + ".descriptor.txt", "w") as f:
            f.write(f"Module: {url}\n")
        os.environ["TFHUB_CACHE_DIR"] = cache
        try:
            layer = HubBackbone(url)
        finally:
            os.environ.pop("TFHUB_CACHE_DIR", None)
        self.assertEqual(tuple(layer(savedmodels.images(1)).shape), (1, 5))

    def test_tf1_hub_format_refuses_trainable(self):
        path = savedmodels.image_feature_vector(self.root)
        open(os.path.join(path, "tfhub_module.pb"), "wb").close()
        with self.assertRaisesRegex(ValueError, "not supported for TF1 Hub-format"):
            HubBackbone(path, trainable=True)

    # ------------------------------------------------------- other producers
    def test_savedmodel_written_by_tf_keras(self):
        path, reference = savedmodels.tf_keras_model(self.root)
        layer = HubBackbone(path, trainable=True)
        x = np.random.default_rng(0).random((4, 6), dtype=np.float32)
        self.assertAllClose(layer(x), reference(x, training=False).numpy(), atol=1e-6)
        self.assertLen(layer.trainable_weights, 6)
        self.assertLen(layer.non_trainable_weights, 2)
        layer(x, training=True)
        self.assertLen(layer.losses, 1)
        model = keras.Sequential([keras.Input((6,)), layer, keras.layers.Dense(2)])
        before = self.weights_snapshot(layer.trainable_weights)
        self.run_fit_smoke(model, x, np.array([0, 1, 0, 1]), epochs=2)
        self.assertFalse(np.array_equal(before[0], layer.trainable_weights[0].numpy()))

    def test_waveform_model(self):
        layer = HubBackbone(savedmodels.waveform_model(self.root), trainable=True)
        wave = keras.Input((1600,))
        model = keras.Model(wave, keras.layers.Dense(3)(layer(wave)))
        x = np.random.default_rng(0).standard_normal((6, 1600)).astype("float32")
        history = self.run_fit_smoke(model, x, np.arange(6) % 3, epochs=3)
        self.assertLess(history.history["loss"][-1], history.history["loss"][0])

    def test_keras_export_artifact_via_signature(self):
        model, _ = self._image_model(trainable=False)
        path = os.path.join(self.root, "exported")
        model.export(path, verbose=False)
        layer = HubBackbone(path, signature="serving_default", output_key="output_0")
        x = savedmodels.images(3)
        self.assertAllClose(layer(x), model.predict(x, verbose=0), atol=1e-6)

    # ------------------------------------------------------------ serialization
    def test_config_round_trip_and_safe_mode(self):
        path = savedmodels.image_feature_vector(self.root)
        layer = HubBackbone(path, trainable=True, groups=[("low", "block1"), ("rest", ".*")])
        config = json.loads(json.dumps(layer.get_config()))
        self.assertEqual(config["handle"], path)
        self.assertEqual(config["groups"], [["low", "block1"], ["rest", ".*"]])
        with self.assertRaisesRegex(ValueError, "safe mode"):
            HubBackbone.from_config(config, safe_mode=True)
        clone = HubBackbone.from_config(config, safe_mode=False)
        self.assertEqual([g.name.split("/")[1] for g in clone.layer_groups], ["low", "rest"])
        loaded = tf.saved_model.load(path)
        with self.assertRaisesRegex(NotImplementedError, "cannot be serialized"):
            HubBackbone(loaded).get_config()

    def test_keras_file_round_trip_keeps_fine_tuned_weights(self):
        model, backbone = self._image_model(trainable=True)
        self.run_fit_smoke(model, savedmodels.images(8), np.arange(8) % 2, epochs=1)
        reloaded = self.run_serialization_test(model, savedmodels.images(4))
        self.assertAllEqual(reloaded.layers[0].weights[0].numpy(), backbone.weights[0].numpy())
        with self.assertRaisesRegex(ValueError, "safe mode"):
            path = os.path.join(self.temp_dir(), "m.keras")
            model.save(path)
            keras.saving.load_model(path)

    def test_model_export_reloads_in_fresh_process(self):
        model, _ = self._image_model(trainable=True)
        self.run_fit_smoke(model, savedmodels.images(8), np.arange(8) % 2, epochs=1)
        x = savedmodels.images(3, seed=5)
        expected = model.predict(x, verbose=0)
        path = os.path.join(self.root, "export")
        model.export(path, verbose=False)
        np.save(os.path.join(self.root, "x.npy"), x)
        out = self.run_in_subprocess(
            "import numpy as np, tensorflow as tf\n"
            f"m = tf.saved_model.load({path!r})\n"
            f"x = np.load({os.path.join(self.root, 'x.npy')!r})\n"
            "print(repr(m.serve(x).numpy().tolist()))\n"
        )
        self.assertAllClose(np.array(eval(out.strip().splitlines()[-1])), expected, atol=1e-6)

    # ---------------------------------------------------------- mixed precision
    def test_mixed_precision_policies(self):
        for policy, dtype in [("mixed_bfloat16", "bfloat16"), ("mixed_float16", "float16")]:
            keras.config.set_dtype_policy(policy)
            model, backbone = self._image_model(trainable=True)
            features = backbone(savedmodels.images(2))
            self.assertEqual(features.dtype, tf.as_dtype(dtype))
            self.assertEqual(backbone.weights[0].dtype, "float32")
            history = self.run_fit_smoke(model, savedmodels.images(8), np.arange(8) % 2, epochs=1)
            self.assertTrue(np.isfinite(history.history["loss"][0]))
            # Re-save under the policy and reload.
            self.run_serialization_test(model, savedmodels.images(2), atol=1e-2)
            keras.config.set_dtype_policy("float32")

    # ---------------------------------------------------------------- groups
    def test_layer_groups_follow_the_variable_structure(self):
        backbone = HubBackbone(savedmodels.bert_encoder(self.root, num_layers=3), name="enc")
        names = [g.name for g in backbone.layer_groups]
        self.assertEqual(names, ["enc/stem", "enc/transformer_layer_0", "enc/transformer_layer_1",
                                 "enc/transformer_layer_2", "enc/top"])
        self.assertIn("enc/word_embeddings__embeddings", backbone.layer_groups[0].paths)
        with self.assertRaisesRegex(ValueError, "left .* without a group"):
            HubBackbone(savedmodels.bert_encoder(self.root, name="b2"), groups=["embeddings"])

    # ---------------------------------------------------------- distribution
    def test_mirrored_strategy_matches_single_device(self):
        x, y = savedmodels.images(16), np.arange(16) % 2

        def train(strategy):
            keras.utils.set_random_seed(7)
            with strategy.scope():
                backbone = HubBackbone(savedmodels.image_feature_vector(self.temp_dir()),
                                       trainable=True)
                model = keras.Sequential([keras.Input((8, 8, 3)), backbone,
                                          keras.layers.Dense(2, kernel_initializer="ones")])
                model.compile(keras.optimizers.SGD(0.05), "sparse_categorical_crossentropy")
            initial = backbone.trainable_weights[0].numpy().copy()
            model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
            self.assertFalse(np.allclose(initial, backbone.trainable_weights[0].numpy()))
            return [v.numpy() for v in backbone.trainable_weights]

        single = train(tf.distribute.get_strategy())
        mirrored = train(self.mirrored_strategy())
        for a, b in zip(single, mirrored):
            self.assertAllClose(a, b, atol=1e-5)


@pytest.mark.parametrize("trainable", [True, False])
def test_sequential_and_functional_models_agree(tmp_path, trainable):
    path = savedmodels.image_feature_vector(str(tmp_path))
    x = savedmodels.images(2)
    sequential = keras.Sequential([keras.Input((8, 8, 3)), HubBackbone(path, trainable=trainable)])
    inputs = keras.Input((8, 8, 3))
    functional = keras.Model(inputs, HubBackbone(path, trainable=trainable)(inputs))
    np.testing.assert_allclose(sequential(x), functional(x), atol=1e-6)
