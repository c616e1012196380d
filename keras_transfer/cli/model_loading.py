"""Loading the models named by `--model`, safely by default.

A `.keras` file and a SavedModel folder are both code: a `.keras` config can
name a `Lambda` layer or a SavedModel path, and a SavedModel's graph runs when
it is loaded and called. The CLI therefore loads `.keras` files in Keras'
safe mode (registry backbones that keras_transfer converts itself are
allowed, see `HubBackbone.from_config`), scans SavedModel folders for ops
that reach outside the graph (`find_unsafe_ops`), and lets the user opt out
only by name, with `--unsafe`.
"""

import zipfile
from pathlib import Path

from keras_transfer.cli.errors import UsageError

UNSAFE_HINT = "If you trust this file and its author, pass --unsafe."


def keras_model_path(model):
    """The `.keras` file of `--model` (a run directory or a `.keras` file)."""
    path = Path(model)
    if path.is_dir() and (path / "model.keras").exists():
        path = path / "model.keras"
    if path.is_dir():
        raise UsageError(f"--model {path} is a folder without model.keras: not a run directory")
    if not path.exists():
        raise UsageError(f"--model {path} does not exist")
    if path.suffix != ".keras":
        raise UsageError(f"--model {path} is not a run directory or a .keras file")
    if not zipfile.is_zipfile(path):
        raise UsageError(f"--model {path} is not a Keras archive (a .keras file is a zip file)")
    return path


def load_keras_model(model, unsafe=False):
    """Loads `--model` as a Keras model; returns `(model, path of the .keras file)`.

    Raises:
        UsageError: not a run directory or `.keras` archive, or a file that
            needs unsafe deserialization without `unsafe=True`.
    """
    import keras

    path = keras_model_path(model)
    try:
        return keras.saving.load_model(path, safe_mode=not unsafe), path
    except ValueError as error:
        message = " ".join(str(error).split())
        if not unsafe and ("safe_mode" in message or "safe mode" in message
                           or "unsafe" in message):
            raise UsageError(
                f"--model {path} was refused in safe mode: it would run code from the "
                f"file (a Lambda layer, or a SavedModel path or URL inside the model). "
                f"{UNSAFE_HINT}"
            ) from None
        raise UsageError(f"--model {path} could not be loaded: {message}") from None


def load_saved_model(folder, unsafe=False):
    """Loads a SavedModel folder (a TF Serving export) after checking its ops.

    Ops that read or write files, talk to other processes or run Python are
    refused unless `unsafe=True`; ops from TensorFlow Text are registered
    first when the graph needs them.

    Raises:
        UsageError: unsafe ops without `unsafe=True`, or a folder TensorFlow
            cannot load.
    """
    import tensorflow as tf

    from keras_transfer.export.required_custom_ops import required_custom_ops
    from keras_transfer.export.unsafe_ops import find_unsafe_ops

    try:
        unsafe_ops = find_unsafe_ops(folder)
        custom_ops = required_custom_ops(folder)
    except ValueError as error:
        raise UsageError(f"--model {folder}: {error}") from None
    if unsafe_ops and not unsafe:
        raise UsageError(
            f"--model {folder} was refused: its graph uses ops that reach outside the "
            f"model ({', '.join(unsafe_ops)}). {UNSAFE_HINT}"
        )
    if custom_ops:
        try:
            import tensorflow_text  # noqa: F401 (registers the graph's tf-text ops)
        except ImportError:
            raise UsageError(
                f"--model {folder} needs ops outside core TensorFlow "
                f"({', '.join(custom_ops)}): pip install keras-transfer[text]"
            ) from None
    try:
        return tf.saved_model.load(str(folder))
    except (tf.errors.OpError, RuntimeError, ValueError) as error:
        message = " ".join(str(error).split())[:300]
        raise UsageError(f"--model {folder} could not be loaded: {message}") from None
