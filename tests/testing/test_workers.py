import time

import pytest

from keras_transfer.testing.workers import run_workers


def test_each_worker_gets_its_tf_config():
    code = "import json, os; c = json.loads(os.environ['TF_CONFIG']); print(c['task']['index'], *c['cluster']['worker'])"
    outputs = run_workers(["-c", code], 3, timeout=60)
    addresses = [line.split()[1:] for line in outputs]
    assert [int(line.split()[0]) for line in outputs] == [0, 1, 2]
    assert addresses[0] == addresses[1] == addresses[2]
    assert len(set(addresses[0])) == 3
    assert all(address.startswith("127.0.0.1:") for address in addresses[0])


def test_a_failing_worker_stops_the_cluster():
    # Worker 0 would wait forever (as it would in a collective op): it is killed.
    code = ("import json, os, sys, time\n"
            "i = json.loads(os.environ['TF_CONFIG'])['task']['index']\n"
            "if i == 1:\n    print('boom', file=sys.stderr); sys.exit(3)\n"
            "time.sleep(600)\n")
    start = time.monotonic()
    with pytest.raises(AssertionError, match=r"worker 1 of 2 exited with 3:\nboom"):
        run_workers(["-c", code], 2, timeout=60)
    assert time.monotonic() - start < 30
    with pytest.raises(AssertionError, match="worker 0 of 1 timed out after 1 s"):
        run_workers(["-c", "import time; time.sleep(600)"], 1, timeout=1)


def test_bad_num_workers():
    with pytest.raises(ValueError, match="num_workers"):
        run_workers(["-c", "pass"], 0)
