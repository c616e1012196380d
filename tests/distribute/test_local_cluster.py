import json
import sys

from keras_transfer.distribute.local_cluster import (
    free_ports, start_workers, tf_config, wait_for_workers)


def test_ports_and_config():
    ports = free_ports(4)
    assert len(set(ports)) == 4
    config = json.loads(tf_config([5, 6], 1))
    assert config == {"cluster": {"worker": ["127.0.0.1:5", "127.0.0.1:6"]},
                      "task": {"type": "worker", "index": 1}}


def test_start_and_wait(tmp_path):
    code = ("import json, os, sys; c = json.loads(os.environ['TF_CONFIG'])\n"
            "sys.exit(0 if c['task']['index'] == 0 else 4)")
    processes = start_workers([sys.executable, "-c", code], 2, [(None, None)] * 2)
    assert wait_for_workers(processes, timeout=60) == (1, "exited with 4")
    processes = start_workers([sys.executable, "-c", "pass"], 2, [(None, None)] * 2)
    assert wait_for_workers(processes, timeout=60) is None
