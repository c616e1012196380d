"""One way to get a batched `tf.data.Dataset` for images, text or audio.

`from_directory`, `from_tfds`, `from_tfrecords` and `from_arrays` take the
same options (`batch_size`, `shuffle`/`seed`, `drop_remainder`, `image_size`,
`sample_rate`, `output_sequence_length`) and yield the same layout per
modality (see `keras_transfer.data.pipeline`). Each returned dataset carries a
`class_names` attribute, as Keras' own directory loaders do.

`from_tfds` and `from_tfrecords` stream from files (the data need not fit in
memory) and set the auto-shard policy `FILE`: under
`tf.distribute.MultiWorkerMirroredStrategy` every worker reads its own files.
"""

import collections
import logging
import os

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.data import pipeline
from keras_transfer.data.audio import decode_wav
from keras_transfer.data.audio import inspect_wav
from keras_transfer.utils.argument_validation import check_one_of

logger = logging.getLogger(__name__)

_AUDIO_FORMATS = (".wav",)


def from_directory(
    directory,
    modality,
    batch_size=32,
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    drop_remainder=False,
    image_size=None,
    sample_rate=None,
    output_sequence_length=None,
    class_names=None,
):
    """Builds a labelled dataset from a folder with one subfolder per class.

    Images and text are read by `keras.utils.image_dataset_from_directory`
    and `keras.utils.text_dataset_from_directory`. Audio (`.wav` only) is read
    here with the same conventions (sorted subfolders are the classes, the same
    seeded shuffle and validation split), because Keras' audio loader needs
    tensorflow-io to resample and hides each file's sample rate. Every WAV
    header is checked before the dataset is built, so a truncated or foreign
    file fails at once with its path instead of in the middle of an epoch, and
    each file is resampled in graph from its own rate to `sample_rate`.

    Args:
        directory: str. The folder; each subfolder holds one class.
        modality: str. `"image"`, `"text"` or `"audio"`.
        batch_size: int. Defaults to `32`; `None` yields single examples.
        shuffle: bool. Whether to shuffle the files (and every epoch).
            Defaults to `True`.
        seed: int. Shuffle and split seed. Defaults to `None`.
        validation_split: float. Fraction of the files kept for validation.
            Defaults to `None`.
        subset: str. `"training"`, `"validation"` or `"both"` (returns a
            tuple of two datasets); only with `validation_split`. Defaults to
            `None`.
        drop_remainder: bool. Drop the last incomplete batch, so the batch
            dimension is static (TPU). Defaults to `False`.
        image_size: int or `(height, width)`. Size images are resized to.
            Defaults to `None`, which means Keras' default `(256, 256)`.
        sample_rate: int. Rate audio is resampled to. Defaults to `None`
            (keep the files' rate; they must then all share one).
        output_sequence_length: int. Audio is padded or cut to this many
            samples. Defaults to `None` (each batch is padded to its longest
            clip).
        class_names: list of str. Subfolders to use, in label order. Defaults
            to `None` (all subfolders, sorted).

    Returns:
        A `tf.data.Dataset` of `(inputs, labels)` batches with a
        `class_names` attribute (audio with `shuffle=False`: also
        `file_paths`, the files in the order of the examples), or a
        `(training, validation)` tuple when `subset="both"`.

    Raises:
        ValueError: for an invalid option, a folder with no files of the
            modality, an unreadable WAV file, or WAV files with different
            sample rates while `sample_rate` is `None`.

    Example:

    ```python
    train = keras_transfer.data.from_directory(
        "photos/", "image", image_size=224, validation_split=0.2,
        subset="training", seed=0)
    ```
    """
    pipeline.check_modality(modality)
    image_size = pipeline.check_common(
        batch_size, image_size, sample_rate, output_sequence_length
    )
    pipeline.check_unused(
        modality, image_size=image_size, sample_rate=sample_rate,
        output_sequence_length=output_sequence_length,
    )
    _check_validation_split(validation_split, subset, shuffle, seed)
    if not os.path.isdir(directory):
        raise ValueError(
            f"`directory` must be an existing folder. Received: "
            f"directory={directory!r}"
        )
    options = dict(
        batch_size=batch_size, drop_remainder=drop_remainder,
        image_size=image_size, sample_rate=sample_rate,
        output_sequence_length=output_sequence_length,
    )
    if modality == "audio":
        return _audio_from_directory(
            directory, shuffle, seed, validation_split, subset, class_names,
            **options,
        )
    common = dict(
        labels="inferred", label_mode="int", class_names=class_names,
        batch_size=None, shuffle=shuffle, seed=seed,
        validation_split=validation_split, subset=subset, verbose=False,
    )
    if modality == "image":
        datasets = keras.utils.image_dataset_from_directory(
            directory, image_size=image_size or (256, 256), **common
        )
    else:
        datasets = keras.utils.text_dataset_from_directory(directory, **common)
    if subset == "both":
        return tuple(
            _finish_directory(ds, modality, **options) for ds in datasets
        )
    return _finish_directory(datasets, modality, **options)


