"""Few labels on Rotten Tomatoes: zero-shot, SetFit and frozen MiniLM + LR.

    python benchmarks/text_few_labels.py [--quick] [--seeds 3] [--labels-per-class 8 64]

Issue #13, items 3 and 4, with minilm_l6 on the same 1,000 test snippets as
text_quality.py (`--test`; quick: 160, one seed, 8 per class, 64 pairs):

- zero-shot (`keras_transfer.build_zero_shot_classifier`): three class
  description / template choices, each reported on test; the one to use is
  picked on 200 held-out *training* snippets (never on test);
- per label budget K (examples per class) and seed, on the same K-shot subset:
  - `frozen_lr`: frozen MiniLM embeddings + standardized logistic regression,
    `C` by 3-fold CV (the harness baseline of the other quality scripts);
  - `zero_shot_init_head` / `random_init_head`: the zero-shot model's head
    (cosine x 20 over unit embeddings), fine-tuned on the K-shot embeddings
    with `model.fit`, from the class-description weights or from random ones;
  - `setfit`: `keras_transfer.contrastive_fine_tune` (20 pair iterations,
    1 epoch, batch 16, lr 2e-5, Dense head), evaluated end to end on strings;
  - `setfit_lr`: the same tuned encoder, logistic regression (as `frozen_lr`)
    on its embeddings: SetFit's own head;
  - `fine_tune`: `build_text_classifier("minilm_l6")` + `keras_transfer.fine_tune`
    with its defaults at text_quality.py's settings (peak 2e-4, decay 1.0,
    2 total epochs raised to >= 30 optimizer steps: the library's default
    path at this budget).

One JSON object on stdout (progress on stderr). `seconds` is training wall
time (pair training + head; embedding extraction included), evaluation
excluded.
"""

import argparse
import logging
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

logger = logging.getLogger("benchmarks.text_few_labels")

ZERO_SHOT_CHOICES = {
    "review_is": ("This review is {}.", ["negative", "positive"]),
    "movie_words": ("{}", ["a bad movie", "a good movie"]),
    "critic": ("A {} review of a film.", ["rotten, negative", "fresh, positive"]),
}
NUM_VALIDATION = 200
BATCH_SIZE = 64
METHODS = ("frozen_lr", "zero_shot_init_head", "random_init_head", "setfit", "setfit_lr",
           "fine_tune")
TEXT_LEARNING_RATE, EPOCHS, MIN_STEPS = 2e-4, 2, 30  # text_quality.py's settings


def default_path(x, y, test, class_names, seed):
    """`fine_tune`'s defaults on the K-shot subset; test accuracy end to end."""
    import keras_transfer

    harness.seed_everything(seed)
    model = keras_transfer.build_text_classifier("minilm_l6", len(class_names),
                                                 trainable=False)
    total = harness.budget_epochs(len(y), 32, EPOCHS, MIN_STEPS)
    head_epochs, epochs = harness.recipe_split(total, 1 / 3)
    train = keras_transfer.data.from_arrays(x, y, class_names=class_names, modality="text",
                                            batch_size=32, shuffle=True, seed=seed)
    with harness.Timer() as t:
        history = keras_transfer.fine_tune(model, train, epochs=epochs,
                                           head_epochs=head_epochs,
                                           learning_rate=TEXT_LEARNING_RATE, verbose=0)
    test_ds = keras_transfer.data.from_arrays(test.x, test.y, class_names=class_names,
                                              modality="text", batch_size=64,
                                              shuffle=False)
    predicted = harness.predict_labels(model, test_ds)
    return {"accuracy": float((predicted == test.y).mean()), "seconds": t.seconds,
            "plan": history.plan["plan"], "epochs": total}


def embed(feature_model, texts):
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices(np.asarray(texts, str)).batch(BATCH_SIZE)
    return feature_model.predict(data, verbose=0)


def unit(x):
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def fit_head(model, features, labels, test_features, seed, epochs=50):
    """Trains `model`'s head on normalized features; returns test predictions."""
    import keras

    keras.utils.set_random_seed(seed)
    head = model.get_layer("head")
    head_model = keras.Sequential([keras.Input(features.shape[1:]), head])
    head_model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    head_model.fit(features, labels, epochs=epochs, batch_size=16, verbose=0)
    return head_model.predict(test_features, verbose=0).argmax(-1)


