"""Which `fine_tune` plan fits which label budget (Rotten Tomatoes, MiniLM-L6).

Prints one JSON line per run, then a JSON summary. For each labels-per-class
budget and seed, on the same subset (harness.per_class_subset of a 4,000
example pool) and the same test sample:

- frozen_logreg: frozen MiniLM embedding + standardized logistic regression,
  C by 3-fold CV (the baseline of issue #13);
- old_default: `fine_tune(plan="full")`, the recipe as it was before plans
  (random head for 1/3 of the epochs, then gradual unfreezing; the CLI's text
  settings: peak 2e-4, decay 1.0; epochs raised to >= 30 steps, as
  text_quality.py does);
- linear_probe / lp_ft / lp_ft_l2sp: `fine_tune(plan=...)` at the same
  settings, every label trained on (the default since the held-out split
  became opt-in);
  lp_ft_holdout: LP-FT with `holdout=True` (20 % held out for early
  stopping, fine-tuning undone if it does not beat the probe).

The results of 2026-12-01 (benchmarks/results/label_budget-*.jsonl) ran
before that change: there `lp_ft` held out 20 % and `lp_ft_no_holdout`
did not.

    python benchmarks/label_budget.py --labels 8,100 --seeds 1 --test 1000
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

import harness  # noqa: E402
import keras_transfer  # noqa: E402
from keras_transfer import data  # noqa: E402

METHODS = ("frozen_logreg", "old_default", "linear_probe", "lp_ft", "lp_ft_l2sp",
           "lp_ft_holdout")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--labels", default="8,100")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--test", type=int, default=1000)
    parser.add_argument("--pool", type=int, default=4000)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--min-steps", type=int, default=30)
    args = parser.parse_args()
    harness.quiet_warnings()
    train = data.load_dataset("rotten_tomatoes", "train", num_examples=args.pool, seed=0)
    test = data.load_dataset("rotten_tomatoes", "test", num_examples=args.test, seed=0)
    names = train.class_names

    def dataset(x, y, shuffle=False, seed=None):
        return data.from_arrays(x, y, class_names=names, modality="text", batch_size=32,
                                shuffle=shuffle, seed=seed)

    def build(seed):
        harness.seed_everything(seed)
        return keras_transfer.build_text_classifier("minilm_l6", len(names), trainable=False)

    test_ds = dataset(test.x, test.y)
    cache = keras_transfer.FeatureCache(build(0))
    test_features, _ = harness.dataset_arrays(cache.extract(test_ds))
    results = []
    for k in [int(v) for v in args.labels.split(",")]:
        for seed in range(args.seeds):
            index = harness.per_class_subset(train.y, k, seed)
            x, y = train.x[index], train.y[index]
            total = harness.budget_epochs(len(index), 32, args.epochs, args.min_steps)
            head_epochs, epochs = harness.recipe_split(total, 1 / 3)
            for method in args.methods.split(","):
                record = {"labels_per_class": k, "seed": seed, "method": method}
                with harness.Timer() as t:
                    if method == "frozen_logreg":
                        features, _ = harness.dataset_arrays(cache.extract(dataset(x, y)))
                        predicted, info = harness.logistic_regression(features, y,
                                                                      test_features, seed)
                        record.update(info)
                    else:
                        model = build(seed)
                        kwargs = dict(learning_rate=2e-4, decay=1.0, verbose=0)
                        if method == "old_default":
                            history = keras_transfer.fine_tune(
                                model, dataset(x, y, True, seed), epochs=epochs,
                                head_epochs=head_epochs, plan="full", **kwargs)
                        else:
                            plan = "linear_probe" if method == "linear_probe" else "lp_ft"
                            history = keras_transfer.fine_tune(
                                model, dataset(x, y, True, seed), epochs=total, plan=plan,
                                l2_sp=True if method == "lp_ft_l2sp" else None,
                                holdout=method == "lp_ft_holdout",
                                **kwargs)
                        record["plan"] = {key: value for key, value in history.plan.items()
                                          if key != "reason"}
                        predicted = harness.predict_labels(model, test_ds)
                record["seconds"] = round(t.seconds, 1)
                record["accuracy"] = float(np.mean(predicted == test.y))
                results.append(record)
                print(json.dumps(record, default=str), flush=True)
    print(json.dumps({"summary": [(r["labels_per_class"], r["seed"], r["method"],
                                   round(r["accuracy"], 4), r["seconds"]) for r in results]}))


if __name__ == "__main__":
    sys.exit(main())