def _finish_directory(ds, modality, batch_size, drop_remainder, **unused):
    names = list(ds.class_names)
    logger.info("%s dataset with classes %s", modality, names)
    ds = pipeline.batch(ds, batch_size, drop_remainder)
    if modality == "image":
        ds = ds.map(
            lambda x, y: (pipeline.prepare_images(x, None, scale=False), y),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    ds = ds.prefetch(tf.data.AUTOTUNE)
    ds.class_names = names
    return ds


def _check_validation_split(validation_split, subset, shuffle, seed):
    if validation_split is not None and not 0 < validation_split < 1:
        raise ValueError(
            "`validation_split` must be in (0, 1). Received: "
            f"validation_split={validation_split!r}"
        )
    if (validation_split is None) != (subset is None):
        raise ValueError(
            "`validation_split` and `subset` go together: set both or "
            f"neither. Received: validation_split={validation_split!r}, "
            f"subset={subset!r}"
        )
    if subset not in (None, "training", "validation", "both"):
        raise ValueError(
            "`subset` must be 'training', 'validation', 'both' or None. "
            f"Received: subset={subset!r}"
        )
    if validation_split is not None and shuffle and seed is None:
        raise ValueError(
            "A `seed` is needed with `validation_split` and `shuffle=True`, "
            "so that training and validation files do not overlap. "
            "Received: seed=None"
        )


def _index_audio(directory, class_names):
    """Lists WAV files and labels the way Keras' directory loaders do."""
    subdirs = sorted(
        d for d in os.listdir(directory)
        if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")
    )
    if class_names is not None:
        missing = [c for c in class_names if c not in subdirs]
        if missing:
            raise ValueError(
                f"`class_names` must name subfolders of {directory}: "
                f"{subdirs}. Received: class_names={list(class_names)}"
            )
        subdirs = list(class_names)
    paths, labels = [], []
    for label, subdir in enumerate(subdirs):
        walk = os.walk(os.path.join(directory, subdir))
        for root, _, files in sorted(walk, key=lambda entry: entry[0]):
            for name in sorted(files):
                if name.lower().endswith(_AUDIO_FORMATS):
                    paths.append(os.path.join(root, name))
                    labels.append(label)
    return paths, np.array(labels, np.int32), subdirs


def _audio_from_directory(
    directory, shuffle, seed, validation_split, subset, class_names,
    batch_size, drop_remainder, image_size, sample_rate,
    output_sequence_length,
):
    paths, labels, names = _index_audio(directory, class_names)
    if not paths:
        raise ValueError(
            f"No .wav files found in the class subfolders of {directory} "
            f"(subfolders: {names})."
        )
    if shuffle:
        shuffle_seed = np.random.randint(1e6) if seed is None else seed
        np.random.RandomState(shuffle_seed).shuffle(paths)
        np.random.RandomState(shuffle_seed).shuffle(labels)
    subsets = {None: (paths, labels)}
    if validation_split is not None:
        n_val = int(validation_split * len(paths))
        subsets = {
            "training": (paths[:-n_val], labels[:-n_val]),
            "validation": (paths[-n_val:], labels[-n_val:]),
        }
    wanted = ["training", "validation"] if subset == "both" else [subset]
    datasets = []
    for key in wanted:
        part_paths, part_labels = subsets[key]
        rates = [inspect_wav(p)["sample_rate"] for p in part_paths]
        counts = collections.Counter(rates)
        if sample_rate is None and len(counts) > 1:
            raise ValueError(
                f"The WAV files in {directory} have different sample rates "
                f"(Hz: files) {dict(sorted(counts.items()))}. Pass "
                "`sample_rate=` to resample them all to one rate."
            )
        ds = tf.data.Dataset.from_tensor_slices(
            (part_paths, np.array(rates, np.int32), part_labels)
        )
        if shuffle:
            ds = ds.shuffle(len(part_paths), seed=seed)
        single_rate = rates[0] if len(counts) == 1 else None

        def load(path, rate, label, single_rate=single_rate):
            waveform, _ = decode_wav(tf.io.read_file(path))
            rate_in = rate if single_rate is None else single_rate
            target = sample_rate if sample_rate is not None else single_rate
            waveform = pipeline.prepare_audio(
                waveform, rate_in, target, output_sequence_length
            )
            return waveform, label

        ds = ds.map(load, num_parallel_calls=tf.data.AUTOTUNE)
        ds = pipeline.batch(
            ds, batch_size, drop_remainder,
            padded=output_sequence_length is None,
        ).prefetch(tf.data.AUTOTUNE)
        ds.class_names = list(names)
        if not shuffle:  # the order of the batches: the report names files by index
            ds.file_paths = list(part_paths)
        datasets.append(ds)
    logger.info(
        "audio dataset: %d files, classes %s", len(paths), list(names)
    )
    return tuple(datasets) if subset == "both" else datasets[0]


def from_tfds(
    name,
    split="train",
    batch_size=32,
    shuffle=True,
    seed=None,
    drop_remainder=False,
    image_size=None,
    sample_rate=None,
    output_sequence_length=None,
    keys=None,
    data_dir=None,
    download=True,
    input_context=None,
):
    """Builds a labelled dataset from a TensorFlow Datasets catalog entry.

    The modality is read from the dataset's features (`Image`, `Text` or
    `Audio`), the input and label features from its `supervised_keys`, the
    class names from its `ClassLabel`, and for audio the source rate from the
    `Audio` feature, so the same options as `from_directory` apply. Integer
    audio is read as 16-bit PCM (divided by 32768).

    Args:
        name: str. A TFDS name, e.g. `"tf_flowers"` or `"imdb_reviews"`.
        split: str. A TFDS split, e.g. `"train"` or `"train[:80%]"`.
            Defaults to `"train"`.
        batch_size: int. Defaults to `32`; `None` yields single examples.
        shuffle: bool. Shuffle the files and the examples (buffer 10,000)
            every epoch. Defaults to `True`.
        seed: int. Shuffle seed. Defaults to `None`.
        drop_remainder: bool. Drop the last incomplete batch (static batch
            dimension). Defaults to `False`.
        image_size: int or `(height, width)`. Size images are resized to;
            needed when the dataset's images vary in size. Defaults to `None`.
        sample_rate: int. Rate audio is resampled to. Defaults to `None`.
        output_sequence_length: int. Audio is padded or cut to this length.
            Defaults to `None` (each batch padded to its longest clip).
        keys: tuple `(input_key, label_key)`. Features to use when the dataset
            has no `supervised_keys` (or to override them). Defaults to
            `None`.
        data_dir: str. TFDS data folder. Defaults to `None` (TFDS' default).
        download: bool. Let TFDS download and prepare missing data. Defaults
            to `True`.
        input_context: `tf.distribute.InputContext`. Read only this input
            pipeline's share of the split's files (TFDS' own file-based
            sharding), for `strategy.distribute_datasets_from_function`;
            `batch_size` is then the per-replica batch size. Defaults to
            `None`: all files, with the auto-shard policy `FILE`, so that
            `model.fit` under `MultiWorkerMirroredStrategy` gives each
            worker its own files (the split needs at least as many files as
            workers: `builder.info.splits[split].num_shards`).

    Returns:
        A `tf.data.Dataset` of `(inputs, labels)` batches with a
        `class_names` attribute.

    Raises:
        ImportError: if tensorflow-datasets is not installed.
        ValueError: for an invalid option, missing keys, a feature of an
            unsupported type, or a resampling request on audio of unknown
            rate.

    Example:

    ```python
    ds = keras_transfer.data.from_tfds(
        "tf_flowers", split="train[:80%]", image_size=224, seed=0)
    ```
    """
    tfds = _import_tfds()
    image_size = pipeline.check_common(
        batch_size, image_size, sample_rate, output_sequence_length
    )
    builder = tfds.builder(name, data_dir=data_dir)
    info = builder.info
    features = info.features
    if keys is None:
        keys = info.supervised_keys
    if keys is None or len(keys) != 2 or any(
        not isinstance(k, str) or k not in features for k in keys
    ):
        raise ValueError(
            f"{name} needs `keys=(input_key, label_key)` naming two of its "
            f"features {sorted(features.keys())}. Received: keys={keys!r}"
        )
    input_key, label_key = keys
    feature = features[input_key]
    kinds = {
        tfds.features.Image: "image",
        tfds.features.Text: "text",
        tfds.features.Audio: "audio",
    }
    modality = next(
        (m for cls, m in kinds.items() if isinstance(feature, cls)), None
    )
    if modality is None:
        raise ValueError(
            f"Feature {input_key!r} of {name} is a "
            f"{type(feature).__name__}; supported are Image, Text and Audio."
        )
    pipeline.check_unused(
        modality, image_size=image_size, sample_rate=sample_rate,
        output_sequence_length=output_sequence_length,
    )
    label_feature = features[label_key]
    class_names = list(getattr(label_feature, "names", None) or [])
    rate_in = getattr(feature, "sample_rate", None)
    if modality == "audio" and sample_rate is not None and rate_in is None:
        raise ValueError(
            f"The audio of {name} does not declare a sample rate, so it cannot "
            f"be resampled. Received: sample_rate={sample_rate}"
        )
    if modality == "image" and image_size is None and None in feature.shape[:2]:
        raise ValueError(
            f"The images of {name} vary in size (shape {feature.shape}); "
            "pass `image_size=` to resize them to one size."
        )

    ds = tfds.load(
        name, split=split, data_dir=data_dir, download=download,
        shuffle_files=shuffle,
        # No auto-cache (TFDS caches small unshuffled splits in memory): with
        # it, FILE auto-sharding gave two workers the same examples.
        read_config=tfds.ReadConfig(shuffle_seed=seed, input_context=input_context,
                                    try_autocache=False),
    )
    if shuffle:
        ds = ds.shuffle(10_000, seed=seed)

    def convert(example):
        x, y = example[input_key], tf.cast(example[label_key], tf.int32)
        if modality == "image":
            x = pipeline.prepare_images(x, image_size, scale=False)
        elif modality == "audio":
            if x.shape.rank == 2:  # (samples, channels)
                x = tf.reduce_mean(tf.cast(x, tf.float32), axis=-1) / (
                    32768.0 if x.dtype.is_integer else 1.0
                )
            x = pipeline.prepare_audio(
                x, rate_in, sample_rate, output_sequence_length
            )
        return x, y

    ds = ds.map(convert, num_parallel_calls=tf.data.AUTOTUNE)
    ds = pipeline.batch(
        ds, batch_size, drop_remainder,
        padded=modality == "audio" and output_sequence_length is None,
    ).prefetch(tf.data.AUTOTUNE)
    ds = pipeline.shard_by_file(ds)
    ds.class_names = class_names
    return ds


def _import_tfds():
    try:
        import tensorflow_datasets as tfds
    except ImportError as error:
        raise ImportError(
            "keras_transfer.data.from_tfds needs tensorflow-datasets. Install "
            "it with `pip install \"keras-transfer[data]\"` (or `pip install "
            f"tensorflow-datasets`). ({error})"
        ) from error
    return tfds


def from_tfrecords(
    files,
    features,
    keys,
    modality,
    batch_size=32,
    shuffle=True,
    seed=None,
    drop_remainder=False,
    image_size=None,
    sample_rate=None,
    input_sample_rate=None,
    output_sequence_length=None,
    class_names=None,
    compression_type=None,
):
    """Builds a labelled dataset from TFRecord files of `tf.train.Example`s.

    The files are read one after the other (shuffled: their order every
    epoch, then the examples through a 10,000-example buffer), so the data
    need not fit in memory, and the dataset's auto-shard policy is `FILE`:
    under `MultiWorkerMirroredStrategy` each worker reads its own files
    (write at least as many files as workers, of similar sizes).

    `features` is the spec that `tf.io.parse_single_example` takes, and says
    how each input is stored:

    - image: encoded image bytes (`tf.io.FixedLenFeature([], tf.string)`:
      PNG, JPEG, GIF or BMP, decoded to RGB; then `image_size` is needed
      unless all images have one size and `batch_size=None`), or pixel
      values (`tf.io.FixedLenFeature([h, w, c], tf.int64 or tf.float32)`,
      0..255),
    - text: a string (`tf.io.FixedLenFeature([], tf.string)`),
    - audio: WAV file bytes (a string feature; the rate comes from each
      header) or samples (`tf.io.FixedLenFeature([n], tf.float32)` or
      `tf.io.VarLenFeature(tf.float32)`, in [-1, 1], at
      `input_sample_rate`),

    and the label an integer (`tf.io.FixedLenFeature([], tf.int64)`).

    Args:
        files: str or list of str. A glob pattern (e.g.
            `"data/train-*.tfrecord"`) or the files; read in sorted order.
        features: dict. Feature name -> `tf.io.FixedLenFeature` or
            `tf.io.VarLenFeature`; must contain both `keys`.
        keys: tuple `(input_key, label_key)`.
        modality: str. `"image"`, `"text"` or `"audio"`.
        batch_size: int. Defaults to `32`; `None` yields single examples.
        shuffle: bool. Shuffle the files and the examples every epoch.
            Defaults to `True`.
        seed: int. Shuffle seed. Defaults to `None`.
        drop_remainder: bool. Drop the last incomplete batch (static batch
            dimension). Defaults to `False`.
        image_size: int or `(height, width)`. Size images are resized to.
            Defaults to `None` (keep).
        sample_rate: int. Rate audio is resampled to. Defaults to `None`
            (keep).
        input_sample_rate: int. Rate of audio stored as samples; needed
            with `sample_rate`. Defaults to `None`.
        output_sequence_length: int. Audio is padded or cut to this length.
            Defaults to `None` (each batch padded to its longest clip).
        class_names: list of str. Set as the dataset's `class_names`.
            Defaults to `None` (`[]`: unknown).
        compression_type: str. `"GZIP"` or `"ZLIB"` for compressed files.
            Defaults to `None`.

    Returns:
        A `tf.data.Dataset` of `(inputs, labels)` batches (int32 labels)
        with `class_names` and `file_paths` (the files, sorted) attributes.

    Raises:
        ValueError: if no file matches, `features` is not a spec holding
            both `keys`, the input feature's type does not fit `modality`,
            or an option does not apply.

    Example:

    ```python
    ds = keras_transfer.data.from_tfrecords(
        "flowers/train-*.tfrecord",
        {"image": tf.io.FixedLenFeature([], tf.string),
         "label": tf.io.FixedLenFeature([], tf.int64)},
        keys=("image", "label"), modality="image", image_size=224, seed=0)
    ```
    """
    pipeline.check_modality(modality)
    image_size = pipeline.check_common(
        batch_size, image_size, sample_rate, output_sequence_length
    )
    pipeline.check_unused(
        modality, image_size=image_size, sample_rate=sample_rate,
        output_sequence_length=output_sequence_length,
        input_sample_rate=input_sample_rate,
    )
    check_one_of(compression_type, "compression_type", (None, "", "GZIP", "ZLIB"))
    paths = _tfrecord_files(files)
    input_key, label_key, spec = _check_feature_spec(features, keys, modality)
    encoded = spec.dtype == tf.string and modality != "text"
    if modality == "image" and encoded and image_size is None and batch_size is not None:
        raise ValueError(
            "Encoded images can differ in size: pass `image_size=` to resize them "
            "to one size for batching. Received: image_size=None")
    if modality == "audio" and not encoded and sample_rate is not None \
            and input_sample_rate is None:
        raise ValueError(
            "`input_sample_rate` (the rate of the stored samples) is needed to "
            f"resample to sample_rate={sample_rate}. Received: input_sample_rate=None")
    if input_sample_rate is not None:
        pipeline.check_common(None, None, input_sample_rate, None)

    ds = tf.data.Dataset.from_tensor_slices(paths)
    if shuffle:
        ds = ds.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)

    def read(path):
        return tf.data.TFRecordDataset(path, compression_type=compression_type)

    ds = ds.interleave(read, cycle_length=min(len(paths), 4) if shuffle else 1,
                       num_parallel_calls=None)
    if shuffle:
        ds = ds.shuffle(10_000, seed=seed, reshuffle_each_iteration=True)
    parse_spec = {input_key: features[input_key], label_key: features[label_key]}

    def convert(record):
        example = tf.io.parse_single_example(record, parse_spec)
        x, y = example[input_key], example[label_key]
        if isinstance(x, tf.SparseTensor):
            x = tf.sparse.to_dense(x)
        y = tf.cast(tf.reshape(y, []), tf.int32)
        if modality == "image":
            if encoded:
                x = tf.io.decode_image(x, channels=3, expand_animations=False)
            x = pipeline.prepare_images(x, image_size, scale=False)
        elif modality == "audio":
            rate_in = input_sample_rate
            if encoded:
                x, rate_in = decode_wav(x)
            x = pipeline.prepare_audio(x, rate_in, sample_rate, output_sequence_length)
        return x, y

    ds = ds.map(convert, num_parallel_calls=tf.data.AUTOTUNE)
    ds = pipeline.batch(
        ds, batch_size, drop_remainder,
        padded=modality == "audio" and output_sequence_length is None,
    ).prefetch(tf.data.AUTOTUNE)
    ds = pipeline.shard_by_file(ds)
    ds.class_names = [str(c) for c in (class_names or [])]
    ds.file_paths = paths
    return ds


