"""`predict_tflite`: run a `.tflite` model on a batch with the TFLite interpreter."""

import os

import numpy as np
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.argument_validation import check_int


@keras_transfer_export(["keras_transfer.export.predict_tflite"])
def predict_tflite(path, x, batch_size=32):
    """Runs a one-output TFLite model over `x`, batch by batch.

    Uses `tf.lite.Interpreter` (with the Flex delegate for Select TF ops,
    as TensorFlow's Python package provides) through the model's signature
    runner, which resizes the input for each batch, so models with a
    dynamic batch size (every `convert_to_tflite` export) run any batch.

    Args:
        path: str or path. A `.tflite` file.
        x: array-like, or a dict of them for a model with several inputs
            (keyed by input name). The inputs, batch first (strings as a
            bytes or str array for text models).
        batch_size: int. Examples per interpreter call. Defaults to `32`.

    Returns:
        A NumPy array of the outputs, concatenated over batches.

    Raises:
        ValueError: for a model with several outputs, inputs that do not
            match the model's input names, or a bad `batch_size`.

    Example:

    ```python
    probabilities = keras_transfer.export.predict_tflite("student.tflite", images)
    accuracy = np.mean(probabilities.argmax(-1) == labels)
    ```
    """
    check_int(batch_size, "batch_size", minimum=1)
    runner, output_name = tflite_runner(path)
    inputs = named_inputs(runner.get_input_details(), x, path)
    size = len(next(iter(inputs.values())))
    outputs = [
        runner(**{name: value[i:i + batch_size] for name, value in inputs.items()})[output_name]
        for i in range(0, size, batch_size)
    ]
    return np.concatenate(outputs, axis=0)


def tflite_runner(path):
    """`(signature runner, output name)` of a one-output `.tflite` file."""
    interpreter = tf.lite.Interpreter(model_path=os.fspath(path))
    runner = interpreter.get_signature_runner()
    outputs = runner.get_output_details()
    if len(outputs) != 1:
        raise ValueError(
            f"`predict_tflite` runs models with one output; {path} has outputs "
            f"{sorted(outputs)}."
        )
    return runner, next(iter(outputs))


def named_inputs(details, x, path):
    """`x` as {input name: array of the input's dtype}."""
    if not isinstance(x, dict):
        if len(details) != 1:
            raise ValueError(
                f"{path} takes {len(details)} inputs {sorted(details)}: pass `x` as a "
                "dict keyed by those names."
            )
        x = {next(iter(details)): x}
    if sorted(x) != sorted(details):
        raise ValueError(
            f"{path} takes inputs {sorted(details)}. Received: x with keys {sorted(x)}"
        )
    return {name: _as_array(x[name], details[name]["dtype"]) for name in details}


def _as_array(x, dtype):
    if tf.is_tensor(x):
        x = x.numpy()
    if np.dtype(dtype).kind in "SO":
        return np.array([v.encode("utf-8") if isinstance(v, str) else v for v in x],
                        dtype=object)
    return np.asarray(x, dtype=dtype)
