"""`export_for_serving`: a classifier as a versioned TF Serving SavedModel."""

import logging
import os
import re
import shutil
import tempfile
import time

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.export import serving_inputs
from keras_transfer.export.archive import new_archive
from keras_transfer.export import warmup_requests

logger = logging.getLogger(__name__)

SERVING_SIGNATURE = "serving_default"
TENSOR_SIGNATURE = "predict_tensors"
TEMP_PREFIX = ".export-tmp-"
# A leftover `.export-tmp-*` folder is removed by the next export into the
# same base folder once no live export holds its lock and it is this old.
STALE_TEMP_SECONDS = 10 * 60

try:
    import fcntl
except ImportError:  # not POSIX: leftovers are kept (TF Serving ignores them)
    fcntl = None
# Audio models with a variable input length get a warmup clip this long.
_WARMUP_AUDIO_SECONDS = 0.25


def export_for_serving(
    model,
    base_dir,
    version=None,
    modality=None,
    class_names=None,
    sample_rate=16000,
    image_size=None,
    warmup=True,
    interpolation="bilinear",
    resample_audio=True,
    model_name=None,
):
    """Exports a classifier as a new version of a TF Serving model.

    The model is written with `keras.export.ExportArchive` (each weight
    once: Keras' own `model.export` saves every weight twice, see
    `keras_transfer/export/archive.py`) to `base_dir/<version>/`, the layout `tensorflow_model_server
    --model_base_path=base_dir` watches. The folder is written atomically: to
    a hidden temporary folder beside it (`base_dir/.export-tmp-*`, which TF
    Serving ignores), then renamed into place, so TF Serving never sees a
    half-written version; if the export fails, the temporary folder is
    removed. A temporary folder left by a killed export is removed by the
    next export into `base_dir` once no live export holds it (an `flock` on
    the folder) and it has not changed for `STALE_TEMP_SECONDS` (10 minutes).
    An existing version is never overwritten.

    Two signatures are written. `serving_default` takes raw inputs and runs
    the training preprocessing in the graph: `image_bytes` (encoded images,
    decoded to RGB and resized to the model's size with `interpolation`, as
    `keras.utils.image_dataset_from_directory` does, giving float32 pixel
    values 0..255), `text` (strings) or `audio_bytes` (16-bit PCM WAV files,
    averaged to mono, resampled to `sample_rate` and padded or cut to the
    model's clip length when it has one). `predict_tensors` takes the model's
    own input (`images`, `text` or `waveforms`). Both return `probabilities`
    (float32, `[batch, num_classes]`), `class_index` (int64, `[batch]`),
    `class_name` (string, `[batch]`) and `score` (the highest probability,
    `[batch]`). A model with a dict of named outputs (for example from
    `keras_transfer.build_multi_task_model`) returns, for each softmax output
    `name`, `name_probabilities`, `name_class_index`, `name_class_name` and
    `name_score`, and each other output (a regression) as float32 under
    `name`. Bad raw inputs (empty strings, corrupt or truncated files, a
    WAV at another rate when `resample_audio=False`) fail the request with an
    `InvalidArgumentError` that names the input and the bad instance; see
    `docs/serving.md`.

    A detector (a model with a `keras_transfer.YoloHead` named `"head"`,
    from `keras_transfer.build_detector`) is exported by
    `keras_transfer.export.export_detector` instead: image bytes -> boxes,
    scores, classes and a count, non-max suppression in the graph (see
    `docs/detection.md`).

    The model must take one input, return softmax probabilities `[batch,
    num_classes]` (or a dict of named outputs), and follow keras_transfer's input conventions: images are
    float `(height, width, 3)` pixel values 0..255 (the model rescales
    them), text is a string scalar, audio a float waveform `(samples,)` in
    [-1, 1].

    Args:
        model: `keras.Model`. The trained classifier, with a known input
            (built from `keras.Input`).
        base_dir: str or path. The TF Serving model folder; created if
            missing.
        version: int. The version number (folder name). Defaults to `None`:
            one more than the highest numeric version in `base_dir`, or 1.
        modality: str. `"image"`, `"text"` or `"audio"`. Defaults to `None`:
            inferred from the model's input (string: text; float
            `(batch, height, width, channels)`: image; float
            `(batch, samples)`: audio).
        class_names: list of str. The name of each class, in output order;
            for a model with named outputs, a dict of output name -> list.
            Defaults to `None`: `"0"`, `"1"`, ...
        sample_rate: int. Audio only: the rate (Hz) the model was trained at.
            Defaults to `16000`.
        image_size: int or `(height, width)`. Images only: the size images
            were resized to in training (`image_dataset_from_directory`'s
            `image_size`). Defaults to `None`: the model's input size, which
            must then be fixed.
        warmup: bool. Whether to write the TF Serving warmup file
            `assets.extra/tf_serving_warmup_requests` (needs the `serving`
            extra). Defaults to `True`.
        interpolation: str. Images only: the `tf.image.resize` method used in
            training. Defaults to `"bilinear"` (Keras' default).
        resample_audio: bool. Audio only: if True, a WAV file at another rate
            is resampled to `sample_rate` with `keras_transfer.data.resample`;
            if False it is rejected. Defaults to `True`.
        model_name: str. The model name written into the warmup requests.
            Defaults to `None`: the name of `base_dir`.

    Returns:
        The path of the written version folder, as a str.

    Raises:
        FileExistsError: if `base_dir/<version>` exists.
        ImportError: if `warmup=True` and `tensorflow-serving-api` is not
            installed.
        ValueError: for an invalid argument, a model whose modality cannot be
            inferred, a model with several inputs, or a single output that
            is not probabilities.

    Example:

    ```python
    path = keras_transfer.export.export_for_serving(
        model, "/models/flowers", class_names=train_ds.class_names)
    # path == "/models/flowers/1"; serve it with
    # tensorflow_model_server --model_name=flowers \
    #     --model_base_path=/models/flowers --rest_api_port=8501
    ```
    """
    from keras_transfer.detection.detector_spec import yolo_head

    if yolo_head(model) is not None:  # a detector: image bytes -> boxes
        from keras_transfer.export.export_detector import export_detector

        return export_detector(model, base_dir, class_names=class_names, version=version,
                               warmup=warmup, model_name=model_name)
    base_dir = os.path.abspath(os.fspath(base_dir))
    _check_version(version)
    _check_positive_int("sample_rate", sample_rate)
    if not isinstance(warmup, bool):
        raise ValueError(f"`warmup` must be a bool. Received: warmup={warmup!r}")
    if not isinstance(resample_audio, bool):
        raise ValueError(
            "`resample_audio` must be a bool. Received: "
            f"resample_audio={resample_audio!r}"
        )
    if interpolation not in serving_inputs.INTERPOLATIONS:
        raise ValueError(
            f"`interpolation` must be one of {list(serving_inputs.INTERPOLATIONS)}. "
            f"Received: interpolation={interpolation!r}"
        )
    if model_name is None:
        model_name = os.path.basename(base_dir)
    if warmup:
        warmup_requests.import_serving_apis()  # fail before writing anything

    spec = _input_spec(model)
    modality = _resolve_modality(modality, spec)
    raw_name = serving_inputs.RAW_INPUT_NAMES[modality]
    tensor_name = serving_inputs.TENSOR_INPUT_NAMES[modality]
    tensor_spec = tf.TensorSpec(
        [None] + list(spec.shape[1:]), spec.dtype, name=tensor_name
    )

    decode = _raw_decoder(modality, spec, image_size, interpolation, sample_rate,
                          resample_audio)
    sample_raw = _sample_raw_input(modality, spec, image_size, sample_rate)
    sample_tensor = decode(tf.constant([sample_raw]))
    sample_outputs = model(sample_tensor, training=False)
    if isinstance(sample_outputs, dict):
        head = _multi_output_head(model, sample_outputs, class_names)
    else:
        num_classes = _check_outputs(sample_outputs)
        names = tf.constant(_check_class_names(class_names, num_classes), tf.string)

        def head(inputs):
            return _classification_outputs(model(inputs, training=False), names)

    # The argument names become the signatures' input names.
    serve = {
        "image": lambda image_bytes: head(decode(image_bytes)),
        "text": lambda text: head(decode(text)),
        "audio": lambda audio_bytes: head(decode(audio_bytes)),
    }[modality]
    predict = {
        "image": lambda images: head(images),
        "text": lambda text: head(text),
        "audio": lambda waveforms: head(waveforms),
    }[modality]

    archive = new_archive(model)
    archive.add_endpoint(
        SERVING_SIGNATURE, serve,
        input_signature=[tf.TensorSpec([None], tf.string, name=raw_name)],
    )
    archive.add_endpoint(TENSOR_SIGNATURE, predict, input_signature=[tensor_spec])

    requests = [
        (SERVING_SIGNATURE, {raw_name: np.array([sample_raw], dtype=object)}),
        (TENSOR_SIGNATURE, {tensor_name: sample_tensor.numpy()}),
    ]
    return _write_version(archive, base_dir, version, model_name,
                          requests if warmup else None)


