"""`verify_export`: loads an exported version in a fresh process and checks it."""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

from keras_transfer.export.required_custom_ops import required_custom_ops

# Runs in the fresh interpreter: loads the SavedModel with nothing but
# TensorFlow (and TensorFlow Text when the graph needs its ops), calls the
# signature on the raw inputs and writes the outputs as JSON.
_CHILD = r"""
import base64, json, sys
request = json.load(open(sys.argv[1]))
import tensorflow as tf
if request["import_text"]:
    import tensorflow_text  # noqa: F401 (registers the graph's tf-text ops)
loaded = tf.saved_model.load(request["version_dir"])
signature = loaded.signatures[request["signature"]]
names = sorted(signature.structured_input_signature[1])
if len(names) != 1:
    raise SystemExit(f"{request['signature']!r} takes {names}; one input expected")
values = [base64.b64decode(v) for v in request["inputs"]]
outputs = signature(**{names[0]: tf.constant(values, tf.string)})
def to_json(value):
    value = value.numpy()
    if value.dtype == object:
        return [v.decode("utf-8") for v in value.tolist()]
    return value.tolist()
with open(request["output"], "w") as f:
    json.dump({"input_name": names[0],
               "outputs": {k: to_json(v) for k, v in outputs.items()}}, f)
"""


def verify_export(version_dir, raw_inputs, expected_probabilities, atol=1e-5,
                  signature="serving_default", timeout=300):
    """Checks an exported model in a fresh Python process.

    Two fresh processes run side by side, with only TensorFlow imported (no
    Keras objects, no keras_transfer code), as on a serving host:
    `saved_model_cli show --all --dir version_dir` (the one installed beside
    this Python interpreter) lists the signatures, and a Python process loads
    the SavedModel with `tf.saved_model.load` and calls `signature` on the raw
    inputs. Its probabilities are compared with `expected_probabilities`,
    typically `model.predict` on the same inputs decoded in Python. When
    `required_custom_ops` finds non-core ops, the loading process imports
    `tensorflow_text` first.

    Args:
        version_dir: str or path. The version folder to check.
        raw_inputs: list of bytes or str. One raw instance each (encoded image
            or WAV bytes, or text), fed as the signature's single string input.
        expected_probabilities: array of shape `(len(raw_inputs),
            num_classes)`.
        atol: float. Largest allowed absolute difference. Defaults to `1e-5`.
        signature: str. The signature to call. Defaults to
            `"serving_default"`.
        timeout: float. Seconds to wait for each process. Defaults to `300`.

    Returns:
        dict with `max_abs_diff` (float), `signatures` (str, the output of
        `saved_model_cli show --all`), `input_name` (str) and `outputs` (dict
        of the signature's outputs, as lists).

    Raises:
        AssertionError: if the largest difference exceeds `atol`, or the
            output shape differs from `expected_probabilities`.
        RuntimeError: if a process fails (its error output is included).
        FileNotFoundError: if `version_dir` holds no SavedModel or
            `saved_model_cli` is not installed.
        ValueError: for invalid arguments.

    Example:

    ```python
    path = keras_transfer.export.export_for_serving(model, "/models/speech")
    wavs = [open(p, "rb").read() for p in paths]
    expected = model.predict(waveforms)
    report = keras_transfer.export.verify_export(path, wavs, expected)
    report["max_abs_diff"]  # e.g. 2.9e-07
    ```
    """
    version_dir = os.path.abspath(os.fspath(version_dir))
    custom_ops = required_custom_ops(version_dir)  # also checks saved_model.pb
    if isinstance(raw_inputs, (str, bytes)) or not all(
        isinstance(x, (str, bytes)) for x in raw_inputs
    ):
        raise ValueError(
            "`raw_inputs` must be a list of bytes or str, one per instance. "
            f"Received: raw_inputs of type {type(raw_inputs).__name__}"
        )
    raw_inputs = [x.encode("utf-8") if isinstance(x, str) else x for x in raw_inputs]
    expected = np.asarray(expected_probabilities, dtype=np.float64)
    if expected.ndim != 2 or expected.shape[0] != len(raw_inputs):
        raise ValueError(
            "`expected_probabilities` must have shape (len(raw_inputs), "
            f"num_classes) = ({len(raw_inputs)}, C). Received: shape {expected.shape}"
        )
    if not (isinstance(atol, (int, float)) and atol >= 0):
        raise ValueError(
            f"`atol` must be a non-negative number. Received: atol={atol!r}"
        )

    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    if not os.path.isfile(cli):
        cli = shutil.which("saved_model_cli")
    if not cli:
        raise FileNotFoundError(
            "`saved_model_cli` was not found beside "
            f"{sys.executable} or on PATH; it comes with the `tensorflow` package."
        )
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    with tempfile.TemporaryDirectory(prefix="verify_export_") as work:
        request_path = os.path.join(work, "request.json")
        output_path = os.path.join(work, "output.json")
        with open(request_path, "w") as f:
            json.dump({
                "version_dir": version_dir,
                "signature": signature,
                "inputs": [base64.b64encode(x).decode("ascii") for x in raw_inputs],
                "import_text": bool(custom_ops),
                "output": output_path,
            }, f)
        show = subprocess.Popen(
            [cli, "show", "--all", "--dir", version_dir],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        try:
            run = subprocess.run(
                [sys.executable, "-c", _CHILD, request_path],
                capture_output=True, text=True, timeout=timeout, env=env,
            )
            listing, show_errors = show.communicate(timeout=timeout)
        finally:
            if show.poll() is None:
                show.kill()
                show.communicate()
        if show.returncode != 0:
            raise RuntimeError(
                f"`saved_model_cli show --all --dir {version_dir}` failed with exit "
                f"code {show.returncode}:\n{show_errors[-3000:]}"
            )
        if run.returncode != 0:
            raise RuntimeError(
                f"Loading {version_dir} and calling signature {signature!r} in a "
                f"fresh process failed:\n{run.stderr[-3000:]}"
            )
        with open(output_path) as f:
            served = json.load(f)

    probabilities = np.asarray(served["outputs"]["probabilities"], dtype=np.float64)
    if probabilities.shape != expected.shape:
        raise AssertionError(
            f"The served probabilities have shape {probabilities.shape}, but "
            f"`expected_probabilities` has shape {expected.shape}."
        )
    diff = np.abs(probabilities - expected)
    max_abs_diff = float(diff.max()) if diff.size else 0.0
    if max_abs_diff > atol:
        row, col = np.unravel_index(np.argmax(diff), diff.shape)
        raise AssertionError(
            f"Served probabilities differ from the expected ones by up to "
            f"{max_abs_diff:.3g} > atol={atol} (instance {row}, class {col}: "
            f"served {probabilities[row, col]:.8g}, expected {expected[row, col]:.8g})."
        )
    return {
        "max_abs_diff": max_abs_diff,
        "signatures": listing,
        "input_name": served["input_name"],
        "outputs": served["outputs"],
    }
