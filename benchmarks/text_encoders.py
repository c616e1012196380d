"""Frozen sentence embeddings + logistic regression: the offline text encoders compared.

For each registry text encoder (default: minilm_l6 and mpnet_base), embeds
Rotten Tomatoes (4,000 train / 2,000 test, seed 0) with its
`sentence_encoder` SavedModel, fits `harness.logistic_regression` (C by
3-fold CV) and reports test accuracy, embedding time, the median time of one
32-sentence batch, and the converted encoder's size on disk and parameter
count. One seed: the encoders are frozen, so the only randomness is the
sample of examples and the CV folds.

    python benchmarks/text_encoders.py [--train 4000 --test 2000 --encoders minilm_l6 mpnet_base]
"""

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from benchmarks.harness import logistic_regression

RESULTS = Path(__file__).resolve().parent / "results" / "text_encoders.json"


def _folder_bytes(folder):
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def _embed(encoder, texts, batch_size=64):
    import tensorflow as tf

    # Sorted by length so each batch pads little (the mean is masked anyway).
    order = np.argsort([len(t) for t in texts])
    parts = []
    for start in range(0, len(texts), batch_size):
        idx = order[start:start + batch_size]
        parts.append((idx, encoder(tf.constant([texts[i] for i in idx])).numpy()))
    out = np.zeros((len(texts), parts[0][1].shape[1]), "float32")
    for idx, values in parts:
        out[idx] = values
    return out


def measure(name, train, test, seed=0, batch_repeats=5):
    import tensorflow as tf

    from keras_transfer.backbones.conversion import backbone_path
    from keras_transfer.backbones.providers.minilm.model import import_text_deps

    import_text_deps()
    folder = os.path.dirname(backbone_path(name, "encoder"))
    encoder = tf.saved_model.load(os.path.join(folder, "sentence_encoder"))
    batch = tf.constant([str(t) for t in train.x[:32]])
    encoder(batch)  # trace / warm up
    times = []
    for _ in range(batch_repeats):
        start = time.perf_counter()
        encoder(batch)
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    x_train = _embed(encoder, [str(t) for t in train.x])
    x_test = _embed(encoder, [str(t) for t in test.x])
    embed_s = time.perf_counter() - start
    start = time.perf_counter()
    predictions, info = logistic_regression(x_train, train.y, x_test, seed)
    fit_s = time.perf_counter() - start
    return {
        "encoder": name,
        "accuracy": float(np.mean(predictions == test.y)),
        "C": info["C"],
        "embed_seconds": embed_s,
        "logreg_seconds": fit_s,
        "batch32_median_seconds": float(np.median(times)),
        "encoder_bytes": _folder_bytes(os.path.join(folder, "encoder")),
        "parameters": int(sum(int(np.prod(v.shape)) for v in encoder.variables)),
        "dim": int(x_train.shape[1]),
    }


def main(argv=None):
    from keras_transfer import data

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=4000)
    parser.add_argument("--test", type=int, default=2000)
    parser.add_argument("--encoders", nargs="+", default=["minilm_l6", "mpnet_base"])
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args(argv)
    train = data.load_dataset("rotten_tomatoes", "train", num_examples=args.train, seed=0)
    test = data.load_dataset("rotten_tomatoes", "test", num_examples=args.test, seed=0)
    rows = []
    for name in args.encoders:
        row = measure(name, train, test)
        rows.append(row)
        print(json.dumps(row), flush=True)
    base = rows[0]["batch32_median_seconds"]
    for row in rows:
        row["batch32_time_ratio"] = row["batch32_median_seconds"] / base
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(
        {"train": args.train, "test": args.test, "seed": 0, "rows": rows}, indent=2) + "\n")
    return rows


if __name__ == "__main__":
    main()
