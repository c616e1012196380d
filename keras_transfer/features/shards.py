"""Sharded TFRecord storage of cached features, streamed back with `tf.data`.

`FeatureCache(directory=...)` keeps its features here instead of in memory:

- `write_shards` writes batches as they are computed, one TFRecord record per
  batch (each tensor of the batch as a `TensorProto`, what
  `tf.io.serialize_tensor` writes and `tf.io.parse_tensor` reads: exact, no
  float rounding), into files of about `shard_size` bytes,
  then a `manifest.json` with each tensor's dtype and shape, each file's
  batch and example counts, byte size and SHA-256, and the fingerprint of the
  data and feature extractor they came from. Nothing is ever concatenated,
  so extraction needs memory for one batch (plus the writer's buffer).
- `read_manifest` checks a folder against its manifest (fingerprint, format,
  file names, sizes and SHA-256 of every file, read in 1 MiB chunks), and
  refuses a stale or edited cache with a one-line error.
- `stream` reads the files back as a `tf.data.Dataset` that opens them one
  after the other: memory is bounded by a few batches (and, when shuffling,
  a buffer of about one file's examples), not by the size of the cache.
  The file list is the source of the pipeline and its auto-shard policy is
  `FILE`, so under `tf.distribute.MultiWorkerMirroredStrategy` every worker
  reads its own files (a cache needs at least as many files as workers).

No pickle anywhere: the manifest is JSON and the records are tensor protos
parsed with the dtypes the manifest declares (from an allow-list).
"""

import hashlib
import json
import os
import re
import shutil

import tensorflow as tf

from keras_transfer.data import pipeline

MANIFEST = "manifest.json"
FORMAT = 2
_SHARD_NAME = "shard-{:05d}.tfrecord"
_SHARD_PATTERN = re.compile(r"shard-\d{5}\.tfrecord")
_DTYPES = ("float16", "bfloat16", "float32", "float64", "int8", "int16", "int32",
           "int64", "uint8", "uint16", "uint32", "uint64", "bool", "string")
_CHUNK = 1 << 20


class StaleCacheError(ValueError):
    """The folder's features do not belong to this data or feature extractor."""


def write_shards(path, batches, fingerprint, shard_size):
    """Writes `(features, labels[, weights])` batches as sharded TFRecord files.

    The files go to a temporary folder next to `path`, which is renamed to
    `path` once the manifest is written, so a crash never leaves a folder
    that loads.

    Args:
        path: str. The folder to create.
        batches: iterable of nests (tuples, dicts) of NumPy arrays, all with
            the structure, dtypes and shapes (but the batch size) of the first.
        fingerprint: str. What the features were computed from.
        shard_size: int. A file is closed once it holds this many bytes or
            more (a batch is never split between files).

    Returns:
        The manifest (a dict).
    """
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    temporary = f"{os.path.abspath(path)}.partial-{os.getpid()}"
    shutil.rmtree(temporary, ignore_errors=True)
    os.makedirs(temporary)
    shards, specs, writer, current, batch_size, structure = [], None, None, None, None, None
    try:
        for batch in batches:
            flat = tf.nest.flatten(batch)
            if specs is None:
                specs = [_spec(a) for a in flat]
                batch_size = int(flat[0].shape[0])
                structure = tf.nest.map_structure(lambda _: None, batch)
            _check_batch(flat, specs)
            record = _serialize(flat)
            if writer is None:
                current = {"file": _SHARD_NAME.format(len(shards)), "batches": 0,
                           "examples": 0, "bytes": 0}
                writer = tf.io.TFRecordWriter(os.path.join(temporary, current["file"]))
            writer.write(record)
            current["batches"] += 1
            current["examples"] += int(flat[0].shape[0])
            current["bytes"] += len(record) + 16  # TFRecord framing: length + 2 CRCs
            if current["bytes"] >= shard_size:
                writer.close()
                shards.append(_finish(temporary, current))
                writer = None
        if writer is not None:
            writer.close()
            shards.append(_finish(temporary, current))
            writer = None
        if not shards:
            raise ValueError("The dataset is empty: there is nothing to extract.")
        manifest = {
            "format": FORMAT,
            "fingerprint": fingerprint,
            "structure": structure_to_json(structure),
            "tensors": specs,
            "batch_size": batch_size,
            "shards": shards,
        }
        with open(os.path.join(temporary, MANIFEST), "w") as f:
            json.dump(manifest, f, indent=1)
        if os.path.exists(path):  # extracted by another process meanwhile
            shutil.rmtree(path)
        os.replace(temporary, path)
        return manifest
    finally:
        if writer is not None:
            writer.close()
        shutil.rmtree(temporary, ignore_errors=True)


