"""Can `FeatureCache` cache and train on more features than the process may hold in memory?

Caches the features of a synthetic dataset with `FeatureCache(directory=...)`
(sharded TFRecord files, streamed back) and trains the head on them, under a
memory cap far below the size of the features, and reports the process' peak
resident memory (RSS) against the bytes of features.

The model: 64 random inputs -> a frozen Dense "backbone" (4096 ReLU
features, float32: 16 KiB per example) -> a softmax "head" over 10 classes
(labels: argmax of a fixed random projection of the inputs, so the head has
something to learn). The inputs are generated batch by batch from their index
(`tf.random.stateless_normal`), never held in memory. Full size: 3.25 GiB of
features (212,992 examples) under a 1 GiB cap, 2 epochs with `shuffle=True`
(file order reshuffled every epoch + a buffer of one file's examples).

How the cap is applied, honestly: not with `resource.setrlimit(RLIMIT_AS)`.
That limits virtual address space, and TensorFlow reserves far more of it than
it touches (right after `import tensorflow, keras`: 1.6 GiB `VmSize`, 0.63 GiB
resident; `vm_peak_bytes` reports the run's peak): under `RLIMIT_AS` of 1 GiB
`import tensorflow` fails with `MemoryError`. No cgroup is available here. Instead a watchdog thread reads `VmRSS` from
`/proc/self/status` every 20 ms and ends the process (exit 3, one JSON line
with the reading) as soon as it exceeds the cap; and at the end the kernel's
exact high-water mark `VmHWM` (the peak RSS, not a sample) is compared with
the cap (`within_cap`). The high-water mark is reset (`/proc/self/clear_refs`)
after start-up, so `peak_rss_extract_bytes` and `peak_rss_fit_bytes` are each
phase's own peak; `baseline_rss_bytes` is the RSS of Python + TensorFlow +
Keras + the model before any feature exists. Page cache (the files the kernel
keeps cached) is not RSS and is not counted, as a cgroup limit would.

Prints one JSON object (the `benchmarks/harness.py` conventions; progress on
stderr). The full size writes 3.5 GiB to `--directory` (a temporary folder by
default, deleted afterwards) and takes minutes on 2 CPU cores, mostly
serialization and parsing.

Usage:
    python benchmarks/feature_cache_memory.py [--quick] [--feature-gib 3.25]
        [--rss-cap-gib 1.0] [--epochs 2] [--batch-size 256] [--shard-mib 64]
        [--directory DIR]
"""

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import harness  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_transfer.features import shards  # noqa: E402
from keras_transfer.features.feature_cache import FeatureCache  # noqa: E402

logger = harness.logger

INPUT_DIM = 64
FEATURE_DIM = 4096
NUM_CLASSES = 10
QUICK = {"feature_gib": 0.125, "epochs": 2}
FULL = {"feature_gib": 3.25, "epochs": 2}


def status(field):
    """A `kB` field of /proc/self/status (VmRSS, VmHWM, VmPeak), in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} is not in /proc/self/status")


def reset_peak():
    """Resets VmHWM to the current RSS (Linux >= 4.0); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class Watchdog(threading.Thread):
    """Ends the process as soon as its RSS exceeds `cap` bytes."""

    def __init__(self, cap, interval=0.02):
        super().__init__(daemon=True)
        self.cap = cap
        self.interval = interval
        self.highest_sample = 0
        self.phase = "start"

    def run(self):
        while True:
            rss = status("VmRSS")
            self.highest_sample = max(self.highest_sample, rss)
            if rss > self.cap:
                harness.emit({"benchmark": "feature_cache_memory", "error":
                              f"RSS {rss} bytes exceeded the cap of {self.cap} bytes "
                              f"during {self.phase}"})
                sys.stdout.flush()
                os._exit(3)
            time.sleep(self.interval)


