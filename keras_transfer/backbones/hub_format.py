"""Write Keras 3 models as reusable TF2 SavedModels in TF Hub format.

The TF Hub "reusable SavedModel" interface is: `obj.__call__(inputs,
training=...)` traced for both values of `training`, plus `obj.variables`,
`obj.trainable_variables` and `obj.regularization_losses` (callables that
return scalars). `HubBackbone` reads exactly this interface, and so did
`hub.KerasLayer`, so anything written here can be loaded by either.
"""

import os
import shutil
import tempfile

import tensorflow as tf


def save_hub_savedmodel(model, export_dir, input_signature, signatures=None,
                        assets=None, extra_objects=None):
    """Saves a Keras 3 model (or any callable) as a TF Hub-format SavedModel.

    The directory is written atomically: a temp folder beside it, renamed
    into place, so a crash never leaves a half-written backbone in a cache.

    Args:
        model: `keras.Model` (or a callable with `variables`,
            `trainable_variables`, and optional `losses`). It must accept
            `training=`.
        export_dir: str or path. Where to write. Must not exist yet.
        input_signature: `tf.TensorSpec` or a nest (dict, list) of them. The
            structure of the single `inputs` argument of `__call__`.
        signatures: dict. Extra serving signatures (name -> concrete function
            or `tf.function` with an input signature). Defaults to a
            `serving_default` that calls the model with `training=False`.
        assets: list of paths. Files to keep as assets (vocabularies).
            Defaults to `None`.
        extra_objects: dict. Extra trackable attributes to attach to the
            saved object (for example a tokenizer resource). Defaults to
            `None`.

    Returns:
        The path written, as a str.

    Raises:
        FileExistsError: if `export_dir` exists.

    Example:

    ```python
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4)])
    keras_transfer.backbones.hub_format.save_hub_savedmodel(
        model, "/tmp/tiny_hub", tf.TensorSpec([None, 8], tf.float32))
    ```
    """
    export_dir = os.fspath(export_dir)
    if os.path.exists(export_dir):
        raise FileExistsError(
            f"`export_dir` already exists: {export_dir}. Remove it first or pick "
            "another path."
        )

    module = tf.__internal__.tracking.AutoTrackable()
    # Track the model itself (it may own resources other than variables, such
    # as a tokenizer's lookup table), and list ITS variable objects: listing
    # the raw `tf.Variable`s behind Keras variables would store every value
    # twice. They load back as plain `tf.Variable`s either way.
    module.model = model
    module.variables = list(model.variables)
    module.trainable_variables = list(model.trainable_variables)

    @tf.function
    def call(inputs, training=False):
        return model(inputs, training=training)

    call.get_concrete_function(input_signature, training=False)
    call.get_concrete_function(input_signature, training=True)
    module.__call__ = call

    losses = list(getattr(model, "losses", []) or [])
    if losses:
        @tf.function(input_signature=[])
        def regularization_loss():
            return tf.add_n([tf.cast(x, tf.float32) for x in model.losses])
        module.regularization_losses = [regularization_loss]
    else:
        module.regularization_losses = []

    for name, value in (extra_objects or {}).items():
        setattr(module, name, value)
    if assets:
        module.assets = [tf.saved_model.Asset(a) for a in assets]

    if signatures is None:
        @tf.function(input_signature=[input_signature])
        def serving_default(inputs):
            outputs = model(inputs, training=False)
            if isinstance(outputs, dict):
                return outputs
            if isinstance(outputs, (list, tuple)):
                return {f"output_{i}": o for i, o in enumerate(outputs)}
            return {"default": outputs}
        signatures = {"serving_default": serving_default}

    parent = os.path.dirname(os.path.abspath(export_dir))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".tmp_savedmodel_", dir=parent)
    try:
        tf.saved_model.save(module, tmp, signatures=signatures)
        os.replace(tmp, export_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return export_dir