def read_manifest(path, fingerprint):
    """Loads and checks `path`'s manifest and files; returns the manifest.

    Raises:
        StaleCacheError: if the features come from other data or another
            feature extractor.
        ValueError: if the folder is not a cache this version wrote, or a
            file is missing, has another size or other contents than the
            manifest records (the message names the file and says to delete
            the folder).
    """
    delete = f"Delete {path!r} (or pass another `name`) to extract again."
    manifest_path = os.path.join(path, MANIFEST)
    if not os.path.exists(manifest_path):
        if os.path.exists(os.path.join(path, "meta.json")):
            raise ValueError(f"{path!r} holds features in the .npy format of an older "
                             f"keras_transfer, which is no longer read. {delete}")
        raise ValueError(f"{path!r} is not a feature cache (no {MANIFEST}). {delete}")
    try:
        if os.path.getsize(manifest_path) > 64 * 2**20:
            raise ValueError("larger than 64 MiB")
        with open(manifest_path) as f:
            manifest = json.load(f)
        _check_manifest(manifest)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise ValueError(f"The manifest of the feature cache in {path!r} is invalid "
                         f"({_short(error)}). {delete}") from None
    if manifest["fingerprint"] != fingerprint:
        raise StaleCacheError(
            f"The features stored in {path!r} were computed from other data or another "
            "feature extractor (weights, preprocessing or the first batch differ; a "
            "dataset that reshuffles on every pass also differs: extract an unshuffled "
            "one and pass `shuffle=True` to `extract`). Delete that folder or pass "
            "another `name`.")
    for shard in manifest["shards"]:
        file = os.path.join(path, shard["file"])
        if not os.path.isfile(file):
            problem = "is missing"
        elif os.path.getsize(file) != shard["size"]:
            problem = f"has {os.path.getsize(file)} bytes, not {shard['size']}"
        elif _sha256(file) != shard["sha256"]:
            problem = "was changed (SHA-256 differs)"
        else:
            continue
        raise ValueError(f"The feature cache in {path!r} does not match its manifest: "
                         f"{shard['file']} {problem}. {delete}")
    return manifest


