"""Fine-tuning speed of MiniLM-L6: fp32 vs mixed_bfloat16, native Keras vs HubBackbone.

Prints one JSON object. All variants are timed in ONE process, interleaved in
rounds (A B C D, A B C D, ...), so machine noise hits them alike; report the
ratios, not the absolute numbers.

    python benchmarks/precision_speed.py [--quick]

Variants (batch 32, sequence 64, Adam, a 2-class head, every weight trainable):
- native_fp32 / native_bf16: KerasHub BertBackbone with the MiniLM weights,
  built under the float32 / mixed_bfloat16 policy;
- hub_fp32 / hub_bf16: the same network saved as a TF Hub-format SavedModel
  (built under that policy) and wrapped in keras_transfer.HubBackbone.
Also: a 2048x2048 matmul in float32 and bfloat16 (the machine's peak), and
the achieved FLOP/s of each variant (6 x params x tokens + attention).
"""

import argparse
import json
import os
import platform
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_transfer.backbones.hub_format import save_hub_savedmodel  # noqa: E402
from keras_transfer.backbones.providers.minilm import model as minilm  # noqa: E402
from keras_transfer.layers.hub_backbone import HubBackbone  # noqa: E402

BATCH, SEQ = 32, 64


def matmul_flops(dtype, n=2048, repeats=20):
    a = tf.random.normal((n, n), dtype=tf.float32)
    a = tf.cast(a, dtype)
    f = tf.function(lambda x: tf.matmul(x, x))
    f(a).numpy()
    start = time.perf_counter()
    for _ in range(repeats):
        out = f(a)
    out.numpy()
    return 2 * n ** 3 * repeats / (time.perf_counter() - start)


def batch(seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(1000, 20000, (BATCH, SEQ)).astype("int32")
    ids[:, 0] = 101
    return ({"input_word_ids": ids, "input_mask": np.ones_like(ids),
             "input_type_ids": np.zeros_like(ids)}, rng.integers(0, 2, BATCH))


def classifier(encoder_layer):
    inputs = {k: keras.Input((None,), dtype="int32", name=k)
              for k in ("input_word_ids", "input_mask", "input_type_ids")}
    features = encoder_layer(inputs)
    if isinstance(features, dict):
        features = features["default"]
    outputs = keras.layers.Dense(2, activation="softmax", dtype="float32")(features)
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(1e-5), "sparse_categorical_crossentropy")
    return model


def build_variants(root):
    variants = {}
    for policy, tag in (("float32", "fp32"), ("mixed_bfloat16", "bf16")):
        encoder = minilm.build_encoder(minilm.load_backbone(dtype=policy))
        variants[f"native_{tag}"] = classifier(encoder)
        path = os.path.join(root, f"encoder_{tag}")
        spec = {k: tf.TensorSpec([None, None], tf.int32)
                for k in ("input_word_ids", "input_mask", "input_type_ids")}
        save_hub_savedmodel(minilm.build_encoder(minilm.load_backbone(dtype=policy)), path, spec)
        variants[f"hub_{tag}"] = classifier(
            HubBackbone(path, trainable=True, output_key="default",
                        dtype=policy if tag == "bf16" else None))
    return variants


def train_flops_per_example(model):
    params = sum(int(np.prod(v.shape)) for v in model.trainable_weights
                 if "embedding" not in v.path)
    attention = 6 * 2 * 2 * SEQ * SEQ * 384
    return 6 * params * SEQ + 3 * attention


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and rounds")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None)
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 4)
    steps = args.steps or (3 if args.quick else 8)

    peak = {"fp32": matmul_flops(tf.float32), "bf16": matmul_flops(tf.bfloat16)}
    root = tempfile.mkdtemp()
    variants = build_variants(root)
    x, y = batch()
    times = {name: [] for name in variants}
    for model in variants.values():  # trace + warm up
        model.train_on_batch(x, y)
        model.train_on_batch(x, y)
    for _ in range(rounds):
        for name, model in variants.items():
            start = time.perf_counter()
            for _ in range(steps):
                model.train_on_batch(x, y)
            times[name].append((time.perf_counter() - start) / steps)
    flops = train_flops_per_example(variants["native_fp32"])
    result = {"benchmark": "precision_speed", "batch": BATCH, "sequence_length": SEQ,
              "rounds": rounds, "steps_per_round": steps,
              "matmul_flops": {k: round(v / 1e9, 1) for k, v in peak.items()},
              "matmul_bf16_over_fp32": round(peak["bf16"] / peak["fp32"], 2),
              "train_flops_per_example_g": round(flops / 1e9, 2), "variants": {}}
    for name, values in times.items():
        step = statistics.median(values)
        achieved = flops * BATCH / step
        tag = name.split("_")[1]
        result["variants"][name] = {
            "examples_per_second": round(BATCH / step, 2),
            "achieved_gflops": round(achieved / 1e9, 1),
            "fraction_of_matmul_peak": round(achieved / peak[tag], 3)}
    v = result["variants"]
    result["ratios"] = {
        "native_bf16_over_fp32": round(v["native_bf16"]["examples_per_second"]
                                       / v["native_fp32"]["examples_per_second"], 2),
        "hub_bf16_over_fp32": round(v["hub_bf16"]["examples_per_second"]
                                    / v["hub_fp32"]["examples_per_second"], 2),
        "hub_over_native_fp32": round(v["hub_fp32"]["examples_per_second"]
                                      / v["native_fp32"]["examples_per_second"], 3),
        "hub_over_native_bf16": round(v["hub_bf16"]["examples_per_second"]
                                      / v["native_bf16"]["examples_per_second"], 3),
    }
    result["environment"] = {"tensorflow": tf.__version__, "keras": keras.__version__,
                             "machine": platform.machine(), "cpus": os.cpu_count(),
                             "processor": platform.processor()}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
