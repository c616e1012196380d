"""`enable_multi_worker_fit(model)`: Keras 3 `model.fit` under `MultiWorkerMirroredStrategy`."""

import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.distribute import keras_trainer_hooks


def is_multi_worker(strategy):
    """Whether `strategy` is a `MultiWorkerMirroredStrategy` spanning several workers.

    Args:
        strategy: `tf.distribute.Strategy`.

    Returns:
        `True` when some of its replicas live in other processes.
    """
    return (isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
            and strategy.num_replicas_in_sync > len(strategy.extended.worker_devices))


@keras_transfer_export(["keras_transfer.enable_multi_worker_fit",
                        "keras_transfer.distribute.enable_multi_worker_fit"])
def enable_multi_worker_fit(model):
    """Makes `model.fit` / `model.evaluate` work under `MultiWorkerMirroredStrategy`.

    Keras 3 (3.0 to at least 3.15) cannot `fit` a model under
    `tf.distribute.MultiWorkerMirroredStrategy` with several workers
    (keras-team/keras#20585): the first batch and the step's logs are reduced
    across workers in ways that strategy does not support. This function
    installs, on this model instance only, the two smallest changes that make
    it work; `keras_transfer.distribute.keras_trainer_hooks` explains both.
    Everything else is Keras' own `fit`: the gradients are all-reduced across
    workers by Keras' optimizer, so one step on a global batch split over the
    workers gives the weights one step on the whole batch gives on one device.

    It does nothing (and returns the model unchanged) unless the model was
    created under a `MultiWorkerMirroredStrategy` whose cluster has more than
    one worker, so it is safe to call everywhere. keras_transfer's builders
    call it when given `strategy=`, and `keras_transfer.fine_tune` calls it
    before fitting; call it yourself for a model you build.

    Call it on every worker, after creating the model under
    `strategy.scope()`. Keep `.fit`'s input the same on every worker (the same
    `tf.data.Dataset` with the global batch size: the strategy splits each
    batch between workers). Write files from the chief only: see
    `keras_transfer.distribute.worker_write_path`.

    Args:
        model: `keras.Model`. The model to fit.

    Returns:
        The same model.

    Raises:
        ValueError: when `model` is not a `keras.Model`, or the installed
            Keras is not Keras 3.

    Example:

    ```python
    strategy = keras_transfer.get_strategy("auto")  # MWMS from TF_CONFIG
    with strategy.scope():
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        model.compile("sgd", "mse")
    keras_transfer.enable_multi_worker_fit(model)
    model.fit(dataset, epochs=2)
    ```
    """
    if not hasattr(model, "distribute_strategy") or not hasattr(model, "train_step"):
        raise ValueError(f"`model` must be a `keras.Model`. Received: model={model!r}")
    if is_multi_worker(model.distribute_strategy):
        keras_trainer_hooks.install(model)
    return model