def _tfrecord_files(files):
    if isinstance(files, (str, os.PathLike)):
        paths = sorted(tf.io.gfile.glob(os.fspath(files)))
    elif isinstance(files, (list, tuple)) and all(
            isinstance(f, (str, os.PathLike)) for f in files):
        paths = sorted(os.fspath(f) for f in files)
        missing = [p for p in paths if not tf.io.gfile.exists(p)]
        if missing:
            raise ValueError(f"TFRecord file(s) not found: {missing[:3]}. "
                             f"Received: files={files!r:.200}")
    else:
        raise ValueError("`files` must be a glob pattern or a list of paths. "
                         f"Received: files={files!r:.200}")
    if not paths:
        raise ValueError(f"No TFRecord files match {files!r:.200}.")
    return paths


_FEATURE_TYPES = (tf.io.FixedLenFeature, tf.io.VarLenFeature)
_INPUT_DTYPES = {"image": (tf.string, tf.float32, tf.int64),
                 "text": (tf.string,),
                 "audio": (tf.string, tf.float32)}


def _check_feature_spec(features, keys, modality):
    if not isinstance(features, dict) or not features or not all(
            isinstance(v, _FEATURE_TYPES) for v in features.values()):
        raise ValueError(
            "`features` must map feature names to `tf.io.FixedLenFeature` or "
            f"`tf.io.VarLenFeature`. Received: features={features!r:.200}")
    if not isinstance(keys, (tuple, list)) or len(keys) != 2 or any(
            k not in features for k in keys):
        raise ValueError(
            "`keys` must be `(input_key, label_key)`, two of the features "
            f"{sorted(features)}. Received: keys={keys!r}")
    input_key, label_key = keys
    spec, label = features[input_key], features[label_key]
    if spec.dtype not in _INPUT_DTYPES[modality]:
        raise ValueError(
            f"For modality={modality!r} the feature {input_key!r} must have a dtype "
            f"in {[d.name for d in _INPUT_DTYPES[modality]]}. Received: "
            f"{spec.dtype.name}")
    if modality == "image" and spec.dtype != tf.string and not (
            isinstance(spec, tf.io.FixedLenFeature) and len(spec.shape) == 3):
        raise ValueError(
            f"Image pixels {input_key!r} must be a `tf.io.FixedLenFeature([height, "
            f"width, channels], ...)`. Received: {spec!r}")
    if not (isinstance(label, tf.io.FixedLenFeature) and label.dtype == tf.int64
            and tuple(label.shape) in ((), (1,))):
        raise ValueError(
            f"The label feature {label_key!r} must be "
            f"`tf.io.FixedLenFeature([], tf.int64)`. Received: {label!r}")
    return input_key, label_key, spec