def stream(path, manifest, shuffle=False, seed=None):
    """The cached batches of `path`, read file by file.

    Without `shuffle`, the batches come back exactly as written (same sizes,
    same order). With `shuffle`, the file order is reshuffled every epoch and
    the examples pass a shuffle buffer as large as the largest file's example
    count, then are batched with the first batch's size.

    Returns:
        A `tf.data.Dataset` with auto-shard policy `FILE`.
    """
    structure = structure_from_json(manifest["structure"])
    specs = manifest["tensors"]
    shards = manifest["shards"]
    files = [os.path.join(path, s["file"]) for s in shards]
    dataset = tf.data.Dataset.from_tensor_slices(files)
    if shuffle:
        dataset = dataset.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.interleave(tf.data.TFRecordDataset, cycle_length=1,
                                 num_parallel_calls=None)
    keys = {str(i): tf.io.FixedLenFeature([], tf.string) for i in range(len(specs))}

    def parse(record):
        parsed = tf.io.parse_single_example(record, keys)
        tensors = [tf.ensure_shape(tf.io.parse_tensor(parsed[str(i)], spec["dtype"]),
                                   [None] + spec["shape"])
                   for i, spec in enumerate(specs)]
        return tf.nest.pack_sequence_as(structure, tensors)

    dataset = dataset.map(parse, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if shuffle:
        buffer = max(s["examples"] for s in shards)
        dataset = dataset.unbatch().shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
        dataset = dataset.batch(manifest["batch_size"])
        examples = sum(s["examples"] for s in shards)
        batches = -(-examples // manifest["batch_size"])
    else:
        batches = sum(s["batches"] for s in shards)
    # A known length: on a dataset of unknown length Keras 3.15 took 6
    # optimizer steps per 5-batch epoch here (from the second epoch on, the
    # weights differed from training on the same batches in memory). The
    # auto-shard rewrite drops this assertion on each worker, whose share
    # is smaller.
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(batches))
    return pipeline.shard_by_file(dataset.prefetch(2))


def _spec(array):
    dtype = tf.as_dtype(array.dtype).name
    return {"dtype": dtype, "shape": [int(d) for d in array.shape[1:]]}


def _check_batch(flat, specs):
    if len(flat) != len(specs):
        raise ValueError(f"Every batch must have the same structure to be cached on disk: "
                         f"{len(flat)} tensors after {len(specs)}.")
    sizes = {int(a.shape[0]) for a in flat}
    for array, spec in zip(flat, specs):
        if _spec(array) != spec:
            raise ValueError(
                "Every batch must have the same dtypes and shapes (all but the batch "
                f"dimension) to be cached on disk. Received: {_spec(array)} after "
                f"{spec}")
    if len(sizes) != 1:
        raise ValueError(f"The tensors of a batch have different batch sizes {sorted(sizes)}.")


def _serialize(flat):
    feature = {
        str(i): tf.train.Feature(bytes_list=tf.train.BytesList(
            value=[tf.make_tensor_proto(array).SerializeToString()]))
        for i, array in enumerate(flat)
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def _finish(folder, shard):
    file = os.path.join(folder, shard["file"])
    info = {"file": shard["file"], "batches": shard["batches"],
            "examples": shard["examples"], "size": os.path.getsize(file),
            "sha256": _sha256(file)}
    return info


def _sha256(file):
    digest = hashlib.sha256()
    with open(file, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_manifest(manifest):
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"format {manifest.get('format')!r}, expected {FORMAT}")
    if not isinstance(manifest["fingerprint"], str):
        raise ValueError("fingerprint is not a string")
    specs = manifest["tensors"]
    if not isinstance(specs, list) or not specs:
        raise ValueError("no tensors")
    for spec in specs:
        if spec["dtype"] not in _DTYPES or not all(
                isinstance(d, int) and not isinstance(d, bool) and d >= 0
                for d in spec["shape"]):
            raise ValueError(f"tensor spec {spec!r:.80}")
    structure = structure_from_json(manifest["structure"])
    if len(tf.nest.flatten(structure)) != len(specs):
        raise ValueError("structure and tensors disagree")
    shards = manifest["shards"]
    if not isinstance(shards, list) or not shards:
        raise ValueError("no shards")
    for shard in shards:
        if not isinstance(shard["file"], str) or not _SHARD_PATTERN.fullmatch(shard["file"]):
            raise ValueError(f"file name {shard['file']!r:.80}")
        for key in ("batches", "examples", "size"):
            if not isinstance(shard[key], int) or isinstance(shard[key], bool) \
                    or shard[key] < 1:
                raise ValueError(f"{key} of {shard['file']}")
        if not isinstance(shard["sha256"], str):
            raise ValueError(f"sha256 of {shard['file']}")
    batch_size = manifest["batch_size"]
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError("batch_size")


def _short(error):
    return ascii(str(error))[1:-1][:200]


def structure_to_json(structure):
    """A nest of dicts/tuples/lists (leaves ignored) as JSON data."""
    if isinstance(structure, dict):
        return {"dict": {k: structure_to_json(v) for k, v in structure.items()}}
    if isinstance(structure, (list, tuple)):
        return {"list": [structure_to_json(v) for v in structure]}
    return None


def structure_from_json(data):
    """The inverse of `structure_to_json` (lists come back as tuples)."""
    if data is None:
        return None
    if not isinstance(data, dict) or len(data) != 1:
        raise ValueError("invalid structure")
    if "dict" in data and isinstance(data["dict"], dict):
        return {str(k): structure_from_json(v) for k, v in data["dict"].items()}
    if "list" in data and isinstance(data["list"], list):
        return tuple(structure_from_json(v) for v in data["list"])
    raise ValueError("invalid structure")


def total_bytes(manifest):
    """Bytes of all shard files."""
    return sum(s["size"] for s in manifest["shards"])