def build():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((INPUT_DIM,), name="inputs")
    backbone = keras.layers.Dense(FEATURE_DIM, activation="relu", name="backbone")
    backbone.trainable = False
    outputs = keras.layers.Dense(NUM_CLASSES, activation="softmax",
                                 name="head")(backbone(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def synthetic(num_batches, batch_size):
    """`(inputs, labels)` batches made from their index: nothing held in memory."""
    projection = tf.constant(np.random.default_rng(0).normal(
        size=(INPUT_DIM, NUM_CLASSES)).astype("float32"))

    def make(index):
        x = tf.random.stateless_normal((batch_size, INPUT_DIM), seed=tf.stack([index, 0]))
        return x, tf.argmax(x @ projection, axis=-1, output_type=tf.int32)

    return tf.data.Dataset.range(num_batches).map(make)


def run(args):
    cap = int(args.rss_cap_gib * 2**30)
    examples_wanted = int(args.feature_gib * 2**30) // (FEATURE_DIM * 4)
    num_batches = max(1, examples_wanted // args.batch_size)
    examples = num_batches * args.batch_size
    feature_bytes = examples * FEATURE_DIM * 4
    watchdog = Watchdog(cap)
    watchdog.start()

    model = build()
    cache_root = args.directory or tempfile.mkdtemp(prefix="feature_cache_memory_")
    path = os.path.join(cache_root, "train")
    if os.path.exists(path):
        shutil.rmtree(path)
    cache = FeatureCache(model, directory=cache_root, shard_size=args.shard_mib * 2**20)
    cache.compile_head()
    baseline = status("VmRSS")
    peak_resets = reset_peak()
    logger.info("baseline RSS %.0f MiB; caching %d examples (%.2f GiB of features)",
                baseline / 2**20, examples, feature_bytes / 2**30)
    try:
        watchdog.phase = "extract"
        with harness.Timer() as extract:
            features = cache.extract(synthetic(num_batches, args.batch_size), name="train",
                                     shuffle=True, seed=0)
        peak_extract = status("VmHWM")
        with open(os.path.join(path, shards.MANIFEST)) as f:
            manifest = json.load(f)
        file_bytes = shards.total_bytes(manifest)
        logger.info("extracted in %.0f s: %d files, %.2f GiB; peak RSS %.0f MiB",
                    extract.seconds, len(manifest["shards"]), file_bytes / 2**30,
                    peak_extract / 2**20)
        reset_peak()
        watchdog.phase = "fit"
        timer = EpochTimer()
        history = cache.fit(features, epochs=args.epochs, verbose=0, callbacks=[timer])
        peak_fit = status("VmHWM")
        logger.info("trained %d epochs (%s s); peak RSS %.0f MiB", args.epochs,
                    [round(s) for s in timer.seconds], peak_fit / 2**20)
    finally:
        if args.directory is None:
            shutil.rmtree(cache_root, ignore_errors=True)
    peak = max(peak_extract, peak_fit)
    return {
        "benchmark": "feature_cache_memory",
        "mode": harness.mode_name(args.quick),
        "examples": examples,
        "feature_dim": FEATURE_DIM,
        "batch_size": args.batch_size,
        "epochs": args.epochs,
        "feature_bytes": feature_bytes,
        "file_bytes": file_bytes,
        "shards": len(manifest["shards"]),
        "shard_bytes": args.shard_mib * 2**20,
        "rss_cap_bytes": cap,
        "cap_method": "watchdog on VmRSS every 20 ms + final VmHWM check (RLIMIT_AS "
                      "not usable: TensorFlow reserves more address space than the cap)",
        "baseline_rss_bytes": baseline,
        "peak_rss_extract_bytes": peak_extract,
        "peak_rss_fit_bytes": peak_fit,
        "peak_rss_bytes": peak,
        "peak_is_per_phase": peak_resets,
        "highest_rss_sample_bytes": watchdog.highest_sample,
        "vm_peak_bytes": status("VmPeak"),
        "within_cap": peak <= cap,
        "features_over_cap": round(feature_bytes / cap, 2),
        "peak_rss_over_features": round(peak / feature_bytes, 3),
        "extract_s": round(extract.seconds, 1),
        "epoch_s": [round(s, 1) for s in timer.seconds],
        "final_loss": round(float(history.history["loss"][-1]), 4),
        "final_accuracy": round(float(history.history["accuracy"][-1]), 4),
        "environment": harness.environment(),
    }


class EpochTimer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="0.125 GiB of features (the cap is not exceeded by the "
                        "features then: it checks the machinery)")
    parser.add_argument("--feature-gib", type=float, default=None,
                        help="GiB of float32 features to cache (full: 3.25)")
    parser.add_argument("--rss-cap-gib", type=float, default=1.0)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--shard-mib", type=int, default=64)
    parser.add_argument("--directory", default=None,
                        help="where to write the cache (default: a temporary folder, "
                        "deleted afterwards)")
    args = harness.apply_defaults(parser.parse_args(), QUICK, FULL)
    harness.setup_logging()
    logging.getLogger("keras_transfer").setLevel(logging.WARNING)
    harness.emit(run(args))


if __name__ == "__main__":
    main()
