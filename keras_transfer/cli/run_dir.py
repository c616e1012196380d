"""The run directory every `fit` writes into."""

from pathlib import Path

from keras_transfer.cli.errors import UsageError


def prepare_run_dir(config):
    """Creates `--output`; refuses a non-empty one without `--overwrite`."""
    run_dir = Path(config["output"])
    if run_dir.exists() and any(run_dir.iterdir()) and not config.get("overwrite"):
        raise UsageError(f"--output {run_dir} already holds a run; pick another folder "
                         "or pass --overwrite")
    run_dir.mkdir(parents=True, exist_ok=True)
    return run_dir
