"""`get_strategy(name)`: pick a `tf.distribute` strategy for CPU, GPU or TPU."""

import json
import logging
import os

import tensorflow as tf

logger = logging.getLogger(__name__)

STRATEGIES = ("auto", "default", "one_device", "mirrored", "multi_worker", "tpu")
_MIRRORED = {}


def get_strategy(name="auto", devices=None, tpu=None):
    """Returns a `tf.distribute.Strategy`.

    `"auto"` picks, in order: a TPU when a TPU cluster resolves (Colab/Cloud
    TPU VM or `TPU_NAME`), `MultiWorkerMirroredStrategy` when `TF_CONFIG`
    names several workers, `MirroredStrategy` when several GPUs are visible,
    otherwise the default strategy (one CPU or GPU).

    Create the model and compile it inside `strategy.scope()`; the builders do
    this when given `strategy=`. "mirrored" returns the same strategy object
    for the same devices within a process (a second `MirroredStrategy` over
    the same devices can break collective all-reduces in TF 2.21). Data pipelines should have static shapes
    for TPUs: batch with `drop_remainder=True` (`keras_transfer.data` loaders
    take `drop_remainder=`).

    Args:
        name: str. One of "auto", "default", "one_device", "mirrored",
            "multi_worker", "tpu". Defaults to "auto".
        devices: list of str. Devices for "mirrored"/"one_device" (e.g.
            `["/cpu:0", "/cpu:1"]` with logical CPUs). Defaults to all GPUs
            (or the CPU).
        tpu: str. TPU address or name for "tpu". Defaults to `None` (resolve
            from the environment).

    Returns:
        A `tf.distribute.Strategy`.

    Raises:
        ValueError: on an unknown name (lists the choices), or "tpu" when no
            TPU resolves, or "multi_worker" without `TF_CONFIG`.

    Example:

    ```python
    strategy = keras_transfer.get_strategy("auto")
    with strategy.scope():
        model = keras_transfer.build_image_classifier("efficientnet_lite0", 10)
    ```
    """
    if name not in STRATEGIES:
        raise ValueError(f"`name` must be one of {list(STRATEGIES)}. Received: name={name!r}")
    if name == "tpu" or (name == "auto" and _tpu_configured(tpu)):
        return _tpu_strategy(tpu, required=name == "tpu")
    if name == "multi_worker" or (name == "auto" and _num_workers() > 1):
        if _num_workers() < 1:
            raise ValueError("`multi_worker` needs TF_CONFIG with a cluster spec "
                             "(https://www.tensorflow.org/guide/distributed_training).")
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    if name == "mirrored" or (name == "auto" and len(gpus) > 1):
        # One MirroredStrategy per device set and process: two strategies
        # over the same devices can collide on collective instance keys
        # ("Shape mismatch in the collective instance 100", seen on TF 2.21).
        key = tuple(devices or ())
        if key not in _MIRRORED:
            _MIRRORED[key] = tf.distribute.MirroredStrategy(list(key) or None)
        return _MIRRORED[key]
    if name == "one_device":
        device = (devices or [gpus[0].name if gpus else "/cpu:0"])[0]
        return tf.distribute.OneDeviceStrategy(device)
    return tf.distribute.get_strategy()


def _tpu_configured(tpu):
    return bool(tpu or os.environ.get("TPU_NAME") or os.environ.get("COLAB_TPU_ADDR")
                or os.path.exists("/dev/accel0") or os.path.exists("/dev/vfio/0"))


def _tpu_strategy(tpu, required):
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, OSError, tf.errors.OpError) as error:
        if required:
            raise ValueError(f"No TPU could be resolved ({error}). Pass `tpu=` or set TPU_NAME.") from error
        logger.info("No TPU resolved (%s); falling back.", error)
        return get_strategy("default")
    return tf.distribute.TPUStrategy(resolver)


def _num_workers():
    config = os.environ.get("TF_CONFIG")
    if not config:
        return 0
    try:
        cluster = json.loads(config).get("cluster", {})
    except json.JSONDecodeError as error:
        raise ValueError(f"TF_CONFIG is not valid JSON: {error}") from error
    return len(cluster.get("worker", [])) + len(cluster.get("chief", []))
