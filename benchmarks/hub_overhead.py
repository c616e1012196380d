"""SavedModel overhead: native Keras vs HubBackbone vs hub.KerasLayer, XLA on/off.

Prints one JSON object. One network, EfficientNet-Lite0 to its 1280-d
features plus a 10-class softmax, every weight trainable, batch 32 at
`--image-size` (96) px, Adam, in these variants:

- native: the provider's Keras 3 functional model
  (`keras_transfer.backbones.providers.efficientnet_lite0.model.build_model`);
- native_jit: the same, compiled with `jit_compile=True` (XLA);
- hub: that model written as a TF Hub-format SavedModel
  (`keras_transfer.save_hub_savedmodel`) and loaded in
  `keras_transfer.HubBackbone(trainable=True)`, `jit_compile=False`;
- hub_jit: the same HubBackbone model compiled with `jit_compile=True`.
  Keras refuses it ("Model doesn't support `jit_compile=True`. Proceeding
  with `jit_compile=False`"): HubBackbone sets `supports_jit = False`,
  because under XLA the SavedModel call re-compiled its cluster at every
  training step on CPU. So hub_jit measures that the refusal costs nothing;
- legacy: the same SavedModel in `tensorflow_hub.KerasLayer(trainable=True)`
  inside a tf_keras model (the pre-Keras-3 path; tf_keras and Keras 3 run
  side by side in this process without trouble).

All run BatchNorm in training mode during training (the way
`hub.KerasLayer(trainable=True)` calls the SavedModel), so they do the
same work. All variants are timed in ONE process, interleaved in rounds
(A B C D E, A B C D E, ...), the median per variant reported as examples/s
for training (`train_on_batch`) and inference (`predict_on_batch`); compare
the ratios, not the absolute numbers. Within a round a variant runs
`--steps` calls, or fewer once `--budget` seconds are spent (a variant
that takes a minute per step is timed on one step per round). A variant
that fails is reported with its error.

    python benchmarks/hub_overhead.py [--quick] [--image-size 96]
"""

import argparse
import json
import logging
import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_transfer.backbones.hub_format import save_hub_savedmodel  # noqa: E402
from keras_transfer.backbones.providers.efficientnet_lite0 import model as efficientnet_lite0  # noqa: E402,E501
from keras_transfer.layers.hub_backbone import HubBackbone  # noqa: E402

BATCH = 32
NUM_CLASSES = 10


def keras3_model(features, size, jit_compile):
    inputs = keras.Input((size, size, 3), name="images")
    outputs = keras.layers.Dense(NUM_CLASSES, activation="softmax", name="head")(
        features(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(1e-4), "sparse_categorical_crossentropy",
                  jit_compile=jit_compile)
    return model


def legacy_model(path, size):
    import tensorflow_hub as hub
    import tf_keras

    model = tf_keras.Sequential([
        tf_keras.Input((size, size, 3)),
        hub.KerasLayer(path, trainable=True),
        tf_keras.layers.Dense(NUM_CLASSES, activation="softmax"),
    ])
    model.compile(tf_keras.optimizers.Adam(1e-4), "sparse_categorical_crossentropy")
    return model


def build_variants(root, size):
    keras.utils.set_random_seed(0)
    native = efficientnet_lite0.build_model(weights=None, include_top=False)
    path = os.path.join(root, "feature_vector")
    save_hub_savedmodel(native, path, tf.TensorSpec([None, None, None, 3], tf.float32))
    builders = {
        "native": lambda: keras3_model(native, size, False),
        "native_jit": lambda: keras3_model(
            efficientnet_lite0.build_model(weights=None, include_top=False), size,
            True),
        "hub": lambda: keras3_model(HubBackbone(path, trainable=True), size, False),
        "hub_jit": lambda: keras3_model(HubBackbone(path, trainable=True), size, True),
        "legacy": lambda: legacy_model(path, size),
    }
    return builders


def seconds_per_step(step, steps, budget):
    """Mean seconds of up to `steps` calls, stopping once `budget` s are spent
    (a variant that takes a minute per step is timed on one step per round)."""
    start = time.perf_counter()
    done = 0
    while done < steps:
        step()
        done += 1
        if time.perf_counter() - start > budget:
            break
    return (time.perf_counter() - start) / done


def run(args):
    with tempfile.TemporaryDirectory() as root:
        return measure(args, root)


def measure(args, root):
    rng = np.random.default_rng(0)
    x = rng.random((BATCH, args.image_size, args.image_size, 3)).astype("float32")
    y = rng.integers(0, NUM_CLASSES, BATCH)
    variants, errors = {}, {}
    for name, build in build_variants(root, args.image_size).items():
        try:
            model = build()
            for _ in range(2):  # trace (and XLA-compile) both paths
                model.train_on_batch(x, y)
                model.predict_on_batch(x)
            variants[name] = model
        except Exception as error:  # noqa: BLE001 (reported in the JSON)
            first = (str(error).splitlines() or [""])[0]
            errors[name] = f"{type(error).__name__}: {first[:300]}"
            logging.warning("%s failed: %s", name, errors[name])
    times = {name: {"train": [], "inference": []} for name in variants}
    for _ in range(args.rounds):
        for name, model in variants.items():
            train = lambda: model.train_on_batch(x, y)  # noqa: E731
            infer = lambda: np.asarray(model.predict_on_batch(x))  # noqa: E731
            times[name]["train"].append(
                seconds_per_step(train, args.steps, args.budget))
            times[name]["inference"].append(
                seconds_per_step(infer, args.steps, args.budget))
    speed = {name: {kind: round(BATCH / statistics.median(values), 2)
                    for kind, values in kinds.items()}
             for name, kinds in times.items()}
    ratios = {}
    for kind in ("train", "inference"):
        for a, b in (("hub", "native"), ("hub_jit", "hub"), ("native_jit", "native"),
                     ("legacy", "native"), ("legacy", "hub"), ("hub_jit", "native")):
            if a in speed and b in speed:
                ratios[f"{kind}_{a}_over_{b}"] = round(
                    speed[a][kind] / speed[b][kind], 3)
    return {
        "benchmark": "hub_overhead",
        "mode": "quick" if args.quick else "full",
        "network": "efficientnet_lite0 features + Dense(10)",
        "image_size": args.image_size, "batch": BATCH,
        "rounds": args.rounds, "steps_per_round": args.steps,
        "round_budget_s": args.budget,
        "examples_per_second": speed,
        "ratios": ratios,
        "errors": errors,
        "environment": {
            "tensorflow": tf.__version__, "keras": keras.__version__,
            "cpus": os.cpu_count(),
            "devices": sorted({d.device_type
                               for d in tf.config.list_physical_devices()}),
        },
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="2 rounds of 2 steps at 32 px (machinery check)")
    parser.add_argument("--rounds", type=int, default=None, help="default 5 (quick: 2)")
    parser.add_argument("--steps", type=int, default=None, help="default 5 (quick: 2)")
    parser.add_argument("--image-size", type=int, default=None,
                        help="default 96 (quick: 32)")
    parser.add_argument("--budget", type=float, default=3.0,
                        help="seconds per variant and round after which it stops early")
    args = parser.parse_args()
    args.image_size = args.image_size or (32 if args.quick else 96)
    args.rounds = args.rounds or (2 if args.quick else 5)
    args.steps = args.steps or (2 if args.quick else 5)
    logging.basicConfig(level=logging.WARNING)
    print(json.dumps(run(args), indent=2))


if __name__ == "__main__":
    main()