def from_arrays(
    x,
    y,
    class_names=None,
    modality=None,
    batch_size=32,
    shuffle=True,
    seed=None,
    drop_remainder=False,
    image_size=None,
    sample_rate=None,
    input_sample_rate=None,
    output_sequence_length=None,
):
    """Builds a labelled dataset from in-memory arrays.

    Examples are shuffled and batched first, then converted a whole batch at a
    time, so resizing a 28x28 subsample to 96x96 RGB costs memory for one
    batch only. `keras_transfer.data.from_arrays(*split, ...)` accepts what
    `keras_transfer.data.load_dataset` returns.

    Args:
        x: array. uint8 or float images `(n, h, w)` / `(n, h, w, 1 or 3)`,
            strings `(n,)`, or waveforms `(n, samples)`.
        y: array of int labels, shape `(n,)`.
        class_names: sequence of str. Set as the dataset's `class_names`.
            Defaults to `None` (`"0"`, `"1"`, ...).
        modality: str. `"image"`, `"text"` or `"audio"`. Defaults to `None`:
            strings are text, 2-D float arrays audio, 3-D and 4-D arrays
            images.
        batch_size: int. Defaults to `32`; `None` yields single examples.
        shuffle: bool. Reshuffle fully every epoch. Defaults to `True`.
        seed: int. Shuffle seed. Defaults to `None`.
        drop_remainder: bool. Drop the last incomplete batch (static batch
            dimension). Defaults to `False`.
        image_size: int or `(height, width)`. Size images are resized to.
            Defaults to `None` (keep).
        sample_rate: int. Rate audio is resampled to. Defaults to `None`
            (keep).
        input_sample_rate: int. Rate of the waveforms in `x`; needed with
            `sample_rate`. Defaults to `None`.
        output_sequence_length: int. Audio is padded or cut to this length.
            Defaults to `None` (keep).

    Returns:
        A `tf.data.Dataset` of `(inputs, labels)` batches with a
        `class_names` attribute.

    Raises:
        ValueError: if the arrays or options do not fit together.

    Example:

    ```python
    split = keras_transfer.data.load_dataset("fashion_mnist", num_examples=2000)
    ds = keras_transfer.data.from_arrays(*split, image_size=96, seed=0)
    ```
    """
    x = np.asarray(x)
    y = np.asarray(y)
    if modality is None:
        modality = _infer_modality(x)
    pipeline.check_modality(modality)
    image_size = pipeline.check_common(
        batch_size, image_size, sample_rate, output_sequence_length
    )
    pipeline.check_unused(
        modality, image_size=image_size, sample_rate=sample_rate,
        output_sequence_length=output_sequence_length,
        input_sample_rate=input_sample_rate,
    )
    if y.ndim != 1 or len(y) != len(x) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(
            "`y` must hold one integer label per example of `x`. Received: "
            f"x.shape={x.shape}, y.shape={y.shape}, y.dtype={y.dtype}"
        )
    if len(y) and y.min() < 0:
        raise ValueError(f"Labels must be >= 0. Received: min(y)={y.min()}")
    if class_names is None:
        class_names = [str(i) for i in range(int(y.max()) + 1 if len(y) else 0)]
    class_names = [str(c) for c in class_names]
    if len(y) and y.max() >= len(class_names):
        raise ValueError(
            f"`class_names` has {len(class_names)} names but `y` holds label "
            f"{int(y.max())}. Received: class_names={class_names}"
        )
    if modality == "image":
        if x.ndim == 3:
            x = x[..., None]
        if x.ndim != 4 or x.shape[-1] not in (1, 3):
            raise ValueError(
                "Images must have shape (n, height, width) or (n, height, "
                f"width, 1 or 3). Received: x.shape={x.shape}"
            )
    elif modality == "audio":
        if x.ndim != 2:
            raise ValueError(
                "Audio must be mono waveforms of shape (n, samples). "
                f"Received: x.shape={x.shape}"
            )
        if sample_rate is not None:
            if input_sample_rate is None:
                raise ValueError(
                    "`input_sample_rate` (the rate of `x`) is needed to "
                    f"resample to sample_rate={sample_rate}. Received: "
                    "input_sample_rate=None"
                )
            pipeline.check_common(None, None, input_sample_rate, None)
    elif x.ndim != 1 or x.dtype.kind not in "USO":
        raise ValueError(
            f"Text must be a 1-D array of strings. Received: x.shape="
            f"{x.shape}, x.dtype={x.dtype}"
        )
    if modality == "text" and x.dtype.kind == "O":
        x = x.astype(str)

    ds = tf.data.Dataset.from_tensor_slices((x, y.astype(np.int32)))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed)
    if batch_size is not None:
        ds = ds.batch(batch_size, drop_remainder=drop_remainder)

    def convert(inputs, labels):
        if modality == "image":
            inputs = pipeline.prepare_images(inputs, image_size, scale=False)
        elif modality == "audio":
            inputs = pipeline.prepare_audio(
                inputs, input_sample_rate, sample_rate, output_sequence_length
            )
        return inputs, labels

    if modality != "text":
        ds = ds.map(convert, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.prefetch(tf.data.AUTOTUNE)
    ds.class_names = class_names
    return ds


def _infer_modality(x):
    if x.dtype.kind in "USO":
        return "text"
    if x.ndim == 2 and x.dtype.kind == "f":
        return "audio"
    if x.ndim in (3, 4):
        return "image"
    raise ValueError(
        f"Cannot tell the modality of an array of shape {x.shape} and dtype "
        f"{x.dtype}; pass modality='image', 'text' or 'audio'."
    )
