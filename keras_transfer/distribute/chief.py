"""Chief-only writes under multi-worker training: `is_chief` and `worker_write_path`."""

import os

import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export


@keras_transfer_export("keras_transfer.distribute.is_chief")
def is_chief(strategy=None):
    """Whether this process is the chief of its `tf.distribute` cluster.

    The chief is the task of type `"chief"`, or worker 0 when the cluster has
    no `"chief"` job (the rule of TensorFlow's multi-worker guide). Without a
    cluster (one process, any single-machine strategy) the process is the
    chief.

    Args:
        strategy: `tf.distribute.Strategy`. Defaults to `None` (the current
            strategy, `tf.distribute.get_strategy()`).

    Returns:
        bool.

    Example:

    ```python
    if keras_transfer.distribute.is_chief(strategy):
        print(history.history)
    ```
    """
    task_type, task_id, jobs = _task(strategy)
    if task_type is None:
        return True
    if task_type == "chief":
        return True
    return task_type == "worker" and task_id == 0 and "chief" not in jobs


@keras_transfer_export("keras_transfer.distribute.worker_write_path")
def worker_write_path(path, strategy=None):
    """Where this process should write `path`: `path` on the chief, a temp path elsewhere.

    Under `MultiWorkerMirroredStrategy` every worker must run the same
    `model.save(...)` / `model.export(...)` / checkpoint call (reading
    variables can take part in collective ops, so a call made by the chief
    alone can hang), but only the chief's file is the result. Following
    TensorFlow's multi-worker guide, other workers write to
    `<dirname>/workertemp_<task_id>/<basename>` and should delete that folder
    afterwards (`tf.io.gfile.rmtree(os.path.dirname(written))`).

    Args:
        path: str. The path the chief writes.
        strategy: `tf.distribute.Strategy`. Defaults to `None` (the current
            strategy).

    Returns:
        str: `path` on the chief, the worker's temporary path otherwise.

    Example:

    ```python
    path = keras_transfer.distribute.worker_write_path("out/model.keras", strategy)
    model.save(path)
    if not keras_transfer.distribute.is_chief(strategy):
        tf.io.gfile.rmtree(os.path.dirname(path))
    ```
    """
    path = os.fspath(path)
    if is_chief(strategy):
        return path
    _, task_id, _ = _task(strategy)
    directory, base = os.path.split(path)
    return os.path.join(directory, f"workertemp_{task_id}", base)


def _task(strategy):
    """`(task_type, task_id, job names)` of this process, `(None, None, ())` without a cluster."""
    strategy = strategy or tf.distribute.get_strategy()
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return None, None, ()
    jobs = tuple(resolver.cluster_spec().as_dict())
    return resolver.task_type, resolver.task_id, jobs
