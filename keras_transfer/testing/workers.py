"""`run_workers`: a local multi-worker cluster (one process per worker, `TF_CONFIG`) for tests."""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time

from keras_transfer.utils.argument_validation import check_int


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


def run_workers(args, num_workers, timeout=300, env=None):
    """Runs `python *args` once per worker, as a cluster on 127.0.0.1, and waits.

    Each process gets a `TF_CONFIG` naming all workers (ports picked free by
    binding to port 0) and its own task index, so
    `tf.distribute.MultiWorkerMirroredStrategy()` (or
    `keras_transfer.get_strategy("auto")`) in it forms one cluster with the
    others. When one worker fails the others would wait for it forever in a
    collective op, so they are killed.

    Args:
        args: list of str. The Python command line (script path and its
            arguments, or `["-c", code]`).
        num_workers: int. How many workers.
        timeout: float. Seconds for the whole cluster. Defaults to 300.
        env: dict. Extra environment variables for every worker. Defaults to
            `None`.

    Returns:
        list of str: each worker's stdout, by task index.

    Raises:
        AssertionError: when a worker fails or the cluster times out, with the
            end of that worker's stderr.
    """
    check_int(num_workers, "num_workers", minimum=1)
    ports = free_ports(num_workers)
    base = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="",
                **(env or {}))
    with tempfile.TemporaryDirectory() as logs:
        processes, files = [], []
        for index in range(num_workers):
            out = open(os.path.join(logs, f"{index}.out"), "w+")
            err = open(os.path.join(logs, f"{index}.err"), "w+")
            files.append((out, err))
            processes.append(subprocess.Popen(
                [sys.executable, *args], stdout=out, stderr=err,
                env=dict(base, TF_CONFIG=tf_config(ports, index))))
        try:
            failed = _wait(processes, timeout)
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        texts = []
        for out, err in files:
            out.seek(0)
            err.seek(0)
            texts.append((out.read(), err.read()))
            out.close()
            err.close()
    if failed is not None:
        index, reason = failed
        raise AssertionError(f"worker {index} of {num_workers} {reason}:\n"
                             f"{texts[index][1][-3000:]}")
    return [stdout for stdout, _ in texts]


def _wait(processes, timeout):
    """`None` when every process exits 0, else `(index, reason)` of the first failure."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        codes = [process.poll() for process in processes]
        for index, code in enumerate(codes):
            if code not in (None, 0):
                return index, f"exited with {code}"
        if all(code == 0 for code in codes):
            return None
        time.sleep(0.2)
    running = [i for i, process in enumerate(processes) if process.poll() is None]
    return running[0], f"timed out after {timeout} s"
