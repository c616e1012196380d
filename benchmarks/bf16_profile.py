"""Where the time of a MiniLM-L6 training step goes: float32 vs mixed_bfloat16.

Prints one JSON object. Profiles a few training steps (`train_on_batch`,
batch 32, sequence 64, Adam, every weight trainable: the same network as
`precision_speed.py`) with the TensorFlow profiler, reads the trace it
writes (`*.xplane.pb`, parsed with the `xplane_pb2` protobuf TensorFlow
ships) and sums the time of every TensorFlow op executed, by category:

- matmul: MatMul / BatchMatMul / Einsum kernels (oneDNN's `_Mkl*` included);
- casts: `Cast` ops (what mixed precision adds);
- dropout RNG: random-number and mask ops under a `dropout` name scope;
- GELU: ops under a `gelu` scope (`Erfc`, ...);
- layer norm, softmax: ops under those scopes;
- optimizer step: ops of the Adam update (name scope `adam/`);
- loss, other: the rest.

Ops run on two inter-op threads at once, so the op times add up to more
than the step's wall time; the shares are of the summed op time. The wall
time per step is measured separately (median of `--steps` untraced steps).
Variants: native KerasHub layers in float32 and in mixed_bfloat16, and the
bf16-saved SavedModel in `keras_transfer.HubBackbone` (registry
`precision_variants`), all in one process.

    python benchmarks/bf16_profile.py [--quick] [--steps 6]
"""

import argparse
import collections
import glob
import os
import re
import shutil
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402
from tensorflow.tsl.profiler.protobuf import xplane_pb2  # noqa: E402

import harness  # noqa: E402
import precision_speed  # noqa: E402
from keras_transfer.backbones.hub_format import save_hub_savedmodel  # noqa: E402
from keras_transfer.backbones.providers.minilm import model as minilm  # noqa: E402
from keras_transfer.layers.hub_backbone import HubBackbone  # noqa: E402

CATEGORIES = ("matmul", "casts", "dropout RNG", "GELU", "layer norm", "softmax",
              "optimizer step", "loss", "other")
_OPTIMIZER = re.compile(r"^(adam|adamw|sgd|rmsprop)(_\d+)?/")
_SCOPES = (("loss", "loss"), ("dropout", "dropout RNG"), ("gelu", "GELU"),
           ("layer_norm", "layer norm"), ("softmax", "softmax"))


def category(op_name, op_type):
    """The category of one executed op, from its type and name scope."""
    if _OPTIMIZER.match(op_name):
        return "optimizer step"
    if "MatMul" in op_type or "Einsum" in op_type:
        return "matmul"
    if op_type == "Cast":
        return "casts"
    lowered = op_name.lower()
    for scope, name in _SCOPES:
        if scope in lowered:
            return name
    return "other"


def op_times(logdir):
    """Summed op milliseconds per category and per op type from a trace."""
    paths = glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)
    if not paths:
        raise RuntimeError(f"The profiler wrote no *.xplane.pb under {logdir}.")
    space = xplane_pb2.XSpace()
    with open(paths[0], "rb") as f:
        space.ParseFromString(f.read())
    by_category = collections.Counter()
    by_type = collections.Counter()
    for plane in space.planes:
        for line in plane.lines:
            if not line.name.startswith("tf_Compute"):
                continue
            for event in line.events:
                meta = plane.event_metadata[event.metadata_id]
                # TF op events are named "op_name:OpType"; executor frames
                # ("ExecutorState::Process") contain them and are skipped.
                if "::" in meta.name or ":" not in meta.name:
                    continue
                name, op_type = meta.name.rsplit(":", 1)
                milliseconds = event.duration_ps / 1e9
                by_category[category(name, op_type)] += milliseconds
                by_type[op_type] += milliseconds
    if not by_category:
        raise RuntimeError(
            f"The trace in {logdir} holds no TensorFlow op events on tf_Compute "
            "threads (another TensorFlow version or device lays traces out "
            "differently).")
    return by_category, by_type


def profile(model, batch, steps, logdir):
    """Wall ms per step (untraced median) and op ms per step (traced)."""
    x, y = batch
    for _ in range(2):
        model.train_on_batch(x, y)
    walls = []
    for _ in range(steps):
        start = time.perf_counter()
        model.train_on_batch(x, y)
        walls.append(time.perf_counter() - start)
    tf.profiler.experimental.start(logdir)
    try:
        for _ in range(steps):
            model.train_on_batch(x, y)
    finally:
        tf.profiler.experimental.stop()
    by_category, by_type = op_times(logdir)
    total = sum(by_category.values())
    return {
        "wall_ms_per_step": round(statistics.median(walls) * 1e3, 1),
        "op_ms_per_step": round(total / steps, 1),
        "categories": {c: {"ms_per_step": round(by_category[c] / steps, 1),
                           "share": round(by_category[c] / total, 3)}
                       for c in CATEGORIES},
        "_raw_ms": by_category,
        "top_op_types": {t: round(ms / steps, 1) for t, ms in by_type.most_common(8)},
    }


def build(root):
    variants = {}
    for policy, tag in (("float32", "fp32"), ("mixed_bfloat16", "bf16")):
        encoder = minilm.build_encoder(minilm.load_backbone(dtype=policy))
        variants[f"native_{tag}"] = precision_speed.classifier(encoder)
    path = os.path.join(root, "encoder_bf16")
    spec = {k: tf.TensorSpec([None, None], tf.int32)
            for k in ("input_word_ids", "input_mask", "input_type_ids")}
    save_hub_savedmodel(minilm.build_encoder(minilm.load_backbone(dtype="mixed_bfloat16")),
                        path, spec)
    variants["hub_bf16"] = precision_speed.classifier(
        HubBackbone(path, trainable=True, output_key="default", dtype="mixed_bfloat16"))
    return variants


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 profiled steps")
    parser.add_argument("--steps", type=int, default=None, help="default 6 (quick: 2)")
    args = parser.parse_args()
    if args.steps is not None and args.steps < 1:
        parser.error(f"--steps must be >= 1. Received: --steps {args.steps}")
    steps = args.steps or (2 if args.quick else 6)
    harness.setup_logging()
    with tempfile.TemporaryDirectory() as root, harness.Timer() as total:
        variants = build(root)
        batch = precision_speed.batch()
        results = {}
        for name, model in variants.items():
            logdir = os.path.join(root, f"trace_{name}")
            results[name] = profile(model, batch, steps, logdir)
            shutil.rmtree(logdir, ignore_errors=True)
    raw = {name: result.pop("_raw_ms") for name, result in results.items()}
    fp32, bf16 = results["native_fp32"], results["native_bf16"]
    ratios = {c: round(raw["native_fp32"][c] / raw["native_bf16"][c], 2)
              for c in CATEGORIES if raw["native_bf16"][c] > 0}
    harness.emit({
        "benchmark": "bf16_profile",
        "mode": harness.mode_name(args.quick),
        "batch": precision_speed.BATCH, "sequence_length": precision_speed.SEQ,
        "profiled_steps": steps,
        "variants": results,
        "fp32_over_bf16_op_time": ratios,
        "wall_fp32_over_bf16": round(fp32["wall_ms_per_step"]
                                     / bf16["wall_ms_per_step"], 2),
        "total_seconds": round(total.seconds, 1),
        "environment": harness.environment(),
    })


if __name__ == "__main__":
    main()
