"""`FeatureCache`: run a frozen backbone once, then train only the head."""

import hashlib
import json
import logging
import os

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.distribute.multi_worker import enable_multi_worker_fit
from keras_transfer.features import shards
from keras_transfer.utils.argument_validation import check_int

logger = logging.getLogger(__name__)


class FeatureCache:
    """Trains a model's head on backbone features computed once.

    With a frozen backbone, every epoch of `model.fit` recomputes the same
    backbone outputs. `FeatureCache` splits the model at the layer named
    `feature_layer` (`"backbone"` in every keras_transfer builder) into

    - `feature_extractor`: a `keras.Model` from the model's inputs to that
      layer's output (preprocessing + backbone), and
    - `head_model`: a `keras.Model` from that output to the model's outputs
      (the `head`, and anything else after the backbone),

    computes the features of a dataset once (`extract`), and trains
    `head_model` on them (`fit`). The head's layers are the model's own
    layers, so the trained head is already in the full model: no copying
    back.

    Without `directory`, features are kept in memory. With `directory` (and
    a `name` per dataset in `extract`), they are written batch by batch to
    TFRecord files of about `shard_size` bytes and streamed back from disk,
    so neither extraction nor training ever holds all features in memory:
    the cache can be larger than RAM. A `manifest.json` records the tensors'
    dtypes and shapes, every file's example count, size and SHA-256, and a
    fingerprint of the data and feature extractor; a later `extract` with
    the same `name` reuses the files, and refuses them with a one-line error
    when they are stale or were changed. The streamed dataset shards by
    FILE under `tf.distribute.MultiWorkerMirroredStrategy` (each worker
    reads its own files; use a `shard_size` that gives at least as many
    files as workers).

    Training on cached features gives the same head weights as `model.fit`
    on the same batches in the same order (up to float rounding, ~1e-7):
    `head_model` is compiled with the model's own optimizer object (so its
    state carries over in both directions), loss and metrics, and the
    features are what the frozen backbone computes in `fit` (a frozen
    `HubBackbone` always runs in inference mode). Dropout in the head draws
    the same masks too, as long as both runs start from the same seed state
    (the head's layers, and so its seed generators, are shared). It differs
    from end-to-end training when the input pipeline reshuffles or augments
    every epoch (the cache holds one pass, in order; pass `shuffle=True` to
    `extract` to shuffle the cached examples instead), or when layers before
    the backbone behave differently in training (random augmentation layers
    are run in inference mode, i.e. skipped, by the cache).

    Args:
        model: `keras.Model`. A functional (or Sequential) model whose
            `feature_layer` is frozen and called once.
        directory: str or path-like. Where `extract` stores features as
            `<directory>/<name>/shard-*.tfrecord` files (plus
            `manifest.json`) and reuses them on later runs. Defaults to
            `None` (memory only).
        feature_layer: str. Name of the last layer of the feature extractor.
            Defaults to `"backbone"`.
        shard_size: int. Bytes per file on disk: a file is closed once it
            reaches this size (a batch is never split). Also about the
            memory a shuffled stream needs for its shuffle buffer. Defaults
            to `64 * 2**20` (64 MiB).

    Raises:
        ValueError: if the model has no layer `feature_layer` (listing the
            layer names), calls it more than once (a siamese model), or the
            feature extractor has trainable weights (an unfrozen backbone:
            its features would change while training).

    Example:

    ```python
    model = keras_transfer.build_image_classifier(
        "efficientnet_lite0", num_classes=5, trainable=False)
    cache = keras_transfer.FeatureCache(model, directory="/tmp/flower_features")
    train = cache.extract(train_ds, name="train", shuffle=True, seed=0)
    val = cache.extract(val_ds, name="val")
    cache.fit(train, validation_data=val, epochs=20)
    model.evaluate(val_ds)  # the full model now has the trained head
    ```
    """

    def __init__(self, model, directory=None, feature_layer="backbone",
                 shard_size=64 * 2**20):
        if not isinstance(model, keras.Model):
            raise ValueError(
                f"`model` must be a `keras.Model`. Received: model={model!r}")
        check_int(shard_size, "shard_size", minimum=1)
        self.shard_size = shard_size
        names = [layer.name for layer in model.layers]
        if feature_layer not in names:
            raise ValueError(
                f"The model has no layer named {feature_layer!r} to cache the output "
                "of. "
                f"Received: feature_layer={feature_layer!r}; layers: {names}"
            )
        self.model = model
        self.directory = os.fspath(directory) if directory is not None else None
        self.feature_layer = feature_layer
        try:
            features = model.get_layer(feature_layer).output
            with model.distribute_strategy.scope():
                self.feature_extractor = keras.Model(model.inputs, features,
                                                     name=f"{model.name}_features")
                self.head_model = keras.Model(features, model.outputs,
                                              name=f"{model.name}_head")
        except (AttributeError, ValueError) as error:
            raise ValueError(
                f"Cannot split the model at layer {feature_layer!r}: it must be called "
                "exactly once, on the model's inputs, and every output must depend on "
                "it (a siamese model that encodes two inputs with one backbone cannot "
                f"be split into one feature extractor and a head). Keras said: {error}"
            ) from None
        trainable = [v.path for v in self.feature_extractor.trainable_weights]
        if trainable:
            raise ValueError(
                "Cached features need a frozen feature extractor, but it has "
                f"{len(trainable)} trainable weight(s), e.g. {trainable[:3]}. Freeze "
                "the backbone first: "
                f"`model.get_layer({feature_layer!r}).trainable = False` "
                "(then compile again), or build it with `trainable=False`."
            )

    # ------------------------------------------------------------- extract
    def extract(self, x, y=None, sample_weight=None, batch_size=32, name=None,
                shuffle=False, seed=None):
        """Computes (or loads) the features of a dataset, batched like it.

        The feature extractor runs once over `x` in inference mode. The
        result keeps the input's batches (same sizes, same order), so
        `fit` on it sees the batches `model.fit(x)` would see.

        Args:
            x: a `tf.data.Dataset` of `(inputs, labels)` or
                `(inputs, labels, sample_weights)` batches, or input arrays
                (a NumPy array, tensor, or dict of them, with `y`).
            y: array. Labels, when `x` is arrays. Defaults to `None`.
            sample_weight: array. Per-example weights, when `x` is arrays.
                Defaults to `None`.
            batch_size: int. Batch size, when `x` is arrays (ignored for a
                dataset, which is already batched). Defaults to `32`.
            name: str. Sub-folder of `directory` for these features (e.g.
                `"train"`): they are streamed from there when present and
                written there (then streamed) otherwise. Defaults to `None`
                (keep in memory only).
            shuffle: bool. Shuffle the cached examples every epoch (before
                batching). In memory this is a full shuffle; streamed from
                disk, the file order is reshuffled every epoch and the
                examples pass a buffer of one file's examples (memory stays
                bounded). Defaults to `False` (the input's order).
            seed: int. Shuffle seed. Defaults to `None`.

        Returns:
            A batched `tf.data.Dataset` of `(features, labels)` (or
            `(features, labels, sample_weights)`), with floating features
            as float32.

        Raises:
            ValueError: if `x` is a dataset of unlabelled batches, `y` is
                missing for arrays, `name` is given without `directory`,
                batches differ in dtype or shape (on disk), or the stored
                features under `name` come from other data or another
                backbone, or their files were changed (the message says
                which folder to delete).
        """
        if name is not None and self.directory is None:
            raise ValueError(
                "`name` stores features on disk and needs `directory=` in the "
                f"FeatureCache. Received: name={name!r}, directory=None"
            )
        dataset = self._as_dataset(x, y, sample_weight, batch_size)
        if name is None:
            arrays, batch_sizes = self._compute(dataset)
            return _to_dataset(arrays, batch_sizes, shuffle, seed)
        path = os.path.join(self.directory, name)
        fingerprint = self._fingerprint(dataset)
        if os.path.exists(path):
            manifest = shards.read_manifest(path, fingerprint)
            logger.info("Streaming cached features from %s", path)
        else:
            manifest = shards.write_shards(path, self._batches(dataset), fingerprint,
                                           self.shard_size)
            logger.info("Saved features to %s (%d files, %d bytes)", path,
                        len(manifest["shards"]), shards.total_bytes(manifest))
        return shards.stream(path, manifest, shuffle, seed)

    def _as_dataset(self, x, y, sample_weight, batch_size):
        if isinstance(x, tf.data.Dataset):
            if y is not None or sample_weight is not None:
                raise ValueError(
                    "`y` and `sample_weight` must be None when `x` is a dataset (it "
                    "yields them). Received: y and/or sample_weight")
            return x
        if y is None:
            raise ValueError(
                "`y` (labels) is required when `x` is arrays. Received: y=None")
        check_int(batch_size, "batch_size", minimum=1)
        data = (x, y) if sample_weight is None else (x, y, sample_weight)
        return tf.data.Dataset.from_tensor_slices(data).batch(batch_size)

    def _batches(self, dataset):
        """Yields `(features, labels[, sample_weights])` NumPy batches, one at a time."""
        extractor = self.feature_extractor
        for batch in dataset:
            inputs, y, sw = keras.utils.unpack_x_y_sample_weight(batch)
            if y is None:
                raise ValueError(
                    "The dataset yields inputs without labels; `extract` needs "
                    "`(inputs, labels)` batches to train the head on.")
            out = tf.nest.map_structure(_to_numpy, extractor.predict_on_batch(inputs))
            labels = tf.nest.map_structure(np.asarray, y)
            if sw is None:
                yield out, labels
            else:
                yield out, labels, tf.nest.map_structure(np.asarray, sw)

    def _compute(self, dataset):
        """All batches in memory: `(arrays, batch_sizes)`."""
        batches = list(self._batches(dataset))
        if not batches:
            raise ValueError("The dataset is empty: there is nothing to extract.")
        batch_sizes = [int(tf.nest.flatten(b[0])[0].shape[0]) for b in batches]
        arrays = tuple(_concat([b[i] for b in batches]) for i in range(len(batches[0])))
        return arrays, batch_sizes

    def _fingerprint(self, dataset):
        """Hash of the feature extractor's layer configs (less the names, which
        Keras numbers per session), its weights and the dataset's first batch."""
        digest = hashlib.sha256()
        for layer in self.feature_extractor.layers:
            try:
                config = _without_names(layer.get_config())
            except NotImplementedError:  # a HubBackbone built from a loaded object
                config = None
            digest.update(json.dumps([type(layer).__name__, config], sort_keys=True,
                                     default=str).encode())
        for weight in self.feature_extractor.weights:
            array = keras.ops.convert_to_numpy(weight)
            digest.update(np.ascontiguousarray(array).tobytes())
        for batch in dataset.take(1):
            for tensor in tf.nest.flatten(batch):
                array = np.asarray(tensor)
                if array.dtype == object:  # strings: hash the contents, not addresses
                    for item in array.ravel():
                        digest.update(item if isinstance(item, bytes) else str(item).encode())
                        digest.update(b"\0")
                else:
                    digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()

    # ----------------------------------------------------------------- fit
    def fit(self, x=None, y=None, **kwargs):
        """Trains the head on cached features (`head_model.fit`).

        Unless `head_model` was compiled already, it is compiled like the
        model: the model's optimizer object (shared), and its loss, metrics
        and compile options. The trained weights are the full model's.

        Args:
            x: the dataset returned by `extract` (or feature arrays).
            y: labels, when `x` is arrays. Defaults to `None`.
            **kwargs: passed to `keras.Model.fit` (`epochs`,
                `validation_data`, `callbacks`, ...).

        Returns:
            The `History` of `head_model.fit`.

        Raises:
            ValueError: if neither the model nor `head_model` is compiled.
        """
        self.compile_head()
        enable_multi_worker_fit(self.head_model)  # a no-op unless under multi-worker MWMS
        if isinstance(x, tf.data.Dataset):
            # Keras ignores `shuffle` for datasets, but warns when it is True.
            kwargs.setdefault("shuffle", False)
        return self.head_model.fit(x, y, **kwargs)

    def compile_head(self):
        """Compiles `head_model` like the model (see `fit`); no-op if compiled."""
        if self.head_model.compiled:
            return
        if not self.model.compiled:
            raise ValueError(
                "Compile the model (e.g. the builders' `compile=True`) or "
                "`cache.head_model` before `fit`: the head is trained with the "
                "model's optimizer and loss.")
        try:
            config = keras.saving.deserialize_keras_object(
                self.model.get_compile_config())
        except Exception as error:  # noqa: BLE001 (an unregistered custom loss)
            logger.warning("Could not copy the model's compile config (%s); using its "
                           "optimizer and loss without metrics.", error)
            config = {"loss": self.model.loss}
        config["optimizer"] = self.model.optimizer
        with self.model.distribute_strategy.scope():
            self.head_model.compile(**config)