# ------------------------------------------------------------------ versions
def _check_version(version):
    if version is None:
        return
    if not _is_positive_int(version):
        raise ValueError(
            "`version` must be a positive integer (TF Serving only loads numeric "
            f"version folders) or None. Received: version={version!r}"
        )


def _next_version(base_dir):
    versions = [
        int(name) for name in os.listdir(base_dir)
        if re.fullmatch(r"\d+", name) and os.path.isdir(os.path.join(base_dir, name))
    ]
    return max(versions, default=0) + 1


def _write_version(archive, base_dir, version, model_name, requests):
    """Writes to a temporary folder in `base_dir`, then renames it into place."""
    os.makedirs(base_dir, exist_ok=True)
    auto = version is None
    version = _next_version(base_dir) if auto else int(version)
    final = os.path.join(base_dir, str(version))
    if os.path.exists(final):
        raise FileExistsError(
            f"Version {version} already exists: {final}. Versions are never "
            "overwritten; pass another `version`, or `version=None` for the "
            "next free one."
        )
    _remove_stale_temps(base_dir)
    temp = tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=base_dir)
    lock = _lock_folder(temp)
    try:
        # mkdtemp makes a private (0700) folder; a version must be readable by
        # the TF Serving user like any folder made with the current umask.
        os.chmod(temp, 0o777 & ~_current_umask())
        archive.write_out(temp, verbose=False)
        if requests is not None:
            warmup_requests.write_warmup_requests(temp, model_name, requests)
        while True:
            if os.path.exists(final):
                if not auto:
                    raise FileExistsError(
                        f"Version {version} was created by someone else while "
                        f"exporting: {final}. Nothing was overwritten."
                    )
                version = _next_version(base_dir)
                final = os.path.join(base_dir, str(version))
                continue
            os.rename(temp, final)
            break
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    finally:
        if lock is not None:
            os.close(lock)  # releases the flock
    logger.info("Exported version %d to %s", version, final)
    return final


