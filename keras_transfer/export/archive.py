"""`new_archive`: a `keras.export.ExportArchive` that stores each variable once.

Keras 3.15's `ExportArchive.track` (and so `model.export`) saves every
weight twice in the SavedModel: once as the `keras.Variable` in the
archive's `variables` collections and once as the `tf.Variable` behind it,
which the endpoints capture (`_all_variables`). They are two trackable
objects over one buffer, so TensorFlow's checkpoint cannot merge them: the
`variables.data` file is twice the weights, and every process that loads
the export (TF Serving too) restores two copies. This is keras-team/keras
issue #23553 (open). A fine-tuned MiniLM-L6 classifier (22.7M parameters,
91 MB of float32) was measured at 182 MB of variables.

`new_archive` tracks the resources as Keras does (lookup tables included),
then replaces the three collections with the `tf.Variable`s behind the
Keras variables, through the public `add_variable_collection`: the
collections and the endpoints then hold the same objects, each saved once.
A reloaded export has the same `variables`, `trainable_variables` and
`non_trainable_variables` (`keras.layers.TFSMLayer` reads them).
"""

import keras
import tensorflow as tf

COLLECTIONS = ("variables", "trainable_variables", "non_trainable_variables")


def new_archive(*resources):
    """An `ExportArchive` tracking `resources`, each variable saved once.

    Args:
        *resources: the layers, models or TensorFlow trackables to track (as
            `ExportArchive.track` takes them).

    Returns:
        A `keras.export.ExportArchive` to add endpoints to and write out.
    """
    archive = keras.export.ExportArchive()
    for resource in resources:
        archive.track(resource)
    for name in COLLECTIONS:
        archive.add_variable_collection(
            name, [backing_variable(v) for v in getattr(archive, name)])
    return archive


def backing_variable(variable):
    """The `tf.Variable` behind a `keras.Variable` (itself for a `tf.Variable`)."""
    if isinstance(variable, keras.Variable):
        value = variable.value  # outside an autocast scope: the variable itself
        if isinstance(value, tf.Variable):
            return value
    return variable


def export_saved_model(model, path):
    """Writes `model` as a SavedModel like `model.export(path)`, weights once.

    One endpoint, `serve` (also `serving_default`), taking the model's own
    input structure, as `model.export(path, format="tf_saved_model")` writes.

    Args:
        model: `keras.Model`. A functional model (built from `keras.Input`).
        path: str. The folder to write.
    """
    signature = [tf.nest.map_structure(
        lambda tensor: tf.TensorSpec(tensor.shape, tensor.dtype, name=tensor.name),
        model.input)]
    archive = new_archive(model)
    archive.add_endpoint("serve", lambda inputs: model(inputs, training=False),
                         input_signature=signature)
    archive.write_out(path, verbose=False)
