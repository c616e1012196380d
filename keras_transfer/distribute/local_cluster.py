"""A cluster of worker processes on 127.0.0.1: free ports, `TF_CONFIG`, start and wait (not public).

`keras-transfer fit --workers N` and the test helper
`keras_transfer.testing.run_workers` start their processes with it.
"""

import json
import os
import socket
import subprocess
import time

# A bound on local processes: each one starts TensorFlow (about 0.5 GB).
MAX_LOCAL_WORKERS = 64


def free_ports(count):
    """`count` distinct free TCP ports on 127.0.0.1 (bound to port 0, then released)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def tf_config(ports, index):
    """The `TF_CONFIG` JSON of worker `index` in a cluster of 127.0.0.1 workers."""
    return json.dumps({"cluster": {"worker": [f"127.0.0.1:{port}" for port in ports]},
                       "task": {"type": "worker", "index": index}})


def start_workers(command, num_workers, outputs, env=None):
    """Starts `command` once per worker, each with its `TF_CONFIG`.

    Args:
        command: list of str. The command line (the same for every worker).
        num_workers: int. How many workers.
        outputs: list of `(stdout, stderr)` per worker: open files, or `None`
            to inherit this process's.
        env: dict. The environment of every worker (`TF_CONFIG` is added).
            Defaults to `None` (this process's).

    Returns:
        list of `subprocess.Popen`, by task index.
    """
    ports = free_ports(num_workers)
    base = dict(os.environ if env is None else env)
    return [subprocess.Popen(command, stdout=out, stderr=err,
                             env=dict(base, TF_CONFIG=tf_config(ports, index)))
            for index, (out, err) in enumerate(outputs)]


def wait_for_workers(processes, timeout=None):
    """Waits for all processes; kills the others as soon as one fails.

    When one worker fails the others would wait for it forever in a
    collective op, so they are killed (as a cluster scheduler would).

    Returns:
        `None` when every process exits 0, else `(index, reason)` of the first
        failure ("exited with 1", "timed out after 300 s").
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    failed = None
    try:
        while deadline is None or time.monotonic() < deadline:
            codes = [process.poll() for process in processes]
            for index, code in enumerate(codes):
                if code not in (None, 0):
                    failed = index, f"exited with {code}"
                    return failed
            if all(code == 0 for code in codes):
                return None
            time.sleep(0.2)
        running = [i for i, process in enumerate(processes) if process.poll() is None]
        failed = running[0], f"timed out after {timeout} s"
        return failed
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