def _lock_folder(path):
    """Holds an exclusive `flock` on folder `path` (returns the fd, or None)."""
    if fcntl is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # a file system without flock: the age rule still applies
        os.close(fd)
        return None
    return fd


def _remove_stale_temps(base_dir):
    """Removes `.export-tmp-*` folders that a killed export left in `base_dir`.

    A folder is stale when no export holds its lock and it has not been
    modified for `STALE_TEMP_SECONDS` (the age guards the moment between
    creating a folder and locking it, and exports by older versions that did
    not lock). Without `fcntl` nothing is removed.
    """
    if fcntl is None:
        return
    now = time.time()
    for name in os.listdir(base_dir):
        path = os.path.join(base_dir, name)
        if not name.startswith(TEMP_PREFIX) or not os.path.isdir(path) or os.path.islink(path):
            continue
        try:
            if now - os.stat(path).st_mtime < STALE_TEMP_SECONDS:
                continue
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a live export is writing it
            logger.warning("Removing %s, left by an interrupted export", path)
            shutil.rmtree(path, ignore_errors=True)
        finally:
            os.close(fd)


def _current_umask():
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


# --------------------------------------------------------------------- model
def _input_spec(model):
    inputs = getattr(model, "inputs", None)
    if not inputs:
        raise ValueError(
            "`model` must have a known input: build it from `keras.Input` (a "
            "Functional or Sequential model). Received: "
            f"model={type(model).__name__} without `inputs`."
        )
    if len(inputs) != 1:
        raise ValueError(
            "`model` must take exactly one input (images, text or waveforms). "
            f"Received: a model with {len(inputs)} inputs "
            f"{[tuple(x.shape) for x in inputs]}."
        )
    x = inputs[0]
    return tf.TensorSpec(tuple(x.shape), tf.as_dtype(x.dtype))


