"""`compression_report`: accuracy, size and latency of models and TFLite files."""

import os
import statistics
import tempfile
import time

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.evaluation.evaluate_classifier import evaluate_classifier
from keras_transfer.export.archive import export_saved_model
from keras_transfer.export.predict_tflite import named_inputs, predict_tflite, tflite_runner
from keras_transfer.utils.argument_validation import check_int

_WARMUP_CALLS = 3


@keras_transfer_export(["keras_transfer.compression_report",
                        "keras_transfer.evaluation.compression_report"])
def compression_report(models, x, y, num_calls=30, batch_size=32):
    """Measures accuracy, size and single-example latency of classifiers.

    For comparing a teacher with its distilled and quantised students. Each
    entry of `models` is a `keras.Model` or the path of a `.tflite` file
    (run with `tf.lite.Interpreter`), and gets one row:

    - `accuracy`: top-1 accuracy of the predicted probabilities on `(x, y)`.
    - `macro_f1`: the unweighted mean of the per-class F1 scores over the
      classes of the model's output (`keras_transfer.evaluate_classifier`'s).
    - `num_params`: `model.count_params()` (every weight, trainable or not,
      including a hub backbone's); `None` for a `.tflite` file.
    - `size_bytes`: the bytes on disk: for a Keras model, of the SavedModel
      that `model.export()` writes (graph and all variables, one endpoint),
      with each weight stored once (Keras 3.15's `model.export` stores every
      weight twice; see `keras_transfer/export/archive.py`); for a `.tflite`
      file, of the file.
    - `latency_ms`: the median time of `num_calls` single-example calls
      (the first example of `x`), after warm-up calls: a traced
      `tf.function` of the model, or the interpreter's signature runner.

    Args:
        models: dict. Name -> `keras.Model` or `.tflite` path, in the order
            to report.
        x: array-like, or a dict of arrays (keyed by input name) for a
            model with several inputs. The inputs, batch first; text as
            strings.
        y: array-like of int. The true class of each example.
        num_calls: int. Timed single-example calls per model. Defaults to
            `30`.
        batch_size: int. Batch size for the accuracy pass. Defaults to `32`.

    Returns:
        A dict: name -> `{"accuracy", "macro_f1", "num_params",
        "size_bytes", "latency_ms"}`, in the order of `models`.

    Raises:
        ValueError: for an empty `models`, an entry that is neither a Keras
            model nor a `.tflite` path, or `x` and `y` of different lengths.

    Example:

    ```python
    report = keras_transfer.compression_report(
        {"teacher": teacher, "student": student, "student int8": "student.tflite"},
        test_texts, test_labels)
    report["student"]["latency_ms"]
    ```
    """
    check_int(num_calls, "num_calls", minimum=1)
    check_int(batch_size, "batch_size", minimum=1)
    if not isinstance(models, dict) or not models:
        raise ValueError(
            "`models` must be a non-empty dict of name -> keras.Model or .tflite path. "
            f"Received: models={models!r}"
        )
    y = np.asarray(y)
    size = len(next(iter(x.values()))) if isinstance(x, dict) else len(x)
    if size != len(y) or size == 0:
        raise ValueError(
            f"`x` and `y` must hold the same number (> 0) of examples. Received: {size} "
            f"inputs and {len(y)} labels."
        )
    report = {}
    for name, model in models.items():
        if isinstance(model, keras.Model):
            report[name] = _keras_row(model, x, y, num_calls, batch_size)
        elif isinstance(model, (str, os.PathLike)) and os.fspath(model).endswith(".tflite"):
            report[name] = _tflite_row(os.fspath(model), x, y, num_calls, batch_size)
        else:
            raise ValueError(
                f"`models[{name!r}]` must be a keras.Model or the path of a .tflite "
                f"file. Received: {model!r}"
            )
    return report


def _first(x):
    return ({key: value[:1] for key, value in x.items()} if isinstance(x, dict)
            else x[:1])


def _scores(probabilities, y):
    evaluation = evaluate_classifier(y, probabilities, top_k_worst=0)
    return {"accuracy": evaluation["accuracy"], "macro_f1": evaluation["macro_f1"]}


def _median_ms(call, num_calls):
    for _ in range(_WARMUP_CALLS):
        call()
    times = []
    for _ in range(num_calls):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return 1000.0 * statistics.median(times)


def _keras_row(model, x, y, num_calls, batch_size):
    probabilities = model.predict(x, batch_size=batch_size, verbose=0)
    one = tf.nest.map_structure(tf.convert_to_tensor, _first(x))
    predict = tf.function(lambda inputs: model(inputs, training=False))
    latency = _median_ms(lambda: keras.ops.convert_to_numpy(predict(one)), num_calls)
    with tempfile.TemporaryDirectory() as folder:
        export_saved_model(model, folder)
        size_bytes = _folder_bytes(folder)
    return {**_scores(probabilities, y), "num_params": int(model.count_params()),
            "size_bytes": size_bytes, "latency_ms": latency}


def _tflite_row(path, x, y, num_calls, batch_size):
    probabilities = predict_tflite(path, x, batch_size=batch_size)
    runner, output_name = tflite_runner(path)  # one interpreter, kept warm
    one = named_inputs(runner.get_input_details(), _first(x), path)
    latency = _median_ms(lambda: runner(**one)[output_name], num_calls)
    return {**_scores(probabilities, y), "num_params": None,
            "size_bytes": os.path.getsize(path), "latency_ms": latency}


def _folder_bytes(folder):
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _, names in os.walk(folder) for name in names)
