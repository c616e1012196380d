"""What does multi-worker training cost on this machine? Examples/s for 1 and 2 workers.

Trains the same classifier head (an MLP on 1280-d inputs, the size of
EfficientNet-Lite0's features: 1280 -> 512 -> 512 -> 10, Adam, global batch
`--batch`, synthetic data) with `model.fit` in one process (the default
strategy) and in a 2-worker `MultiWorkerMirroredStrategy` cluster on
127.0.0.1 (`keras_transfer.enable_multi_worker_fit`, the same global batch,
so each worker computes half of it). Each configuration runs as fresh
processes, `--repeats` times, interleaved (1, 2, 1, 2, ...); a run reports
the examples/s of its epochs after the first (the first traces the graph),
the JSON reports the median over repeats and every run.

On a machine whose CPUs already keep one process busy (2 cores here), two
workers share the same cores: the ratio measures the multi-worker overhead
(gRPC all-reduce, the step split in two), not a speed-up.

`allreduce_bytes_per_step` is the payload of the one gradient all-reduce per
step: the sum over trainable variables of (number of elements x bytes per
element of the variable's dtype), from `model.trainable_variables`. It is
what each worker contributes, not the bytes on the wire (a ring all-reduce
over N workers sends about 2(N-1)/N times the payload per worker); the
scalars of the step logs (loss, metrics: a few bytes) are left out.

Prints one JSON object; progress on stderr.

    python benchmarks/multi_worker.py [--quick] [--steps 40] [--epochs 4] [--repeats 3]
"""

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time

logger = logging.getLogger("benchmarks")

HERE = os.path.dirname(os.path.abspath(__file__))
FEATURES, HIDDEN, CLASSES = 1280, 512, 10


def worker(out, batch, steps, epochs):
    """One process of a run (alone, or one worker of a cluster): writes `out` (chief)."""
    import keras
    import numpy as np
    import tensorflow as tf

    import keras_transfer

    strategy = keras_transfer.get_strategy("auto")  # first: MWMS from TF_CONFIG
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch * steps, FEATURES)).astype("float32")
    y = rng.integers(0, CLASSES, batch * steps)
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch, drop_remainder=True)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA)
    data = data.with_options(options)
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = keras.Sequential([
            keras.Input((FEATURES,)),
            keras.layers.Dense(HIDDEN, activation="relu"),
            keras.layers.Dense(HIDDEN, activation="relu"),
            keras.layers.Dense(CLASSES, activation="softmax"),
        ])
        model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    keras_transfer.enable_multi_worker_fit(model)

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.start)

    timer = EpochTimer()
    history = model.fit(data, epochs=epochs, verbose=0, callbacks=[timer], shuffle=False)
    payload = sum(int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize
                  for v in model.trainable_variables)
    if keras_transfer.distribute.is_chief(strategy):
        with open(out, "w") as file:
            json.dump({"epoch_seconds": timer.seconds,
                       "replicas": strategy.num_replicas_in_sync,
                       "allreduce_bytes_per_step": payload,
                       "trainable_variables": len(model.trainable_variables),
                       "final_loss": history.history["loss"][-1]}, file)


def run(num_workers, batch, steps, epochs):
    """One run in fresh processes; returns its record."""
    from keras_transfer.distribute.local_cluster import start_workers, wait_for_workers

    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "result.json")
        command = [sys.executable, __file__, "--worker", out, "--batch", str(batch),
                   "--steps", str(steps), "--epochs", str(epochs)]
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        env.pop("TF_CONFIG", None)
        if num_workers == 1:
            subprocess.run(command, check=True, env=env)
        else:
            logs = [(open(os.path.join(scratch, f"{i}.out"), "w"),
                     open(os.path.join(scratch, f"{i}.err"), "w+")) for i in range(num_workers)]
            failed = wait_for_workers(start_workers(command, num_workers, logs, env=env),
                                      timeout=1800)
            if failed is not None:
                logs[failed[0]][1].seek(0)
                raise RuntimeError(f"worker {failed[0]} {failed[1]}: "
                                   f"{logs[failed[0]][1].read()[-2000:]}")
            for out_file, err_file in logs:
                out_file.close()
                err_file.close()
        with open(out) as file:
            record = json.load(file)
    timed = record["epoch_seconds"][1:]
    record["examples_per_s"] = round(batch * steps * len(timed) / sum(timed), 1)
    record["workers"] = num_workers
    return record


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64, help="global batch (even)")
    parser.add_argument("--steps", type=int, default=40, help="steps per epoch")
    parser.add_argument("--epochs", type=int, default=4, help="the first is not timed")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="8 steps, 2 epochs, 1 repeat")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.batch, args.steps, args.epochs)
    if args.quick:
        args.steps, args.epochs, args.repeats = 8, 2, 1
    if args.batch % 2 or args.epochs < 2:
        parser.error("--batch must be even (it splits between 2 workers) and --epochs >= 2")
    sys.path.insert(0, HERE)
    from harness import emit, environment, setup_logging

    setup_logging()
    runs = []
    for repeat in range(args.repeats):
        for num_workers in (1, 2):
            logger.info("repeat %d, %d worker(s)", repeat + 1, num_workers)
            runs.append(run(num_workers, args.batch, args.steps, args.epochs))
    speed = {n: statistics.median(r["examples_per_s"] for r in runs if r["workers"] == n)
             for n in (1, 2)}
    emit({"benchmark": "multi_worker",
          "model": f"MLP {FEATURES}-{HIDDEN}-{HIDDEN}-{CLASSES}, Adam",
          "global_batch": args.batch, "steps_per_epoch": args.steps, "epochs": args.epochs,
          "repeats": args.repeats,
          "examples_per_s": {"1_worker": speed[1], "2_workers": speed[2]},
          "two_over_one": round(speed[2] / speed[1], 3),
          "allreduce_bytes_per_step": runs[0]["allreduce_bytes_per_step"],
          "allreduce_bytes_how": "sum over model.trainable_variables of elements x dtype "
                                 "bytes: one gradient all-reduce payload per step and worker",
          "runs": runs, "environment": environment()})


if __name__ == "__main__":
    main()
