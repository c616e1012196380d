"""Masked-LM domain adaptation of MiniLM on Rotten Tomatoes: classifier with vs without.

    python benchmarks/mlm_adaptation.py [--quick] [--seeds 3] [--labels-per-class 20,100,all]

Issue #14, item 1. `keras_transfer.adapt_language_model` continues
minilm_l6's masked-LM training (fresh MLM head tied to the word embeddings;
15% dynamic masking, 80/10/10) on unlabelled Rotten Tomatoes text:
`load_rotten_tomatoes_unlabelled()`, the train-pool snippets and the plot
synopses of train-pool movies (9,510 texts; no test snippet, no test movie).
Then, for each label budget K per class (and `all`) and seed, on the same
K-shot subset of the train pool, each encoder (`original`: minilm_l6,
`adapted`: the result) is scored on the same test snippets by:

- `frozen_lr`: its frozen sentence embeddings (`default`, the masked mean)
  + standardized logistic regression, `C` by 3-fold CV (harness baseline);
- `fine_tune` (full mode; `--fine-tune` in quick): `build_text_classifier`
  + `keras_transfer.fine_tune` at text_quality.py's settings (peak 2e-4,
  2 epochs raised to >= 30 optimizer steps).

`gain` = adapted minus original accuracy, per method and K. Full (`make
bench-language`): all unlabelled texts, 1 MLM epoch, 1,000 test snippets, 3
seeds, K = 20, 100, all, `fine_tune` up to 100 per class (at `all`, 8,474
labels, six more fine-tuning runs would cost about an hour on 2 CPU cores);
the train pool is embedded once per encoder. Quick (a smoke run; its numbers
say nothing about the gain): 96 unlabelled texts, 1 epoch, a 400-snippet
train pool, 160 test snippets, 1 seed, K = 20, frozen_lr only.

One JSON object on stdout (progress on stderr).
"""

import argparse
import logging
import os
import shutil
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

logger = logging.getLogger("benchmarks.mlm_adaptation")

ADAPTED = "minilm_l6_rotten_tomatoes"
BATCH_SIZE = 64
TEXT_LEARNING_RATE, EPOCHS, MIN_STEPS = 2e-4, 2, 30  # text_quality.py's settings


def embed(backbone, texts):
    """Frozen sentence embeddings (the registry's output key, `default`)."""
    import keras
    import tensorflow as tf

    import keras_transfer

    model = keras_transfer.build_text_classifier(backbone, 2, trainable=False,
                                                 compile=False)
    features = keras.Model(model.input, model.get_layer("backbone").output)
    data = tf.data.Dataset.from_tensor_slices(np.asarray(texts, str)).batch(BATCH_SIZE)
    return features.predict(data, verbose=0)


def fine_tune(backbone, x, y, test, class_names, seed):
    """`fine_tune`'s defaults on the K-shot subset; test accuracy end to end."""
    import keras_transfer

    harness.seed_everything(seed)
    model = keras_transfer.build_text_classifier(backbone, len(class_names),
                                                 trainable=False)
    total = harness.budget_epochs(len(y), 32, EPOCHS, MIN_STEPS)
    head_epochs, epochs = harness.recipe_split(total, 1 / 3)
    train = keras_transfer.data.from_arrays(x, y, class_names=class_names, modality="text",
                                            batch_size=32, shuffle=True, seed=seed)
    with harness.Timer() as t:
        keras_transfer.fine_tune(model, train, epochs=epochs, head_epochs=head_epochs,
                                 learning_rate=TEXT_LEARNING_RATE, verbose=0)
    test_ds = keras_transfer.data.from_arrays(test.x, test.y, class_names=class_names,
                                              modality="text", batch_size=BATCH_SIZE,
                                              shuffle=False)
    predicted = harness.predict_labels(model, test_ds)
    return {"accuracy": float((predicted == test.y).mean()), "seconds": t.seconds,
            "epochs": total}