def _without_names(config):
    if isinstance(config, dict):
        return {k: _without_names(v) for k, v in config.items() if k != "name"}
    if isinstance(config, (list, tuple)):
        return [_without_names(v) for v in config]
    return config


def _to_numpy(tensor):
    array = keras.ops.convert_to_numpy(tensor)
    if np.issubdtype(array.dtype, np.floating) or array.dtype.name in ("bfloat16",):
        array = array.astype("float32")
    return array


def _concat(batches):
    return tf.nest.map_structure(lambda *parts: np.concatenate(parts, axis=0), *batches)


def _to_dataset(arrays, batch_sizes, shuffle, seed):
    """Batches the cached arrays exactly as the source dataset was batched."""
    dataset = tf.data.Dataset.from_tensor_slices(arrays)
    if shuffle:
        count = sum(batch_sizes)
        dataset = dataset.shuffle(count, seed=seed, reshuffle_each_iteration=True)
    size = batch_sizes[0]
    if all(n == size for n in batch_sizes[:-1]) and batch_sizes[-1] <= size:
        return dataset.batch(size)
    if shuffle:
        return dataset.batch(size)
    # Uneven batches (e.g. bucketed by length): replay them one by one.
    starts = np.cumsum([0] + batch_sizes[:-1])
    flat = tf.nest.flatten(arrays)

    def batches():
        for start, n in zip(starts, batch_sizes):
            yield tf.nest.pack_sequence_as(arrays, [a[start:start + n] for a in flat])

    signature = tf.nest.map_structure(
        lambda a: tf.TensorSpec((None,) + a.shape[1:], tf.as_dtype(a.dtype)), arrays)
    return tf.data.Dataset.from_generator(batches, output_signature=signature)