def _describe(spec):
    return f"shape={tuple(spec.shape.as_list())}, dtype={spec.dtype.name}"


def _resolve_modality(modality, spec):
    rank = spec.shape.rank
    if spec.dtype == tf.string:
        scalar = rank in (1, 2) and spec.shape[1:].num_elements() == 1
        inferred = "text" if scalar else None
    elif spec.dtype.is_floating or spec.dtype.is_integer:
        inferred = {4: "image", 2: "audio"}.get(rank)
    else:
        inferred = None
    if modality is None:
        if inferred is None:
            raise ValueError(
                "Cannot infer the modality from the model's input "
                f"({_describe(spec)}): expected a string input (text), a float "
                "(batch, height, width, channels) input (image) or a float "
                "(batch, samples) input (audio). Pass `modality=` with one of "
                f"{list(serving_inputs.MODALITIES)}."
            )
        return inferred
    if modality not in serving_inputs.MODALITIES:
        raise ValueError(
            f"`modality` must be one of {list(serving_inputs.MODALITIES)} or None. "
            f"Received: modality={modality!r}"
        )
    if modality != inferred:
        raise ValueError(
            f"modality={modality!r} does not fit the model's input "
            f"({_describe(spec)}); that input looks like "
            f"{repr(inferred) if inferred else 'none of them'}. Image models take "
            "float (batch, height, width, channels), text models strings "
            "(batch,), audio models float (batch, samples)."
        )
    return modality


def _image_size(spec, image_size):
    model_size = tuple(spec.shape[1:3].as_list())
    if image_size is not None:
        scalar = np.ndim(image_size) == 0
        size = (image_size, image_size) if scalar else tuple(image_size)
        if len(size) != 2 or not all(_is_positive_int(s) for s in size):
            raise ValueError(
                "`image_size` must be a positive integer or a (height, width) pair "
                f"of them. Received: image_size={image_size!r}"
            )
        size = tuple(int(s) for s in size)
        if None not in model_size and size != model_size:
            raise ValueError(
                f"`image_size` {size} differs from the model's input size "
                f"{model_size}. Received: image_size={image_size!r}"
            )
        return size
    if None in model_size:
        raise ValueError(
            "The model takes images of any size (input "
            f"shape {tuple(spec.shape.as_list())}), so the served graph cannot "
            "know what size to resize them to. Pass `image_size=` with the "
            "`image_size` used in training."
        )
    return model_size


def _channels(spec):
    channels = spec.shape[-1]
    if channels not in (1, 3, None):
        raise ValueError(
            "Image models must take 1 (grayscale) or 3 (RGB) channels; the "
            f"model's input is {_describe(spec)}."
        )
    return channels or 3


def _raw_decoder(modality, spec, image_size, interpolation, sample_rate,
                 resample_audio):
    """Returns a function: raw string batch -> the model's input."""
    if modality == "image":
        size, channels = _image_size(spec, image_size), _channels(spec)

        def decode(image_bytes):
            images = serving_inputs.decode_images(
                image_bytes, size, interpolation, channels)
            return _cast(images, spec.dtype)

        return decode
    if image_size is not None:
        raise ValueError(
            f"`image_size` only applies to image models; this is a {modality} "
            f"model. Received: image_size={image_size!r}"
        )
    if modality == "text":
        def decode(text):
            text = serving_inputs.check_text(text)
            return text if spec.shape.rank == 1 else text[:, None]

        return decode
    clip_length = spec.shape[1]

    def decode(audio_bytes):
        waveforms = serving_inputs.decode_audio(
            audio_bytes, sample_rate, clip_length, resample_audio)
        return _cast(waveforms, spec.dtype)

    return decode


def _cast(values, dtype):
    if dtype.is_integer:
        return tf.saturate_cast(tf.round(values), dtype)
    return tf.cast(values, dtype)


def _sample_raw_input(modality, spec, image_size, sample_rate):
    if modality == "image":
        size = _image_size(spec, image_size)
        return serving_inputs.sample_image_bytes(size, _channels(spec))
    if modality == "text":
        return serving_inputs.SAMPLE_TEXT.encode("utf-8")
    length = spec.shape[1] or int(sample_rate * _WARMUP_AUDIO_SECONDS)
    return serving_inputs.sample_wav_bytes(sample_rate, length)


