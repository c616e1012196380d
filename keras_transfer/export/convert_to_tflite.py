"""`convert_to_tflite`: a Keras model as a (quantised) TFLite flatbuffer."""

import os
import re

import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.argument_validation import check_one_of

QUANTIZATIONS = (None, "dynamic_range", "float16")


@keras_transfer_export(["keras_transfer.export.convert_to_tflite"])
def convert_to_tflite(model, path, quantization=None, allow_tf_ops=False):
    """Converts a Keras model to TFLite, with optional post-training quantisation.

    Built on Keras' own LiteRT export (`model.export(path, format="litert")`:
    `keras.export.ExportArchive` -> SavedModel -> `tf.lite.TFLiteConverter`),
    with the two post-training quantisations that need no calibration data:

    - `"dynamic_range"`: weights stored as int8 (about 4x smaller), dequantised
      or used by int8 kernels at run time; activations stay float.
    - `"float16"`: weights stored as float16 (about 2x smaller), computed in
      float32 on CPU.

    Only TFLite's builtin ops are allowed by default, so the file runs with
    the plain TFLite runtime. Models that contain TensorFlow ops TFLite does
    not have (a hub text preprocessor's string ops: `tf.StringSplit`,
    TensorFlow Text's WordPiece tokenizer) fail with a `ValueError` listing
    them. `allow_tf_ops=True` keeps such ops as "Select TF ops" (the TFLite
    runtime then needs the Flex delegate; TensorFlow's Python interpreter has
    it), and custom ops such as TensorFlow Text's still fail. For a text
    student, convert the part after the tokenizer instead (see
    `docs/distillation.md`).

    Args:
        model: `keras.Model`. A model with a known input (built from
            `keras.Input`).
        path: str or path. Where to write the `.tflite` file; must end in
            `.tflite`.
        quantization: str. `None`, `"dynamic_range"` or `"float16"`.
            Defaults to `None` (float32).
        allow_tf_ops: bool. Allow TensorFlow ops that TFLite lacks (Select TF
            ops). Defaults to `False`.

    Returns:
        The path of the written file, as a str.

    Raises:
        ValueError: for a bad argument, or a model TFLite cannot convert
            (the message lists the ops it could not convert).

    Example:

    ```python
    path = keras_transfer.export.convert_to_tflite(
        student, "/tmp/student.tflite", quantization="dynamic_range")
    probabilities = keras_transfer.export.predict_tflite(path, images)
    ```
    """
    check_one_of(quantization, "quantization", QUANTIZATIONS)
    if not isinstance(allow_tf_ops, bool):
        raise ValueError(f"`allow_tf_ops` must be a bool. Received: allow_tf_ops={allow_tf_ops!r}")
    path = os.fspath(path)
    if not path.endswith(".tflite"):
        raise ValueError(f"`path` must end in '.tflite'. Received: path={path!r}")
    ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if allow_tf_ops:
        ops.append(tf.lite.OpsSet.SELECT_TF_OPS)
    options = {"target_spec": {"supported_ops": ops}}
    if quantization is not None:
        options["optimizations"] = [tf.lite.Optimize.DEFAULT]
    if quantization == "float16":
        options["target_spec"]["supported_types"] = [tf.float16]
    try:
        model.export(path, format="litert", verbose=False, **options)
    except Exception as error:  # the converter raises ConverterError and others
        unsupported = _unsupported_ops(str(error))
        if not unsupported:
            raise
        hints = [] if allow_tf_ops else [
            "pass `allow_tf_ops=True` to keep them as Select TF ops (the runtime then "
            "needs the Flex delegate)"]
        if any(op.startswith(("String", "Ragged")) or ">" in op for op in unsupported):
            hints.append("convert the model after the tokenizer (for a "
                         "`keras_transfer.build_student` text student, "
                         "`student.get_layer('token_classifier')`)")
        if any(op.startswith("TensorList") for op in unsupported):
            hints.append("use a CNN instead of a recurrent layer over a dynamic length")
        hints = hints or ["leave out the layers that use them"]
        raise ValueError(
            f"TFLite cannot convert {model.name!r}: unsupported op(s) "
            f"{', '.join(unsupported)}. To fix it, {'; or '.join(hints)}."
        ) from error
    return path


def _unsupported_ops(message):
    """The op names in a converter error, sorted (`tf.StringSplit`, custom ops)."""
    names = set(re.findall(r"\btf\.([A-Z]\w+)", message))
    names |= set(re.findall(r"'([A-Za-z]+>\w+)'", message))  # custom ops: 'Addons>Foo'
    return sorted(names)
