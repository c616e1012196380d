"""Turn a `--data` source (built-in name, `tfds:NAME`, folder) into datasets."""

import os
from dataclasses import dataclass

from keras_transfer.cli.errors import UsageError


@dataclass
class DataSource:
    """Train/test datasets plus what the CLI needs to know about them."""

    train: object
    test: object
    class_names: list
    modality: str
    description: str
    # A built-in dataset's training examples as loaded (`ArraySplit` x and y,
    # before resizing), and `make_dataset(x, y, training)` that turns a part of
    # them into batches as `train` (training=True) or `test` (False) were made:
    # what `fit --folds` cuts into folds. `None` for tfds: and folder sources.
    train_arrays: tuple = None
    make_dataset: object = None


def load_source(source, modality=None, batch_size=32, num_train=None, num_test=None, seed=0,
                image_size=None, sample_rate=16000, clip_seconds=1.0):
    """Loads `source` as batched `(x, y)` datasets.

    Args:
        source: str. A built-in dataset (`keras-transfer datasets`), `tfds:NAME`
            (train/test splits), or a folder with one subfolder per class (a
            `test/` and `train/` pair inside, or a single folder split 80/20).
    """
    from keras_transfer import data

    options = dict(batch_size=batch_size, seed=seed)
    if source in data.DATASETS:
        entry = data.DATASETS[source]
        if entry.get("task", "classification") != "classification":
            raise UsageError(
                f"--data {source!r} is a {entry['task']} dataset (one tag per word); "
                "`fit` trains and evaluates taggers on it, this command takes "
                "classification data only (docs/ner.md)")
        modality = _check_modality(modality, entry["modality"], source)
        sizes = {}
        if source != "spoken_words":
            sizes = {"train": {"num_examples": num_train}, "test": {"num_examples": num_test}}
        train = load_split(data, source, "train", seed, sizes, "--num-train")
        test = load_split(data, source, "test", seed, sizes, "--num-test")
        extra = _modality_options(modality, image_size, sample_rate, clip_seconds)
        if modality == "audio":
            extra["input_sample_rate"] = entry.get("sample_rate", sample_rate)

        def make_dataset(x, y, training):
            return data.from_arrays(x, y, train.class_names, modality=modality,
                                    shuffle=training, **options, **extra)

        return DataSource(make_dataset(train.x, train.y, True),
                          make_dataset(test.x, test.y, False), list(train.class_names),
                          modality, f"{source}: {len(train.y)} train / {len(test.y)} test",
                          train_arrays=(train.x, train.y), make_dataset=make_dataset)
    if source.startswith("tfds:"):
        if modality is None:
            raise UsageError("--task is required with tfds: sources (image, text or audio)")
        name = source[len("tfds:"):]
        extra = _modality_options(modality, image_size, sample_rate, clip_seconds)
        train_ds = data.from_tfds(name, "train", shuffle=True, **options, **extra)
        test_ds = data.from_tfds(name, "test", shuffle=False, **options, **extra)
        return DataSource(train_ds, test_ds, list(train_ds.class_names), modality,
                          f"tfds {name}")
    if os.path.isdir(source):
        if modality is None:
            raise UsageError("--task is required with a folder source (image, text or audio)")
        extra = _modality_options(modality, image_size, sample_rate, clip_seconds)
        train_dir, test_dir = os.path.join(source, "train"), os.path.join(source, "test")
        if os.path.isdir(train_dir) and os.path.isdir(test_dir):
            train_ds = data.from_directory(train_dir, modality, shuffle=True, **options, **extra)
            test_ds = data.from_directory(test_dir, modality, shuffle=False, **options, **extra)
        else:
            train_ds, test_ds = data.from_directory(source, modality, validation_split=0.2,
                                                    subset="both", **options, **extra)
        return DataSource(train_ds, test_ds, list(train_ds.class_names), modality,
                          f"folder {source}")
    raise UsageError(
        f"--data {source!r} is not a built-in dataset ({', '.join(sorted(data.DATASETS))}), "
        "a tfds:NAME, or an existing folder")


def load_split(data, source, split, seed, sizes, flag):
    """Loads one split; errors about its size name the command-line flag."""
    try:
        return data.load_dataset(source, split, seed=seed, **sizes.get(split, {}))
    except ValueError as error:
        message = str(error)
        if "num_examples" not in message:
            raise
        message = message.replace("`num_examples`", flag).replace("num_examples=", f"{flag} ")
        raise UsageError(message.replace("num_examples", flag)) from None


