"""The two places where Keras 3's TensorFlow trainer breaks under multi-worker training.

Not public API: `keras_transfer.distribute.enable_multi_worker_fit` is the
only caller. This is the one module of keras_transfer that touches a private
Keras hook; it is kept apart, with a version check, so that it can be deleted
the day Keras fixes keras-team/keras#20585 (tensorflow/tensorflow#72388).

Why a private hook is unavoidable: `model.fit` / `model.evaluate` in Keras
3.0-3.15 (TensorFlow backend) fail under
`tf.distribute.MultiWorkerMirroredStrategy` with more than one worker, at two
places, both inside Keras' `TensorFlowTrainer`:

1. `_maybe_symbolic_build` (called by `fit` and `evaluate` before the first
   step of a model created under a strategy) takes the first distributed
   batch and calls `strategy.reduce("MEAN", (x, y), axis=None)` on it,
   eagerly. `MultiWorkerMirroredStrategy.reduce` does not take a nested
   structure ("Attempt to convert a value (PerReplica:{...}) ... to a
   Tensor"). The batch is only used for its shapes and dtypes (to build the
   model, metrics and loss symbolically), so reducing it across workers is
   both wrong and unnecessary: one local replica's batch is what is needed.
   There is no public way around it: the method runs whenever the model was
   created under a strategy, which it must be for its variables to be
   mirrored. The hook therefore replaces the method on the model instance
   (never on the class) with one that hands the local batch to the original.

2. `reduce_per_replica(..., reduction="auto")`, applied to the logs a train
   or test step returns, calls `strategy.reduce("MEAN", v, axis=0)` for
   every value in multi-worker mode, and the logs are scalars ("Invalid
   reduction dimension 0 for input with 0 dimensions"). This one is reached
   through a public override point: the step (`train_step` / `test_step`,
   which Keras documents as overridable) is wrapped so that it returns every
   scalar as a vector of length 1. `reduce("MEAN", v, axis=0)` then returns
   the scalar mean over the workers, which is what Keras means by "mean" (for
   Keras' own metrics each worker's value is already its local running
   result; with equal batches per worker the mean of the workers' means is
   the global mean). Values of rank >= 1 are left alone.

Both hooks are per model instance, idempotent, and survive `compile` and
`make_train_function(force=True)` (which `ProgressiveUnfreezing` calls).
"""

import logging

import keras
import tensorflow as tf

logger = logging.getLogger(__name__)

# The Keras versions this module was written against and tested with. Newer
# 3.x versions get the hooks too (the bug is open), with a warning once.
TESTED_KERAS = ((3, 0), (3, 15))
_MARK = "_keras_transfer_multi_worker_hooks"


def keras_version():
    """The installed Keras version as a `(major, minor)` tuple of ints."""
    major, minor = keras.version().split(".")[:2]
    return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)


def check_keras_version():
    """Raises on Keras 2/4+, warns once on a 3.x newer than `TESTED_KERAS`.

    Raises:
        ValueError: when the installed Keras is not 3.x.
    """
    version = keras_version()
    if version[0] != 3:
        raise ValueError(
            "keras_transfer's multi-worker fit support is written for Keras 3. "
            f"Received: keras.version()={keras.version()!r}"
        )
    if version > TESTED_KERAS[1] and not getattr(check_keras_version, "warned", False):
        check_keras_version.warned = True
        logger.warning(
            "Keras %s is newer than the last version keras_transfer's multi-worker "
            "hooks were tested with (%d.%d); if keras-team/keras#20585 is fixed "
            "there, they may be unnecessary.", keras.version(), *TESTED_KERAS[1])


def install(model):
    """Installs both hooks on `model` (a Keras 3 model on the TensorFlow backend).

    Args:
        model: `keras.Model`, created under a `MultiWorkerMirroredStrategy`.

    Returns:
        `True` when the hooks were installed now, `False` when they already were.
    """
    if getattr(model, _MARK, False):
        return False
    check_keras_version()
    strategy = model.distribute_strategy
    build = getattr(model, "_maybe_symbolic_build", None)
    if build is not None:
        model._maybe_symbolic_build = _local_batch_build(build, strategy)
    else:
        logger.warning("This Keras has no `_maybe_symbolic_build`; only the "
                       "step-output hook is installed.")
    model.train_step = _vector_logs(model.train_step)
    model.test_step = _vector_logs(model.test_step)
    setattr(model, _MARK, True)
    return True


def _local_batch_build(original, strategy):
    """`_maybe_symbolic_build` fed the first batch of THIS worker's first replica."""

    def build(iterator=None, data_batch=None):
        if iterator is not None and data_batch is None:
            for _, _, batches in iterator:
                data_batch = tf.nest.map_structure(
                    lambda value: _first_local(value, strategy), next(batches))
                break
        return original(data_batch=data_batch)

    return build


def _first_local(value, strategy):
    if isinstance(value, tf.distribute.DistributedValues):
        return strategy.experimental_local_results(value)[0]
    return value


def _vector_logs(step):
    """Wraps a train/test step so that scalar outputs come back with shape `(1,)`."""

    def wrapped(data):
        return tf.nest.map_structure(_as_vector, step(data))

    wrapped.__wrapped__ = step
    return wrapped


def _as_vector(value):
    if isinstance(value, (tf.Tensor, tf.Variable)) or hasattr(value, "shape"):
        value = tf.convert_to_tensor(value)
        if value.shape.rank == 0:
            return tf.reshape(value, [1])
    return value