def run(args):
    import keras

    import keras_transfer

    train = keras_transfer.data.load_dataset("rotten_tomatoes", split="train", seed=0)
    test = keras_transfer.data.load_dataset("rotten_tomatoes", split="test", seed=0,
                                            num_examples=args.test)
    class_names = list(train.class_names)
    rng = np.random.default_rng(1000)
    order = rng.permutation(len(train.y))
    val_index, pool_index = order[:NUM_VALIDATION], order[NUM_VALIDATION:]
    result = {"benchmark": "text_few_labels", "environment": harness.environment(),
              "class_names": class_names, "num_train_pool": len(pool_index),
              "num_validation": NUM_VALIDATION, "num_test": len(test.y),
              "setfit_num_pairs": args.num_pairs}

    # Zero-shot. One pass over test with the first choice's model gives both
    # its end-to-end predictions and the raw embeddings used for the others.
    first = next(iter(ZERO_SHOT_CHOICES))
    template, descriptions = ZERO_SHOT_CHOICES[first]
    with harness.Timer() as t:
        model = keras_transfer.build_zero_shot_classifier(
            "minilm_l6", descriptions, template=template)
    build_seconds = t.seconds
    both = keras.Model(model.input, [model.get_layer("normalize").output, model.output])
    with harness.Timer() as t:
        test_features, test_probabilities = embed(both, test.x)
    test_seconds = t.seconds
    features = keras.Model(model.input, model.get_layer("normalize").output)
    val_features = embed(features, train.x[val_index])
    zero_shot = {}
    for key, (template, descriptions) in ZERO_SHOT_CHOICES.items():
        classes = unit(embed(features, [template.format(d) for d in descriptions]))
        zero_shot[key] = {
            "template": template, "descriptions": descriptions,
            "validation_accuracy": float(((val_features @ classes.T).argmax(-1)
                                          == train.y[val_index]).mean()),
            "test_accuracy": float(((test_features @ classes.T).argmax(-1)
                                    == test.y).mean()),
        }
        logger.info("zero-shot %s: %s", key, zero_shot[key])
    picked = max(zero_shot, key=lambda k: zero_shot[k]["validation_accuracy"])
    end_to_end = float((test_probabilities.argmax(-1) == test.y).mean())
    result["zero_shot"] = {"choices": zero_shot, "picked_on_validation": picked,
                           "picked_test_accuracy": zero_shot[picked]["test_accuracy"],
                           "end_to_end_test_accuracy_" + first: end_to_end,
                           "build_seconds": build_seconds,
                           "test_inference_seconds": test_seconds}
    template, descriptions = ZERO_SHOT_CHOICES[picked]

    runs = []
    for k in args.labels_per_class:
        for seed in args.seeds:
            index = pool_index[harness.per_class_subset(train.y[pool_index], k, seed)]
            x, y = train.x[index], train.y[index]
            record = {"labels_per_class": k, "seed": seed}
            with harness.Timer() as t:
                shot_features = embed(features, x)
            extract = t.seconds
            with harness.Timer() as t:
                predicted, info = harness.logistic_regression(
                    shot_features, y, test_features, seed)
            record["frozen_lr"] = {"accuracy": float((predicted == test.y).mean()),
                                   "seconds": extract + t.seconds, **info}
            for init in ("zero_shot_init_head", "random_init_head"):
                head_model = keras_transfer.build_zero_shot_classifier(
                    "minilm_l6", descriptions, template=template, compile=False)
                if init == "random_init_head":
                    dense = head_model.get_layer("head").dense
                    keras.utils.set_random_seed(seed)
                    dense.set_weights([
                        keras.ops.convert_to_numpy(
                            keras.initializers.GlorotUniform(seed)(dense.kernel.shape)),
                        np.zeros(dense.bias.shape, np.float32)])
                with harness.Timer() as t:
                    predicted = fit_head(head_model, shot_features, y, test_features, seed)
                record[init] = {"accuracy": float((predicted == test.y).mean()),
                                "seconds": extract + t.seconds}
            with harness.Timer() as t:
                tuned = keras_transfer.contrastive_fine_tune(
                    "minilm_l6", x, y, num_classes=2, num_pairs=args.num_pairs, seed=seed)
            setfit_seconds = t.seconds
            both = keras.Model(tuned.input, [tuned.get_layer("normalize").output,
                                             tuned.output])
            tuned_test, tuned_probabilities = embed(both, test.x)
            record["setfit"] = {"accuracy": float((tuned_probabilities.argmax(-1)
                                                   == test.y).mean()),
                                "seconds": setfit_seconds}
            tuned_features = keras.Model(tuned.input, tuned.get_layer("normalize").output)
            with harness.Timer() as t:
                predicted, info = harness.logistic_regression(
                    embed(tuned_features, x), y, tuned_test, seed)
            record["setfit_lr"] = {"accuracy": float((predicted == test.y).mean()),
                                   "seconds": setfit_seconds + t.seconds, **info}
            record["fine_tune"] = default_path(x, y, test, class_names, seed)
            logger.info("%s", record)
            runs.append(record)
    result["runs"] = runs
    summary = {}
    for k in args.labels_per_class:
        for method in METHODS:
            values = [r[method]["accuracy"] for r in runs if r["labels_per_class"] == k]
            seconds = [r[method]["seconds"] for r in runs if r["labels_per_class"] == k]
            summary.setdefault(str(k), {})[method] = {
                "accuracy_mean": float(np.mean(values)),
                "accuracy_std": float(np.std(values)),
                "seconds_mean": float(np.mean(seconds)), "seeds": len(values)}
    result["summary"] = summary
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seeds", type=int, default=None,
                        help="default 3 (about 3.5 minutes a seed on 2 CPU cores; quick: 1)")
    parser.add_argument("--labels-per-class", type=int, nargs="+", default=None,
                        help="default 8")
    parser.add_argument("--test", type=int, default=None, help="default 1000 (quick: 160)")
    parser.add_argument("--num-pairs", type=int, default=None,
                        help="cap on SetFit pairs (default: 20 iterations, 40 per example; "
                             "quick: 64)")
    args = parser.parse_args()
    quick = {"seeds": 1, "labels_per_class": [8], "test": 160, "num_pairs": 64}
    full = {"seeds": 3, "labels_per_class": [8], "test": 1000}
    args = harness.apply_defaults(args, quick, full)
    args.seeds = list(range(args.seeds))
    harness.setup_logging()
    harness.quiet_warnings()
    result = run(args)
    result["mode"] = harness.mode_name(args.quick)
    result["seeds"] = args.seeds
    harness.emit(result)


if __name__ == "__main__":
    main()
