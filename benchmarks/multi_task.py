"""Multi-task vs separate single-task models on the four VADER sentiment domains.

    python benchmarks/multi_task.py [--quick] [--seeds 3] [--epochs 10]
        [--train 600] [--test 400]

Issue #15. `keras_transfer.build_multi_task_model` puts one head per task on
shared features; this measures what sharing gives and costs against one
model per task, on the same features, data, optimizer and epochs:

- data: the four `vader_*` domains (movie snippets, Amazon review
  sentences, NYT opinion sentences, tweets), `--train` snippets per domain
  from its train split and `--test` from its test split (stratified, seed
  0), each with its negative/positive label and its mean human rating
  (-4..4, none within 0.5 of 0; `keras_transfer.data.load_vader_ratings`);
- features: frozen MiniLM-L6 sentence embeddings (384-d), computed once for
  every snippet as `domain_shift.py` computes them (its `embed`), then a
  trained `Dense(256, relu)` trunk that the heads share; every head is
  `build_multi_task_model`'s (dropout 0.1, then Dense); Adam 1e-3, batch
  64, `--epochs` passes over each head's rows.

Two experiments, each a `multi_task` model against `separate` models:

- `sentiment_and_rating`: the four domains pooled; heads `sentiment`
  (2 classes, crossentropy) and `rating` (1 unit, mean squared error, loss
  weight 0.5) on one trunk, against a sentiment-only and a rating-only
  model. Scored per domain: sentiment accuracy and rating MAE (rating
  points);
- `per_domain_heads`: one sentiment head per domain (`movies`, `amazon`,
  `nyt`, `tweets`) on one trunk, trained on the pooled rows, each row's
  label reaching only its own domain's head (sample weight 0 for the
  others), against four models each trained on its own domain's rows only.
  Scored per domain: that domain's head's accuracy.

`seconds` is training time (`fit`, tracing included): one model for
`multi_task`, the sum over the models for `separate`. Each domain's
accuracy and MAE are mean ± std over seeds (harness conventions); a seed
changes initialization, shuffling and dropout, the sample is fixed.

Full mode: 600 train and 400 test snippets per domain (4,000 texts to
embed), 10 epochs, 3 seeds. Quick (a smoke run; its numbers say nothing):
64 train and 32 test per domain, 2 epochs, 1 seed.

Cost: MiniLM embeds 25-45 snippets per second on 2 shared CPU cores
(`domain_shift.py`'s measurement), so the 4,000 texts take about 1.5-2.7
minutes; a step of these small models costs about 0.005-0.035 s after
1.5-4 s of tracing per model (`domain_shift.py`'s docstring), and a seed
trains 8 models for 4 x 380 + 4 x 100 steps: about 0.5-1.7 minutes per
seed. About 3-8 minutes in all (estimated, not run at full size here; the
quick run's seconds, measured under nice 19 on a CPU busy with another
benchmark, say nothing about cost).

One JSON object on stdout (progress on stderr).
"""

import argparse
import logging
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import domain_shift  # noqa: E402
import harness  # noqa: E402

logger = logging.getLogger("benchmarks.multi_task")

DOMAINS = {"vader_movies": "movies", "vader_amazon": "amazon", "vader_nyt": "nyt",
           "vader_tweets": "tweets"}
BATCH_SIZE = 64
LEARNING_RATE = 1e-3
TRUNK_UNITS = 256
RATING_LOSS_WEIGHT = 0.5
EXPERIMENTS = {
    "sentiment_and_rating": "The four domains pooled; a sentiment head (2 classes) and a "
                            f"rating head (regression, loss weight {RATING_LOSS_WEIGHT}) "
                            "vs a sentiment-only and a rating-only model",
    "per_domain_heads": "One sentiment head per domain on the pooled rows (each row "
                        "weighted for its own domain's head only) vs one model per domain "
                        "on its own rows",
}
QUICK = {"seeds": 1, "epochs": 2, "train": 64, "test": 32}
FULL = {"seeds": 3, "epochs": 10, "train": 600, "test": 400}


# ---------------------------------------------------------------------- data
def load_domains(num_train, num_test):
    """{split: {"x": texts, "y": labels, "rating": ratings, "domain": index}},
    the four domains concatenated in `DOMAINS` order."""
    import keras_transfer

    splits = {}
    for split, count in (("train", num_train), ("test", num_test)):
        parts = {"x": [], "y": [], "rating": [], "domain": []}
        for index, name in enumerate(DOMAINS):
            data = keras_transfer.data.load_dataset(name, split=split, num_examples=count,
                                                    seed=0)
            ratings = keras_transfer.data.load_vader_ratings(name, split=split,
                                                             num_examples=count, seed=0)
            parts["x"].append(np.asarray(data.x))
            parts["y"].append(np.asarray(data.y, "int32"))
            parts["rating"].append(np.asarray(ratings, "float32"))
            parts["domain"].append(np.full(len(data.y), index, "int32"))
        splits[split] = {key: np.concatenate(value) for key, value in parts.items()}
    return splits