def _classification_outputs(outputs, names, prefix=""):
    probabilities = tf.cast(outputs, tf.float32)
    class_index = tf.argmax(probabilities, axis=-1, output_type=tf.int64)
    return {
        prefix + "probabilities": probabilities,
        prefix + "class_index": class_index,
        prefix + "class_name": tf.gather(names, class_index),
        prefix + "score": tf.reduce_max(probabilities, axis=-1),
    }


def _is_probabilities(values):
    values = keras.ops.convert_to_numpy(values).astype(np.float64)
    return (values.ndim == 2 and values.shape[1] >= 2 and not np.any(values < -1e-6)
            and np.all(np.abs(values.sum(axis=-1) - 1.0) <= 1e-3))


def _multi_output_head(model, sample_outputs, class_names):
    """The serving outputs of a model with a dict of named outputs.

    Softmax outputs get `<name>_probabilities`, `<name>_class_index`,
    `<name>_class_name` and `<name>_score`; any other output (a regression)
    is returned as float32 under its own name.
    """
    if class_names is not None and not isinstance(class_names, dict):
        raise ValueError(
            "`model` has several outputs "
            f"{sorted(sample_outputs)}: pass `class_names` as a dict of output name -> "
            f"list of names. Received: class_names={class_names!r}"
        )
    class_names = class_names or {}
    unknown = sorted(set(class_names) - set(sample_outputs))
    names = {}
    for key, values in sample_outputs.items():
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", key):
            raise ValueError(
                f"Output names become signature keys and must be identifiers. "
                f"Received: an output named {key!r}"
            )
        if _is_probabilities(values):
            num_classes = keras.ops.shape(values)[1]
            names[key] = tf.constant(
                _check_class_names(class_names.get(key), num_classes), tf.string)
        elif key in class_names:
            unknown.append(key)
    if unknown:
        raise ValueError(
            f"`class_names` has entries for {sorted(unknown)}, which are not softmax "
            f"outputs of the model. Its classification outputs: {sorted(names)}."
        )

    def head(inputs):
        outputs = model(inputs, training=False)
        served = {}
        for key, values in outputs.items():
            if key in names:
                served.update(_classification_outputs(values, names[key], prefix=key + "_"))
            else:
                served[key] = tf.cast(values, tf.float32)
        return served

    return head


def _check_outputs(outputs):
    """Checks a model's outputs on a sample; returns the number of classes."""
    if not tf.is_tensor(outputs) and not isinstance(outputs, np.ndarray):
        raise ValueError(
            "`model` must return one tensor of class probabilities "
            "[batch, num_classes], or a dict of named outputs. It returned a "
            f"{type(outputs).__name__}."
        )
    probabilities = keras.ops.convert_to_numpy(outputs).astype(np.float64)
    if probabilities.ndim != 2:
        raise ValueError(
            "`model` must return class probabilities of shape [batch, "
            f"num_classes]; on a sample input it returned shape {probabilities.shape}."
        )
    sums = probabilities.sum(axis=-1)
    if np.any(probabilities < -1e-6) or np.any(np.abs(sums - 1.0) > 1e-3):
        raise ValueError(
            "`model` must return softmax probabilities (non-negative, summing to "
            f"1), but on a sample input its outputs sum to {sums.tolist()} "
            f"(min value {probabilities.min():.4g}). If it returns logits, add a "
            "final `keras.layers.Softmax()` before exporting."
        )
    return probabilities.shape[1]


def _check_class_names(class_names, num_classes):
    if class_names is None:
        return [str(i) for i in range(num_classes)]
    if isinstance(class_names, (str, bytes)) or not all(
        isinstance(name, str) for name in class_names
    ):
        raise ValueError(
            "`class_names` must be a list of str, one per class. Received: "
            f"class_names={class_names!r}"
        )
    class_names = list(class_names)
    if len(class_names) != num_classes:
        raise ValueError(
            f"`class_names` has {len(class_names)} names but the model outputs "
            f"{num_classes} classes. Received: class_names={class_names!r}"
        )
    return class_names


def _is_positive_int(value):
    return (
        not isinstance(value, bool)
        and isinstance(value, (int, np.integer))
        and value > 0
    )


def _check_positive_int(name, value):
    if not _is_positive_int(value):
        raise ValueError(
            f"`{name}` must be a positive integer. Received: {name}={value!r}"
        )
