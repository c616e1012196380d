"""`keras-transfer fit --workers N`: the same fit in N local worker processes.

The launcher (the `keras-transfer` process) checks `--workers`, prepares the
run directory once, writes the validated fit config as JSON, and starts N
copies of this module (`python -m keras_transfer.cli.fit_workers CONFIG`) as
a `MultiWorkerMirroredStrategy` cluster on 127.0.0.1 (free ports, one
`TF_CONFIG` each). Every worker runs `run_fit` on the same config; the chief
(worker 0) writes the run directory and prints the summary, the others write
only temporary copies that they delete (`worker_write_path`). Worker 0's
output goes to the terminal, the others' to temporary logs, whose end is
shown when a worker fails. For trying multi-worker training on one machine:
on a real cluster, run `keras-transfer fit` on every machine with its own
`TF_CONFIG` instead (docs/distributed.md).
"""

import json
import os
import sys
import tempfile

from keras_transfer.cli.errors import UsageError
from keras_transfer.distribute.local_cluster import (
    MAX_LOCAL_WORKERS, start_workers, wait_for_workers)


def check_workers(config):
    """Validates `--workers` against the rest of the config (one-line errors).

    Raises:
        UsageError: on a count outside 1..MAX_LOCAL_WORKERS, inside a cluster
            (`TF_CONFIG` set), or with a non-multi-worker `--strategy`.
    """
    workers = config.get("workers")
    if workers is None or workers == 1:
        return
    if not 1 <= workers <= MAX_LOCAL_WORKERS:
        raise UsageError(f"--workers must be between 1 and {MAX_LOCAL_WORKERS} (local "
                         f"processes), got {workers}")
    if os.environ.get("TF_CONFIG"):
        raise UsageError("--workers starts a local cluster, but TF_CONFIG is already set "
                         "(this process is a cluster's worker): drop --workers")
    if config.get("strategy", "auto") not in ("auto", "multi_worker"):
        raise UsageError(f"--workers {workers} trains with the multi_worker strategy; "
                         f"--strategy {config['strategy']} contradicts it")


def launch(config, verbose=1):
    """Runs the fit in `config["workers"]` local processes; returns the exit code.

    Raises:
        UsageError: when a worker fails (which one, how, the end of its log).
    """
    from keras_transfer.cli.run_dir import prepare_run_dir

    num_workers = config["workers"]
    prepare_run_dir(config)  # once, here: the workers find it ready
    worker_config = dict(config, strategy="multi_worker", overwrite=True, quiet=not verbose)
    with tempfile.TemporaryDirectory(prefix="keras-transfer-workers-") as scratch:
        path = os.path.join(scratch, "config.json")
        with open(path, "w") as file:
            json.dump(worker_config, file)
        logs = [(None, None)] + [
            (open(os.path.join(scratch, f"{i}.out"), "w+"),
             open(os.path.join(scratch, f"{i}.err"), "w+")) for i in range(1, num_workers)]
        processes = start_workers([sys.executable, "-m", "keras_transfer.cli.fit_workers", path],
                                  num_workers, logs)
        failed = wait_for_workers(processes)
        tail = ""
        if failed is not None and failed[0] > 0:
            err = logs[failed[0]][1]
            err.seek(0)
            lines = [line for line in err.read().splitlines() if line.strip()]
            tail = lines[-1] if lines else ""
        for out, err in logs[1:]:
            out.close()
            err.close()
    if failed is not None:
        index, reason = failed
        where = f": {tail}" if tail else " (its output is above)" if index == 0 else ""
        raise UsageError(f"worker {index} of {num_workers} {reason}{where}")
    return 0


def worker_main(argv):
    """One worker: `run_fit` on the config file; the chief prints the summary."""
    from keras_transfer.cli.main import run_verb

    (path,) = argv
    with open(path) as file:
        config = json.load(file)
    if config.get("image_size"):
        config["image_size"] = tuple(config["image_size"])
    return run_verb("fit", lambda verbose: _fit(config, verbose),
                    verbose=0 if config.pop("quiet") else 1)


def _fit(config, verbose):
    from keras_transfer.cli.run_fit import run_fit
    from keras_transfer.cli.verbs import _summary
    from keras_transfer.distribute.chief import is_chief

    metrics, model, _ = run_fit(config, verbose)
    if is_chief(model.distribute_strategy):
        _summary(metrics)
    return 0


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))
