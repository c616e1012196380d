"""`run_workers`: a local multi-worker cluster (one process per worker, `TF_CONFIG`) for tests."""

import os
import sys
import tempfile

from keras_transfer.distribute.local_cluster import start_workers, wait_for_workers
from keras_transfer.utils.argument_validation import check_int


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
    base = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="",
                **(env or {}))
    with tempfile.TemporaryDirectory() as logs:
        files = [(open(os.path.join(logs, f"{index}.out"), "w+"),
                  open(os.path.join(logs, f"{index}.err"), "w+"))
                 for index in range(num_workers)]
        processes = start_workers([sys.executable, *args], num_workers, files, env=base)
        failed = wait_for_workers(processes, timeout)
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
