"""keras_transfer/export/archive.py: each weight stored once in a SavedModel."""

import os
import shutil
import tempfile

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.export.archive import export_saved_model
from keras_transfer.export.export_for_serving import export_for_serving
from keras_transfer.testing import TestCase
from tests.export import tiny_classifiers as tiny


def stored_values(path):
    """How many numbers the SavedModel's checkpoint holds (all variables)."""
    prefix = os.path.join(path, "variables", "variables")
    return sum(int(np.prod(shape)) for name, shape in tf.train.list_variables(prefix)
               if name != "_CHECKPOINTABLE_OBJECT_GRAPH")


class ArchiveTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = tempfile.mkdtemp()
        cls.addClassCleanup(shutil.rmtree, cls.root, ignore_errors=True)

    def test_export_saved_model_stores_each_weight_once(self):
        keras.utils.set_random_seed(0)
        inputs = keras.Input((6,), name="features")
        x = keras.layers.Dense(64, activation="relu")(inputs)
        x = keras.layers.BatchNormalization()(x)  # non-trainable statistics too
        model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
        path = os.path.join(self.root, "dense")
        export_saved_model(model, path)
        # Keras 3.15's model.export stores 2 x count_params (keras #23553).
        self.assertEqual(stored_values(path), model.count_params())

        x = np.random.default_rng(0).normal(size=(5, 6)).astype("float32")
        revived = tf.saved_model.load(path)
        self.assertAllClose(revived.serve(x), model(x), atol=1e-6)
        self.assertAllClose(revived.signatures["serving_default"](features=x)["output_0"],
                            model(x), atol=1e-6)
        # The collections TFSMLayer reads survive, one variable each.
        self.assertEqual(len(revived.variables), len(model.variables))
        self.assertEqual(len(revived.trainable_variables), len(model.trainable_variables))
        self.assertEqual(len(revived.non_trainable_variables),
                         len(model.non_trainable_variables))
        layer = keras.layers.TFSMLayer(path, call_endpoint="serve")
        self.assertEqual(len(layer.weights), len(model.weights))
        self.assertAllClose(layer(x), model(x), atol=1e-6)

    def test_dict_inputs(self):
        inputs = {name: keras.Input((None,), dtype="int32", name=name)
                  for name in ("input_word_ids", "input_mask")}
        x = keras.layers.Embedding(50, 4)(inputs["input_word_ids"])
        x = x * keras.ops.expand_dims(keras.ops.cast(inputs["input_mask"], "float32"), -1)
        x = keras.layers.GlobalAveragePooling1D()(x)
        model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))
        path = os.path.join(self.root, "dict")
        export_saved_model(model, path)
        self.assertEqual(stored_values(path), model.count_params())
        batch = {"input_word_ids": np.array([[3, 4, 0]], "int32"),
                 "input_mask": np.array([[1, 1, 0]], "int32")}
        revived = tf.saved_model.load(path)  # kept: its variables die with it
        self.assertAllClose(revived.serve(batch), model(batch), atol=1e-6)

    def test_serving_export_of_a_hub_text_classifier_stores_each_weight_once(self):
        model = tiny.text_classifier(os.path.join(self.root, "hub"))
        path = export_for_serving(model, os.path.join(self.root, "served"), warmup=False)
        self.assertEqual(stored_values(path), model.count_params())
        revived = tf.saved_model.load(path)
        served = revived.signatures["serving_default"](text=tf.constant(tiny.TEXTS))
        self.assertAllClose(served["probabilities"],
                            model.predict(tf.constant(tiny.TEXTS), verbose=0), atol=1e-5)
