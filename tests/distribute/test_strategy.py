import json
import os

import pytest
import tensorflow as tf

from keras_transfer.distribute.strategy import get_strategy


def test_auto_on_this_machine_is_the_default_strategy():
    assert get_strategy("auto") is tf.distribute.get_strategy()


def test_mirrored_on_two_logical_cpus():
    devices = [d.name for d in tf.config.list_logical_devices("CPU")][:2]
    strategy = get_strategy("mirrored", devices=devices)
    assert isinstance(strategy, tf.distribute.MirroredStrategy)
    assert strategy.num_replicas_in_sync == 2


def test_one_device():
    strategy = get_strategy("one_device", devices=["/cpu:0"])
    assert isinstance(strategy, tf.distribute.OneDeviceStrategy)


def test_errors(monkeypatch):
    with pytest.raises(ValueError, match=r"`name` must be one of .*name='gpu'"):
        get_strategy("gpu")

    def no_tpu(tpu=None):
        raise ValueError("Please provide a TPU Name to connect to.")

    # Never touch the network: the real resolver asks the GCE metadata server.
    monkeypatch.setattr(tf.distribute.cluster_resolver, "TPUClusterResolver", no_tpu)
    with pytest.raises(ValueError, match="No TPU could be resolved"):
        get_strategy("tpu")


def test_tf_config_parsing(monkeypatch):
    from keras_transfer.distribute import strategy as module

    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["a:1", "b:2"]},
                                                "task": {"type": "worker", "index": 0}}))
    assert module._num_workers() == 2
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ValueError, match="TF_CONFIG is not valid JSON"):
        module._num_workers()