def dataset_modality(source):
    """The modality of a built-in dataset, or `None` (tfds:, folders)."""
    from keras_transfer.data.registry import DATASETS

    entry = DATASETS.get(source)
    return entry["modality"] if entry else None


def check_backbone(backbone, modality=None):
    """Fails fast on `--backbone`, before any data is loaded; returns the
    backbone to build with.

    A registry name must be registered (and of the data's modality when it is
    known); a local path must exist. A folder written by `lm-adapt` is
    registered (`register_adapted_backbone`) and its registry name returned.
    URLs are resolved later (with the offline-cache message of `HubBackbone`).
    """
    from keras_transfer.backbones import registry
    from keras_transfer.backbones.register_adapted_backbone import (
        is_adapted_folder, register_adapted_backbone)

    if "://" in backbone:
        return backbone
    if is_adapted_folder(backbone):
        if modality is not None and modality != "text":
            raise UsageError(f"--backbone {backbone} is an adapted text encoder, but the "
                             f"data is {modality}")
        try:
            return register_adapted_backbone(backbone)
        except ValueError as error:
            raise UsageError(f"--backbone {backbone}: {error}") from None
    path = os.path.expanduser(backbone)
    name = backbone.partition("/")[0]
    if name in registry.BACKBONES and not os.path.exists(path):
        actual = registry.BACKBONES[name]["modality"]
        if modality is not None and actual != modality:
            same = sorted(n for n, e in registry.BACKBONES.items() if e["modality"] == modality)
            article = "an" if actual[0] in "aeiou" else "a"
            raise UsageError(f"--backbone {backbone} is {article} {actual} backbone, but the "
                             f"data is {modality}: use one of {', '.join(same)}")
        return backbone
    if os.sep in backbone or "/" in backbone or backbone.startswith((".", "~")):
        if not os.path.exists(path):
            raise UsageError(f"--backbone {backbone}: no such SavedModel folder")
        return backbone
    raise UsageError(f"--backbone {backbone!r} is not a registered backbone "
                     f"({', '.join(sorted(registry.BACKBONES))}), a SavedModel folder or a URL")


def check_sizes(num_train=None, num_test=None):
    """`--num-train` / `--num-test` must be positive when given."""
    for flag, value in (("--num-train", num_train), ("--num-test", num_test)):
        if value is not None and value < 1:
            raise UsageError(f"{flag} must be >= 1, got {value}")


def _check_modality(requested, actual, source):
    if requested is not None and requested != actual:
        raise UsageError(f"--task {requested} does not match {source}, which is {actual} data")
    return actual


def _modality_options(modality, image_size, sample_rate, clip_seconds):
    if modality == "image":
        return {"image_size": image_size} if image_size else {}
    if modality == "audio":
        return {"sample_rate": sample_rate,
                "output_sequence_length": int(round(sample_rate * clip_seconds))}
    return {}


MAX_TEXT_FILE_BYTES = 256 * 2 ** 20


def unlabelled_texts(source):
    """`lm-adapt --data`: a dataset's `unlabelled_loader()` or a .txt file's lines."""
    from keras_transfer import data

    if source in data.DATASETS:
        loader = data.DATASETS[source].get("unlabelled_loader")
        if loader is None:
            with_text = sorted(k for k, e in data.DATASETS.items() if e.get("unlabelled_loader"))
            raise UsageError(f"--data {source!r} has no unlabelled text; datasets that do: "
                             f"{', '.join(with_text)}; or pass a .txt file")
        return [str(text) for text in loader()]
    path = os.path.expanduser(source)
    if not os.path.isfile(path):
        raise UsageError(f"--data {source!r} is neither a dataset with unlabelled text nor "
                         "a text file")
    size = os.path.getsize(path)
    if size > MAX_TEXT_FILE_BYTES:
        raise UsageError(f"--data {source!r} is {size} bytes; at most "
                         f"{MAX_TEXT_FILE_BYTES} are read")
    with open(path, "rb") as f:
        raw = f.read(MAX_TEXT_FILE_BYTES + 1)
    try:
        lines = raw.decode("utf-8").splitlines()
    except UnicodeDecodeError as error:
        raise UsageError(f"--data {source!r} is not UTF-8 text ({error.reason} at byte "
                         f"{error.start})") from None
    texts = [line.strip() for line in lines if line.strip()]
    if not texts:
        raise UsageError(f"--data {source!r} holds no text")
    return texts
