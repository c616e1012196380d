"""required_custom_ops: which ops of an export stock TF Serving cannot run."""

import os

import tensorflow as tf

from keras_transfer.export.export_for_serving import export_for_serving
from keras_transfer.export.required_custom_ops import required_custom_ops
from keras_transfer.testing import TestCase
from tests.export import tiny_classifiers as tiny


class RequiredCustomOpsTest(TestCase):
    def test_core_only_graph_needs_nothing(self):
        module = tf.Module()
        module.f = tf.function(
            lambda text: tf.strings.to_hash_bucket_fast(tf.strings.lower(text), 9),
            input_signature=[tf.TensorSpec([None], tf.string)],
        )
        path = os.path.join(self.temp_dir(), "core")
        tf.saved_model.save(module, path)
        self.assertEqual(required_custom_ops(path), [])

    def test_tf_text_model_lists_its_ops(self):
        root = self.temp_dir()
        model = tiny.tf_text_classifier(root)
        path = export_for_serving(model, os.path.join(root, "m"), warmup=False)
        self.assertEqual(
            required_custom_ops(path),
            ["CaseFoldUTF8", "NormalizeUTF8", "RegexSplitWithOffsets",
             "WordpieceTokenizeWithOffsets"],
        )
        # With the ops registered (tensorflow_text imported), it loads and serves.
        served = tf.saved_model.load(path).signatures["serving_default"]
        got = served(text=tf.constant(["Good acting", "bad movie"]))["probabilities"]
        want = model.predict(tf.constant(["Good acting", "bad movie"]), verbose=0)
        self.assertAllClose(got, want, atol=1e-6, rtol=0)
        self.assertGreater(abs(float(want[0, 0] - want[1, 0])), 1e-4)

    def test_python_callbacks_are_listed(self):
        module = tf.Module()
        module.f = tf.function(
            lambda x: tf.py_function(lambda v: v * 2.0, [x], tf.float32),
            input_signature=[tf.TensorSpec([None], tf.float32)],
        )
        path = os.path.join(self.temp_dir(), "py")
        tf.saved_model.save(module, path)
        self.assertEqual(required_custom_ops(path), ["EagerPyFunc"])

    def test_missing_saved_model(self):
        folder = self.temp_dir()
        with self.assertRaisesRegex(FileNotFoundError, r"`saved_model.pb` is missing.*"
                                                       r"Received: version_dir="):
            required_custom_ops(folder)
