"""`domain_adaptation_dataset`: labelled source + unlabelled target -> mixed batches for fit."""

import numpy as np
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.argument_validation import check_int

# Shuffle buffer for a source or target given as a `tf.data.Dataset` of
# unknown or large length (arrays are shuffled whole).
SHUFFLE_BUFFER = 10_000


@keras_transfer_export("keras_transfer.data.domain_adaptation_dataset")
def domain_adaptation_dataset(source, target, batch_size=32, target_batch_size=None,
                              shuffle=True, seed=0):
    """Zips labelled source and unlabelled target examples into batches for `model.fit`.

    Every batch holds `batch_size` source rows followed by
    `target_batch_size` target rows, as the models of
    `keras_transfer.build_domain_adaptation_model` expect (DANN, MMD and
    CORAL alike):

    ```
    x             = concat(source_x, target_x)
    y             = {"label": concat(source_y, zeros),  # target rows padded with 0
                     "domain": concat(zeros, ones)}     # float32: 0 source, 1 target
    sample_weight = {"label": concat(ones, zeros),      # target labels never count
                     "domain": ones}
    ```

    One epoch is one pass over the source batches; the target examples are
    repeated (and reshuffled) as often as needed, so the dataset has a known
    length whenever the source has one (which
    `keras_transfer.GradientReversalScheduler` uses). Incomplete batches
    are dropped on both sides, so every batch has both domains at full size
    (CORAL needs 2 rows per domain); shuffling moves different rows into
    the dropped remainder each epoch.

    Args:
        source: `(x, y)` with `x` an array (or dict of arrays) and `y` an
            array of labels, one per row; or an unbatched `tf.data.Dataset`
            of `(x, y)` examples.
        target: an array (or dict of arrays) of inputs, of the same
            structure and per-row shape as the source's; or an unbatched
            `tf.data.Dataset` of `x` (or of `(x, y)`, whose `y` is dropped).
        batch_size: int. Source rows per batch. Defaults to `32`.
        target_batch_size: int. Target rows per batch. Defaults to `None`
            (`batch_size`).
        shuffle: bool. Shuffle both sides every epoch (arrays whole,
            datasets through a buffer of up to 10,000 examples). Defaults
            to `True`.
        seed: int. Seed of the shuffles. Defaults to `0`.

    Returns:
        A batched `tf.data.Dataset` of `(x, y, sample_weight)` as above.

    Raises:
        ValueError: if `source` is not an `(x, y)` pair, the arrays have
            different numbers of rows, a side has fewer rows than its batch
            size, or the source and target inputs differ in structure,
            dtype or per-row shape.

    Example:

    ```python
    train = keras_transfer.data.domain_adaptation_dataset(
        (source_images, source_labels), target_images, batch_size=32)
    model = keras_transfer.build_domain_adaptation_model(features, num_classes=10)
    model.fit(train, epochs=10, callbacks=[keras_transfer.GradientReversalScheduler()])
    ```
    """
    check_int(batch_size, "batch_size", minimum=1)
    check_int(target_batch_size, "target_batch_size", minimum=1, allow_none=True)
    check_int(seed, "seed", minimum=0)
    target_batch_size = batch_size if target_batch_size is None else target_batch_size

    sources = _source_examples(source)
    targets = _target_examples(target)
    _check_same_inputs(sources.element_spec[0], targets.element_spec)
    for name, examples, size in (("source", sources, batch_size),
                                 ("target", targets, target_batch_size)):
        count = int(examples.cardinality())
        if count >= 0 and count < size:
            size_name = "batch_size" if name == "source" else "target_batch_size"
            raise ValueError(
                f"`{name}` has {count} rows, fewer than {size_name}={size}: every batch "
                f"would be dropped. Lower `{size_name}`.")
    if shuffle:
        sources = sources.shuffle(_buffer(sources), seed=seed, reshuffle_each_iteration=True)
        targets = targets.shuffle(_buffer(targets), seed=seed + 1,
                                  reshuffle_each_iteration=True)
    sources = sources.batch(batch_size, drop_remainder=True)
    targets = targets.repeat().batch(target_batch_size, drop_remainder=True)
    return (tf.data.Dataset.zip((sources, targets))
            .map(_mix, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
            .prefetch(tf.data.AUTOTUNE))


def _mix(source_batch, target_x):
    source_x, source_y = source_batch
    source_rows, target_rows = tf.shape(source_y)[0], tf.shape(tf.nest.flatten(target_x)[0])[0]
    x = tf.nest.map_structure(lambda s, t: tf.concat([s, t], axis=0), source_x, target_x)
    padding = tf.zeros(tf.concat([[target_rows], tf.shape(source_y)[1:]], axis=0),
                       source_y.dtype)
    is_source = tf.concat([tf.ones([source_rows]), tf.zeros([target_rows])], axis=0)
    y = {"label": tf.concat([source_y, padding], axis=0), "domain": 1.0 - is_source}
    sample_weight = {"label": is_source, "domain": tf.ones_like(is_source)}
    return x, y, sample_weight


def _source_examples(source):
    if isinstance(source, tf.data.Dataset):
        spec = source.element_spec
        if not isinstance(spec, tuple) or len(spec) != 2:
            raise ValueError(
                "A `source` dataset must yield unbatched `(x, y)` examples. Received "
                f"element_spec={spec!r}")
        return source
    if not isinstance(source, (tuple, list)) or len(source) != 2:
        raise ValueError(
            "`source` must be an `(x, y)` pair of arrays or a `tf.data.Dataset` of "
            f"`(x, y)`. Received: {type(source).__name__}"
            + (f" of length {len(source)}" if isinstance(source, (tuple, list)) else ""))
    x, y = _arrays(source[0]), np.asarray(source[1])
    rows = _rows(x, "source")
    if y.ndim == 0 or len(y) != rows:
        raise ValueError(
            f"`source` labels must have one row per input row. Received {rows} input "
            f"rows and labels of shape {y.shape}")
    return tf.data.Dataset.from_tensor_slices((x, y))


def _target_examples(target):
    if isinstance(target, tf.data.Dataset):
        spec = target.element_spec
        if isinstance(spec, tuple) and len(spec) == 2:
            return target.map(lambda x, y: x)  # labels of the target are never used
        return target
    x = _arrays(target)
    _rows(x, "target")
    return tf.data.Dataset.from_tensor_slices(x)


def _arrays(x):
    if isinstance(x, dict):
        return {key: np.asarray(value) for key, value in x.items()}
    return np.asarray(x)


def _rows(x, name):
    leaves = list(x.values()) if isinstance(x, dict) else [x]
    counts = {np.shape(leaf)[0] if np.ndim(leaf) else None for leaf in leaves}
    if len(counts) != 1 or None in counts:
        raise ValueError(
            f"`{name}` inputs must be arrays with one row per example, all with the same "
            f"number of rows. Received shapes: "
            f"{ {k: np.shape(v) for k, v in x.items()} if isinstance(x, dict) else np.shape(x)}")
    return counts.pop()


def _check_same_inputs(source_spec, target_spec):
    def describe(spec):
        return tf.nest.map_structure(lambda s: (s.dtype.name, tuple(s.shape)), spec)

    try:
        tf.nest.assert_same_structure(source_spec, target_spec)
        same = all(s.dtype == t.dtype and s.shape.is_compatible_with(t.shape)
                   for s, t in zip(tf.nest.flatten(source_spec), tf.nest.flatten(target_spec)))
    except (ValueError, TypeError):
        same = False
    if not same:
        raise ValueError(
            "`source` and `target` inputs must have the same structure, dtype and "
            f"per-row shape. Received: source {describe(source_spec)}, "
            f"target {describe(target_spec)}")


def _buffer(examples):
    count = int(examples.cardinality())
    return min(count, SHUFFLE_BUFFER) if count > 0 else SHUFFLE_BUFFER
