"""One worker of the multi-worker fit tests; `train()` is also the single-process reference.

Run as a script, under `keras_transfer.testing.workers.run_workers`, it reads
`TF_CONFIG` (through `keras_transfer.get_strategy("auto")`), trains a tiny
Dense model on fixed data and writes `<out>/result_<task>.npz`. The test
imports `train` and runs it in its own process with the default strategy, on
the same data, global batch and initial weights, as the reference.
"""

import argparse
import json
import os
import sys

# Divisible by 2 and 3 workers: Keras 3 averages the replicas' per-replica mean
# losses, which equals the global-batch mean only when the batch splits evenly.
GLOBAL_BATCH = 12
NUM_EXAMPLES = 48  # 4 steps per epoch
SCHEDULE_STEPS = 20  # SlantedTriangular: a different rate at each start of 4 epochs of 4 steps


def data():
    import numpy as np

    rng = np.random.RandomState(1)
    x = rng.randn(NUM_EXAMPLES, 4).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]], "float32")
         + 0.1 * rng.randn(NUM_EXAMPLES, 1).astype("float32"))
    return x, y


def dataset(batch=GLOBAL_BATCH):
    import tensorflow as tf

    x, y = data()
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch)
    options = tf.data.Options()
    # In-memory data has no files to shard by: each global batch is split
    # between the workers (worker i gets the i-th slice of every batch).
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA)
    return ds.with_options(options)


def build(strategy, optimizer, compat=True):
    import keras
    import numpy as np

    import keras_transfer

    with strategy.scope():
        model = keras.Sequential([
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu", name="d0"),
            keras.layers.Dense(8, activation="relu", name="d1"),
            keras.layers.Dense(1, name="head"),
        ])
        if optimizer in ("discriminative", "discriminative_schedule"):
            # The scheduled rate depends on the optimizer's step only, so a
            # resumed run must restore the step to get the same rates.
            rate = (keras_transfer.SlantedTriangular(1e-2, total_steps=SCHEDULE_STEPS)
                    if optimizer == "discriminative_schedule" else None)
            opt = keras_transfer.DiscriminativeOptimizer(
                keras.optimizers.Adam(1e-2), groups=[("d0", "d0/"), ("d1", "d1/")],
                multipliers=[0.1, 0.5], learning_rate=rate)
        else:
            opt = keras.optimizers.Adam(1e-2)
        model.compile(optimizer=opt, loss="mse", metrics=["mae"])
    rng = np.random.RandomState(0)
    model.set_weights([0.5 * rng.randn(*w.shape).astype("float32") for w in model.weights])
    return keras_transfer.enable_multi_worker_fit(model) if compat else model


def train(strategy, epochs=2, optimizer="adam", unfreezing=False, compat=True,
          batch=GLOBAL_BATCH, backup=None, kill_at_step=None, kill_by_raising=False):
    """Returns `(model, history dict, per-epoch record)` after `fit` on `dataset()`.

    With `backup`, `keras_transfer.distribute.BackupAndRestore(backup)` backs
    the run up every epoch (and resumes it); with `kill_at_step`, the process
    SIGKILLs itself before that global step (0-based), as a crash would (or,
    with `kill_by_raising`, `fit` raises `RuntimeError("killed")` there: for
    a run inside the test process).
    """
    import keras_transfer

    model = build(strategy, optimizer, compat)
    callbacks = []
    if unfreezing:
        callbacks.append(keras_transfer.ProgressiveUnfreezing(
            every=1, groups=[("d0", "d0/"), ("d1", "d1/"), ("head", "head/")], verbose=0))
    record = Record()
    callbacks.append(record)
    if backup:
        callbacks.append(keras_transfer.distribute.BackupAndRestore(backup))
    if kill_at_step is not None:
        callbacks.append(KillAt(kill_at_step, kill_by_raising))
    history = model.fit(dataset(batch), epochs=epochs, verbose=0, callbacks=callbacks,
                        shuffle=False)
    return model, history.history, record.rows


def _keras_callback():
    import keras  # keeps the module's own imports to argparse/json/os/sys

    return keras.callbacks.Callback


class Record(_keras_callback()):
    """At each epoch's start: `[epoch, trainable variables, rate of d0, d1, head]`."""

    def __init__(self):
        super().__init__()
        self.rows = []

    def on_epoch_begin(self, epoch, logs=None):
        import keras

        optimizer = self.model.optimizer
        if hasattr(optimizer, "group_learning_rates"):
            rates = optimizer.group_learning_rates()
            rates = [rates["d0"], rates["d1"], rates["default"]]
        else:
            rates = [float(keras.ops.convert_to_numpy(optimizer.learning_rate))] * 3
        self.rows.append([epoch, len(self.model.trainable_variables), *rates])


class KillAt(_keras_callback()):
    """SIGKILLs this process before global step `step` (no clean-up, as a crash)."""

    def __init__(self, step, by_raising=False):
        super().__init__()
        self.step = step
        self.by_raising = by_raising
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        import signal

        if self.epoch * self.params["steps"] + batch == self.step:
            if self.by_raising:
                raise RuntimeError("killed")
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGKILL)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--optimizer", default="adam")
    parser.add_argument("--unfreezing", action="store_true")
    parser.add_argument("--save", action="store_true")
    parser.add_argument("--batch", type=int, default=GLOBAL_BATCH)
    parser.add_argument("--backup", default=None, help="BackupAndRestore folder")
    parser.add_argument("--kill-at-step", type=int, default=None,
                        help="SIGKILL worker --kill-worker before this global step")
    parser.add_argument("--kill-worker", type=int, default=1)
    parser.add_argument("--no-compat", dest="compat", action="store_false",
                        help="skip enable_multi_worker_fit (plain Keras)")
    args = parser.parse_args(argv)

    import numpy as np
    import tensorflow as tf

    import keras_transfer

    strategy = keras_transfer.get_strategy("auto")
    task = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    kill = args.kill_at_step if task == args.kill_worker else None
    model, history, record = train(strategy, args.epochs, args.optimizer, args.unfreezing,
                                   args.compat, args.batch, args.backup, kill)
    result = {f"w{i}": w for i, w in enumerate(model.get_weights())}
    result.update({f"h_{k}": np.asarray(v) for k, v in history.items()})
    result["record"] = np.asarray(record)
    result["evaluate"] = np.asarray(model.evaluate(dataset(args.batch), verbose=0))
    result["replicas"] = np.asarray(strategy.num_replicas_in_sync)
    result["chief"] = np.asarray(keras_transfer.distribute.is_chief(strategy))
    if args.save:
        path = keras_transfer.distribute.worker_write_path(
            os.path.join(args.out, "model.keras"), strategy)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        model.save(path)
        result["saved_to"] = np.asarray(path)
    np.savez(os.path.join(args.out, f"result_{task}.npz"), **result)
    print("done", task, file=sys.stderr)


if __name__ == "__main__":
    main()
