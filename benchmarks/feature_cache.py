"""How much faster is an epoch on cached features than a frozen-backbone epoch?

Trains the same classifier (same seed, same batches, same optimizer) twice:
end to end with the backbone frozen (`model.fit`), and on features computed
once by `keras_transfer.features.feature_cache.FeatureCache`. Prints one JSON
object: seconds per epoch of each (median over epochs after the first, which
traces the graph), the one-time extraction cost, the per-epoch speedup, the
epoch count at which caching pays off, and the largest difference between the
two trained heads (it should be ~1e-7: the runs are the same computation).

Usage:
    python benchmarks/feature_cache.py [--backbone efficientnet_lite0]
        [--examples 256] [--batch-size 32] [--epochs 4] [--quick]
"""

import argparse
import json
import logging
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_transfer.features.feature_cache import FeatureCache  # noqa: E402
from keras_transfer.models.build_image_classifier import (  # noqa: E402
    build_image_classifier,
)


class EpochTimer(keras.callbacks.Callback):
    """Records the wall time of every epoch."""

    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def run(backbone, examples, batch_size, epochs, image_size, num_classes=5):
    rng = np.random.default_rng(0)
    x = (rng.random((examples, image_size, image_size, 3)) * 255).astype("float32")
    y = rng.integers(0, num_classes, examples)
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size).cache()
    for _ in data:  # materialize the input pipeline once for both runs
        pass

    def build():
        keras.utils.set_random_seed(0)
        return build_image_classifier(backbone, num_classes, trainable=False,
                                      dropout=0.2)

    end_to_end = build()
    timer = EpochTimer()
    end_to_end.fit(data, epochs=epochs, shuffle=False, verbose=0, callbacks=[timer])
    full = timer.seconds

    cached_model = build()
    cache = FeatureCache(cached_model)
    start = time.perf_counter()
    features = cache.extract(data)
    extract = time.perf_counter() - start
    timer = EpochTimer()
    cache.fit(features, epochs=epochs, verbose=0, callbacks=[timer])
    cached = timer.seconds

    difference = max(
        float(np.abs(a.numpy() - b.numpy()).max())
        for a, b in zip(end_to_end.get_layer("head").weights,
                        cached_model.get_layer("head").weights)
    )
    full_epoch = float(np.median(full[1:]))
    cached_epoch = float(np.median(cached[1:]))
    saved_per_epoch = full_epoch - cached_epoch
    return {
        "benchmark": "feature_cache",
        "backbone": backbone,
        "examples": examples,
        "batch_size": batch_size,
        "epochs": epochs,
        "input_image_size": image_size,
        "cpu_threads": os.cpu_count(),
        "devices": [d.device_type for d in tf.config.list_physical_devices()],
        "full_epoch_s": round(full_epoch, 4),
        "cached_epoch_s": round(cached_epoch, 4),
        "extract_s": round(extract, 4),
        "epoch_speedup": round(full_epoch / cached_epoch, 1),
        "break_even_epochs": (round(extract / saved_per_epoch, 2)
                              if saved_per_epoch > 0 else None),
        "total_s": {"end_to_end": round(sum(full), 3),
                    "extract_plus_cached": round(extract + sum(cached), 3)},
        "head_max_abs_diff": difference,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="efficientnet_lite0")
    parser.add_argument("--examples", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--image-size", type=int, default=224,
                        help="size of the input images (the model resizes them)")
    parser.add_argument("--quick", action="store_true", help="64 examples, 3 epochs")
    args = parser.parse_args()
    if args.quick:
        args.examples, args.epochs = 64, 3
    logging.basicConfig(level=logging.WARNING)
    result = run(args.backbone, args.examples, args.batch_size, args.epochs,
                 args.image_size)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
