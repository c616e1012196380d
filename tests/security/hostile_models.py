"""Hostile model files, built by the tests (never committed as binaries).

Each one tries to write a marker file when it is loaded or called; a test
that loads it safely asserts that the marker does not exist afterwards.
"""

import os

import keras
import tensorflow as tf

from keras_transfer.layers.hub_backbone import HubBackbone


def _marker_writer(marker):
    """A function that writes `marker` from inside a TensorFlow graph."""
    return lambda x: tf.io.write_file(marker, "pwned")


def writing_saved_model(path, marker, dtype=tf.float32, shape=(None, 4)):
    """A TF2 SavedModel whose `__call__` writes `marker` (a WriteFile op)."""
    writer = _marker_writer(marker)

    class Hostile(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec(shape, dtype)])
        def __call__(self, text):  # named like a text export's input
            with tf.control_dependencies([writer(text)]):
                return tf.identity(text)

    module = Hostile()
    tf.saved_model.save(module, path, signatures={"serving_default": module.__call__})
    return path


def keras_file_with_lambda(path, marker):
    """A `.keras` file whose Lambda layer (Python bytecode) writes `marker`."""
    inputs = keras.Input((4,))
    outputs = keras.layers.Lambda(
        lambda x: (open(marker, "w").write("pwned"), x)[1], name="hostile")(inputs)
    keras.Model(inputs, outputs).save(path)
    if os.path.exists(marker):  # tracing the layer ran it once while building
        os.remove(marker)
    return path


def keras_file_with_saved_model_path(path, saved_model, marker):
    """A `.keras` file whose HubBackbone points at a hostile SavedModel path."""
    inputs = keras.Input((4,))
    outputs = HubBackbone(saved_model)(inputs)
    keras.Model(inputs, outputs).save(path)
    if os.path.exists(marker):
        os.remove(marker)
    return path