def run(args, workdir):
    import keras_transfer
    from keras_transfer.data import load_rotten_tomatoes_unlabelled

    unlabelled = load_rotten_tomatoes_unlabelled()
    if args.unlabelled is not None:
        pick = np.random.default_rng(0).choice(len(unlabelled), args.unlabelled,
                                               replace=False)
        unlabelled = unlabelled[np.sort(pick)]
    train = keras_transfer.data.load_dataset(
        "rotten_tomatoes", split="train", seed=0, num_examples=args.pool)
    test = keras_transfer.data.load_dataset("rotten_tomatoes", split="test", seed=0,
                                            num_examples=args.test)
    if set(unlabelled.tolist()) & set(test.x.tolist()):
        raise RuntimeError("An unlabelled text is a test snippet.")
    class_names = list(train.class_names)

    with harness.Timer() as t:
        adapted = keras_transfer.adapt_language_model(
            "minilm_l6", unlabelled, os.path.join(workdir, "adapted"), name=ADAPTED,
            epochs=args.mlm_epochs, batch_size=args.mlm_batch_size,
            learning_rate=args.mlm_learning_rate, seed=0)
    result = {
        "benchmark": "mlm_adaptation", "environment": harness.environment(),
        "class_names": class_names, "num_train_pool": len(train.y),
        "num_test": len(test.y),
        "adaptation": {"num_texts": adapted["num_texts"], "epochs": args.mlm_epochs,
                       "batch_size": args.mlm_batch_size,
                       "learning_rate": args.mlm_learning_rate,
                       "loss": adapted["history"]["loss"],
                       "masked_token_accuracy": adapted["history"]["accuracy"],
                       "seconds": t.seconds},
    }
    logger.info("adaptation: %s", result["adaptation"])
    encoders = {"original": "minilm_l6", "adapted": ADAPTED}
    # Each encoder embeds the test snippets and the train pool once; a K-shot
    # subset's features are rows of the pool's (its seconds are the extraction
    # time scaled to the subset).
    test_features, pool_features, pool_seconds = {}, {}, {}
    for name, backbone in encoders.items():
        test_features[name] = embed(backbone, test.x)
        with harness.Timer() as t:
            pool_features[name] = embed(backbone, train.x)
        pool_seconds[name] = t.seconds

    runs = []
    for k in args.labels_per_class:
        tune = args.fine_tune and (args.fine_tune_max is None
                                   or k != "all" and k <= args.fine_tune_max)
        for seed in args.seeds:
            index = harness.per_class_subset(train.y, k, seed)
            x, y = train.x[index], train.y[index]
            record = {"labels_per_class": k, "seed": seed}
            for name, backbone in encoders.items():
                with harness.Timer() as t:
                    predicted, info = harness.logistic_regression(
                        pool_features[name][index], y, test_features[name], seed)
                extraction = pool_seconds[name] * len(index) / len(train.y)
                record[f"{name}/frozen_lr"] = {
                    "accuracy": float((predicted == test.y).mean()),
                    "seconds": t.seconds + extraction, **info}
                if tune:
                    record[f"{name}/fine_tune"] = fine_tune(backbone, x, y, test,
                                                            class_names, seed)
            logger.info("%s", record)
            runs.append(record)
    result["runs"] = runs
    result["fine_tune_max_labels_per_class"] = args.fine_tune_max
    summary = {}
    for k in args.labels_per_class:
        chosen = [r for r in runs if r["labels_per_class"] == k]
        for method in ("frozen_lr", "fine_tune"):
            if not chosen or f"original/{method}" not in chosen[0]:
                continue
            entry = {}
            for name in encoders:
                values = [r[f"{name}/{method}"]["accuracy"] for r in chosen]
                entry[name] = {"accuracy_mean": float(np.mean(values)),
                               "accuracy_std": float(np.std(values))}
            gains = [r[f"adapted/{method}"]["accuracy"] - r[f"original/{method}"]["accuracy"]
                     for r in chosen]
            entry["gain_mean"] = float(np.mean(gains))
            entry["gain_std"] = float(np.std(gains))
            entry["seeds"] = len(chosen)
            summary.setdefault(str(k), {})[method] = entry
    result["summary"] = summary
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 96 unlabelled texts, K=20, 160 test snippets")
    parser.add_argument("--seeds", type=int, default=None, help="default 3 (quick: 1)")
    parser.add_argument("--labels-per-class", type=harness.labels_list, default=None,
                        help="default 20,100,all (quick: 20)")
    parser.add_argument("--test", type=int, default=None, help="default 1000 (quick: 160)")
    parser.add_argument("--pool", type=int, default=None,
                        help="labelled train pool (default all 8,474; quick: 400)")
    parser.add_argument("--unlabelled", type=int, default=None,
                        help="random subset of the unlabelled texts (default: all "
                             "9,510; quick: 96)")
    parser.add_argument("--mlm-epochs", type=int, default=None, help="default 3 (quick: 1)")
    parser.add_argument("--mlm-batch-size", type=int, default=32)
    parser.add_argument("--mlm-learning-rate", type=float, default=1e-4)
    parser.add_argument("--fine-tune", action="store_true", default=None,
                        help="also score fine_tune (always on in full mode)")
    parser.add_argument("--fine-tune-max", type=int, default=None,
                        help="fine_tune only up to this many labels per class (full "
                             "mode: 100; `all` is then frozen_lr only)")
    args = parser.parse_args()
    quick = {"seeds": 1, "labels_per_class": [20], "test": 160, "unlabelled": 96,
             "mlm_epochs": 1, "fine_tune": False, "pool": 400}
    full = {"seeds": 3, "labels_per_class": [20, 100, "all"], "test": 1000, "pool": 8474,
            "mlm_epochs": 1, "fine_tune": True, "fine_tune_max": 100}
    args = harness.apply_defaults(args, quick, full)
    args.seeds = list(range(args.seeds))
    harness.setup_logging()
    harness.quiet_warnings()
    workdir = tempfile.mkdtemp(prefix="mlm_adaptation-")
    try:
        result = run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result["mode"] = harness.mode_name(args.quick)
    result["seeds"] = args.seeds
    harness.emit(result)


if __name__ == "__main__":
    main()