# -------------------------------------------------------------------- models
def build(width, tasks):
    """A `build_multi_task_model` on a trained Dense trunk over `width`-d features."""
    import keras

    import keras_transfer

    inputs = keras.Input((width,), name="features")
    trunk = keras.layers.Dense(TRUNK_UNITS, activation="relu", name="trunk")(inputs)
    base = keras.Model(inputs, keras_transfer.ClassificationHead(2, name="head")(trunk))
    return keras_transfer.build_multi_task_model(base, tasks, learning_rate=LEARNING_RATE)


def fit(tasks, x, targets, epochs, seed, sample_weight=None):
    """Builds and trains one model; returns it, its training seconds and steps."""
    harness.seed_everything(seed)
    model = build(x.shape[-1], tasks)
    with harness.Timer() as t:
        model.fit(x, targets, sample_weight=sample_weight, batch_size=BATCH_SIZE,
                  epochs=epochs, shuffle=True, verbose=0)
    return model, t.seconds, -(-len(x) // BATCH_SIZE) * epochs


def per_domain(domains, score):
    """`score(rows)` for each domain's rows of the test split."""
    return {short: score(np.flatnonzero(domains == index))
            for index, short in enumerate(DOMAINS.values())}


def sentiment_and_rating(data, seed, epochs):
    """Runs of the first experiment: {"multi_task": record, "separate": record}."""
    train, test = data["train"], data["test"]
    sentiment = {"sentiment": {"num_classes": 2}}
    rating = {"rating": {"units": 1, "loss_weight": RATING_LOSS_WEIGHT}}
    models, seconds, steps = {}, {}, {}
    models["multi_task"], seconds["multi_task"], steps["multi_task"] = fit(
        {**sentiment, **rating}, train["features"],
        {"sentiment": train["y"], "rating": train["rating"][:, None]}, epochs, seed)
    separate = []
    for tasks, name in ((sentiment, "sentiment"), (rating, "rating")):
        target = train["y"] if name == "sentiment" else train["rating"][:, None]
        separate.append(fit(tasks, train["features"], {name: target}, epochs, seed))
    seconds["separate"] = sum(s for _, s, _ in separate)
    steps["separate"] = sum(n for _, _, n in separate)
    records = {}
    for method in ("multi_task", "separate"):
        if method == "multi_task":
            outputs = models[method].predict(test["features"], batch_size=256, verbose=0)
        else:
            outputs = {}
            for model, _, _ in separate:
                outputs.update(model.predict(test["features"], batch_size=256, verbose=0))
        predicted = outputs["sentiment"].argmax(-1)
        error = np.abs(outputs["rating"][:, 0] - test["rating"])
        records[method] = {
            "seed": seed, "seconds": round(seconds[method], 3), "steps": steps[method],
            "epochs": epochs,
            "sentiment_accuracy": per_domain(
                test["domain"], lambda i: float(np.mean(predicted[i] == test["y"][i]))),
            "rating_mae": per_domain(test["domain"], lambda i: float(np.mean(error[i]))),
        }
    return records


def baselines(data):
    """Per domain: the test share of the domain's majority training label, and
    the MAE of predicting the domain's mean training rating."""
    train, test = data["train"], data["test"]

    def majority(rows, index):
        label = np.bincount(train["y"][train["domain"] == index], minlength=2).argmax()
        return round(float(np.mean(test["y"][rows] == label)), 4)

    def mean_rating(rows, index):
        mean = train["rating"][train["domain"] == index].mean()
        return round(float(np.mean(np.abs(test["rating"][rows] - mean))), 4)

    return {name: {short: score(np.flatnonzero(test["domain"] == index), index)
                   for index, short in enumerate(DOMAINS.values())}
            for name, score in (("majority_accuracy", majority),
                                ("mean_rating_mae", mean_rating))}


def per_domain_heads(data, seed, epochs):
    """Runs of the second experiment: {"multi_task": record, "separate": record}."""
    train, test = data["train"], data["test"]
    heads = list(DOMAINS.values())
    tasks = {head: {"num_classes": 2} for head in heads}
    # Every head gets every row (Keras needs a target for each output); a
    # row's weight is 1 for its own domain's head only.
    targets = {head: train["y"] for head in heads}
    weights = {head: (train["domain"] == index).astype("float32")
               for index, head in enumerate(heads)}
    model, multi_seconds, multi_steps = fit(tasks, train["features"], targets, epochs, seed,
                                            sample_weight=weights)
    outputs = model.predict(test["features"], batch_size=256, verbose=0)
    multi = {}
    separate, separate_seconds, separate_steps = {}, 0.0, 0
    for index, head in enumerate(heads):
        rows = np.flatnonzero(test["domain"] == index)
        multi[head] = float(np.mean(outputs[head][rows].argmax(-1) == test["y"][rows]))
        own = np.flatnonzero(train["domain"] == index)
        alone, seconds, steps = fit({head: {"num_classes": 2}}, train["features"][own],
                                    {head: train["y"][own]}, epochs, seed)
        separate_seconds += seconds
        separate_steps += steps
        predicted = alone.predict(test["features"][rows], batch_size=256, verbose=0)[head]
        separate[head] = float(np.mean(predicted.argmax(-1) == test["y"][rows]))
    return {
        "multi_task": {"seed": seed, "seconds": round(multi_seconds, 3),
                       "steps": multi_steps, "epochs": epochs, "sentiment_accuracy": multi},
        "separate": {"seed": seed, "seconds": round(separate_seconds, 3),
                     "steps": separate_steps, "epochs": epochs,
                     "sentiment_accuracy": separate},
    }


RUNNERS = {"sentiment_and_rating": sentiment_and_rating, "per_domain_heads": per_domain_heads}
DESCRIPTIONS = {"multi_task": "one build_multi_task_model, shared Dense 256 trunk",
                "separate": "one model per task (the same trunk and head, not shared)"}


def summarize(runs):
    """Mean ± std over seeds of seconds and of every per-domain score."""
    summary = {"seconds": harness._mean_std([r["seconds"] for r in runs]),
               "steps": runs[0]["steps"], "epochs": runs[0]["epochs"]}
    for key in ("sentiment_accuracy", "rating_mae"):
        if key in runs[0]:
            summary[key] = {domain: harness._mean_std([r[key][domain] for r in runs])
                            for domain in runs[0][key]}
    return summary


def run_experiment(name, data, args):
    runs = {"multi_task": [], "separate": []}
    for seed in range(args.seeds):
        records = RUNNERS[name](data, seed, args.epochs)
        for method, record in records.items():
            runs[method].append(record)
            logger.info("%s seed %d: %s accuracy %s in %.1f s", name, seed, method,
                        {k: round(v, 4) for k, v in record["sentiment_accuracy"].items()},
                        record["seconds"])
    return {"name": name, "description": EXPERIMENTS[name],
            "methods": {method: {"description": DESCRIPTIONS[method], **summarize(records),
                                 "runs": records}
                        for method, records in runs.items()}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 64 train / 32 test snippets per domain, 2 epochs, "
                             "1 seed")
    parser.add_argument("--seeds", type=int, default=None, help="default 3 (quick: 1)")
    parser.add_argument("--epochs", type=int, default=None, help="default 10 (quick: 2)")
    parser.add_argument("--train", type=int, default=None,
                        help="train snippets per domain (default 600; quick: 64)")
    parser.add_argument("--test", type=int, default=None,
                        help="test snippets per domain (default 400; quick: 32)")
    args = harness.apply_defaults(parser.parse_args(), QUICK, FULL)
    harness.setup_logging()
    harness.quiet_warnings()
    data = load_domains(args.train, args.test)
    with harness.Timer() as t:
        for split in data.values():
            split["features"] = domain_shift.embed("text", split["x"])
    texts = sum(len(split["x"]) for split in data.values())
    logger.info("embedded %d texts in %.1f s", texts, t.seconds)
    harness.emit({
        "benchmark": "multi_task", "mode": harness.mode_name(args.quick),
        "seeds": list(range(args.seeds)), "environment": harness.environment(),
        "domains": {short: {"dataset": name,
                            "train": int(np.sum(data["train"]["domain"] == index)),
                            "test": int(np.sum(data["test"]["domain"] == index))}
                    for index, (name, short) in enumerate(DOMAINS.items())},
        "text_embedding": {"backbone": domain_shift.TEXT_BACKBONE, "texts": texts,
                           "seconds": round(t.seconds, 3)},
        "baselines": baselines(data),
        "settings": {"epochs": args.epochs, "batch_size": BATCH_SIZE,
                     "learning_rate": LEARNING_RATE, "trunk_units": TRUNK_UNITS,
                     "rating_loss_weight": RATING_LOSS_WEIGHT},
        "experiments": [run_experiment(name, data, args) for name in EXPERIMENTS],
    })


if __name__ == "__main__":
    main()
