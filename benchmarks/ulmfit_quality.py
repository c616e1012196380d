"""ULMFiT's stages with textgenrnn's char LM on Rotten Tomatoes: what each stage buys.

Prints one JSON object (conventions of harness.py: one JSON object on
stdout, progress on stderr, a record per run with accuracy, macro F1 and
training seconds; the dataset sample is fixed, seed 0).

    python benchmarks/ulmfit_quality.py [--quick] [--seeds 3] [--lm-texts 1000]

Stages (Howard & Ruder 2018): 1. the pretrained LM
(`keras_transfer.language_models.load_textgenrnn`, Reddit text); 2. LM
fine-tuning on unlabelled in-domain text
(`keras_transfer.data.load_rotten_tomatoes_unlabelled`: train-pool snippets
and synopses of non-test movies, never a test review) with
`fine_tune_language_model` (slanted triangular schedule, discriminative
decay 2.6, one epoch); 3. the classifier (`build_char_lm_classifier`:
the LM body, reading the last `--max-length` characters, under a new softmax
head) fine-tuned with `keras_transfer.fine_tune(plan="full",
groups=CHAR_LM_GROUPS)`: a head-only phase, then the lower groups, decay
2.6, slanted triangular schedule, peak `--learning-rate`.

Methods, at each `--labels-per-class` point:
- majority: the most frequent training label;
- frozen_lm_logreg: the pretrained LM's attention-pooled 356-d features
  (its body frozen) + standardized logistic regression, C by 3-fold CV;
- no_lm_ft: stage 3 from the pretrained LM, every group unfrozen when the
  head phase ends;
- lm_ft: the same from the fine-tuned LM;
- lm_ft_gradual: the fine-tuned LM with gradual unfreezing (ULMFiT in full).
The LM stage runs once per seed (not per point) and reports its seconds,
the seconds per 1,000 unlabelled texts and the held-out LM loss (nats per
character, on `--lm-held-out` unlabelled texts not used for training)
before and after.

Full mode: 2000 train / 1000 test, 1000 unlabelled texts, 200 held out,
256 characters, 3 total epochs (1 head + 2), labels per class 100 and all,
1 seed. Quick mode: 240 / 200, 40 unlabelled texts, 20 held out,
128 characters, 2 epochs (1 + 1), 100 and all: checks the machinery only.
"""

import argparse
import logging
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

import harness  # noqa: E402
import keras_transfer  # noqa: E402
from keras_transfer import data  # noqa: E402
from keras_transfer import language_models as lms  # noqa: E402

logger = logging.getLogger("benchmarks.ulmfit_quality")

DATASET = "rotten_tomatoes"
BATCH_SIZE = 32
DECAY = 2.6  # ULMFiT's, for the LM and the classifier alike
CLASSIFIER_METHODS = {
    "no_lm_ft": ("pretrained LM body + new head, all groups after the head phase",
                 False, False),
    "lm_ft": ("fine-tuned LM body + new head, all groups after the head phase",
              True, False),
    "lm_ft_gradual": ("fine-tuned LM body + new head, gradual unfreezing (ULMFiT)",
                      True, True),
}


def encode(texts, vocab, max_length):
    return np.stack([lms.encode_chars(str(t), vocab, max_length) for t in texts])


def lm_stage(args, seed, held_out):
    """Stage 2: returns (fine-tuned LM, the stage's record)."""
    harness.seed_everything(seed)
    lm, vocab = lms.load_textgenrnn()
    texts = data.load_rotten_tomatoes_unlabelled(num_examples=args.lm_texts, seed=seed + 1)
    before = lms.evaluate_language_model(lm, vocab, held_out)
    with harness.Timer() as t:
        history = lms.fine_tune_language_model(lm, vocab, list(texts), epochs=1,
                                               learning_rate=args.lm_learning_rate,
                                               decay=DECAY, seed=seed)
    after = lms.evaluate_language_model(lm, vocab, held_out)
    record = {"seed": seed, "texts": len(texts),
              "characters": int(sum(len(t) for t in texts)),
              "examples": int(sum(len(t) + 1 for t in texts)),
              "seconds": round(t.seconds, 3),
              "seconds_per_1000_texts": round(1000 * t.seconds / len(texts), 1),
              "train_loss": round(history.history["loss"][-1], 4),
              "held_out_loss_before": round(before, 4),
              "held_out_loss_after": round(after, 4)}
    logger.info("LM stage: %s", record)
    return lm, record


def classify(args, seed, body, x, y, x_test, y_test, gradual):
    harness.seed_everything(seed)
    model = lms.build_char_lm_classifier(body, 2, max_length=args.max_length)
    epochs = harness.budget_epochs(len(y), BATCH_SIZE, args.epochs, args.min_steps)
    head_epochs, rest = harness.recipe_split(epochs, 1 / 3)
    train = _dataset(x, y, shuffle=True, seed=seed)
    with harness.Timer() as t:
        keras_transfer.fine_tune(model, train, epochs=rest, head_epochs=head_epochs,
                                 learning_rate=args.learning_rate, decay=DECAY,
                                 schedule="slanted_triangular", plan="full",
                                 gradual_unfreezing=gradual, groups=lms.CHAR_LM_GROUPS,
                                 verbose=0)
    predicted = harness.predict_labels(model, _dataset(x_test, y_test, shuffle=False))
    return harness.run_record(seed, y_test, predicted, t.seconds, epochs=epochs,
                              examples=len(y))


def frozen_features(lm, x):
    import keras

    body = lms.build_char_lm_classifier(lm, 2, max_length=x.shape[1])
    pooled = keras.Model(body.input, body.get_layer("attention").output)
    return pooled.predict(_dataset(x, np.zeros(len(x), "int32"), shuffle=False), verbose=0)


def _dataset(x, y, shuffle, seed=0):
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        dataset = dataset.shuffle(len(y), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(BATCH_SIZE)


def run(args):
    train = data.load_dataset(DATASET, "train", num_examples=args.train, seed=0)
    test = data.load_dataset(DATASET, "test", num_examples=args.test, seed=0)
    pretrained, vocab = lms.load_textgenrnn()
    x_train, x_test = (encode(s.x, vocab, args.max_length) for s in (train, test))
    # Held-out LM text: unlabelled (never a test review), disjoint from the LM sample.
    pool = data.load_rotten_tomatoes_unlabelled(seed=0)
    curve = harness.Curve(args.labels_per_class)
    lm_records = []
    with harness.Timer() as total:
        with harness.Timer() as t:
            features = frozen_features(pretrained, np.concatenate([x_train, x_test]))
        extract_seconds = t.seconds
        train_features, test_features = features[:len(x_train)], features[len(x_train):]
        for seed in range(args.seeds):
            used = set(data.load_rotten_tomatoes_unlabelled(num_examples=args.lm_texts,
                                                             seed=seed + 1).tolist())
            held_out = [t for t in pool if t not in used][:args.lm_held_out]
            tuned, record = lm_stage(args, seed, held_out)
            lm_records.append(record)
            for k in args.labels_per_class:
                index = harness.per_class_subset(train.y, k, seed)
                y = train.y[index]
                curve.add("majority", k, {**harness.majority(seed, y, test.y),
                                          "examples": len(index)})
                with harness.Timer() as t:
                    predicted, info = harness.logistic_regression(
                        train_features[index], y, test_features, seed)
                curve.add("frozen_lm_logreg", k, harness.run_record(
                    seed, test.y, predicted, t.seconds + extract_seconds,
                    examples=len(index), **info))
                for name, (_, from_tuned, gradual) in CLASSIFIER_METHODS.items():
                    body = tuned if from_tuned else pretrained
                    record = classify(args, seed, body, x_train[index], y, x_test, test.y,
                                      gradual)
                    logger.info("%s at %s labels per class: %s", name, k, record)
                    curve.add(name, k, record)
    return {
        "benchmark": "ulmfit_quality",
        "mode": harness.mode_name(args.quick),
        "seeds": list(range(args.seeds)),
        "dataset": DATASET,
        "language_model": "textgenrnn 2.0.0 (char LSTM, 461,693 weights)",
        "settings": {"train": args.train, "test": args.test, "lm_texts": args.lm_texts,
                     "lm_held_out": args.lm_held_out, "max_length": args.max_length,
                     "epochs": args.epochs, "min_steps": args.min_steps,
                     "learning_rate": args.learning_rate,
                     "lm_learning_rate": args.lm_learning_rate, "decay": DECAY,
                     "batch_size": BATCH_SIZE},
        "descriptions": {
            "majority": "most frequent training label",
            "frozen_lm_logreg": "pretrained LM's pooled features + logistic regression",
            **{name: spec[0] for name, spec in CLASSIFIER_METHODS.items()}},
        "lm_stage": lm_records,
        "curve": curve.to_json(),
        "total_seconds": round(total.seconds, 1),
        "environment": harness.environment(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="240 train / 200 test, 40 LM texts: checks the machinery only")
    parser.add_argument("--seeds", type=int, default=None, help="repeats (default 3; quick: 1)")
    parser.add_argument("--epochs", type=int, default=None, help="total classifier epochs")
    parser.add_argument("--min-steps", type=int, default=None,
                        help="least optimizer steps of a few-label run")
    parser.add_argument("--labels-per-class", type=harness.labels_list, default=None)
    parser.add_argument("--train", type=int, default=None)
    parser.add_argument("--test", type=int, default=None)
    parser.add_argument("--lm-texts", type=int, default=None,
                        help="unlabelled texts the LM is fine-tuned on")
    parser.add_argument("--lm-held-out", type=int, default=None,
                        help="unlabelled texts the LM loss is measured on")
    parser.add_argument("--max-length", type=int, default=None,
                        help="characters the classifier reads")
    parser.add_argument("--learning-rate", type=float, default=2e-3,
                        help="classifier peak learning rate")
    parser.add_argument("--lm-learning-rate", type=float, default=4e-3,
                        help="LM fine-tuning peak learning rate")
    args = harness.apply_defaults(
        parser.parse_args(),
        {"seeds": 1, "epochs": 2, "min_steps": 4, "labels_per_class": [100, "all"],
         "train": 240, "test": 200, "lm_texts": 40, "lm_held_out": 20, "max_length": 128},
        {"seeds": 3, "epochs": 3, "min_steps": 30, "labels_per_class": [100, "all"],
         "train": 2000, "test": 1000, "lm_texts": 1000, "lm_held_out": 200,
         "max_length": 256})
    harness.setup_logging()
    harness.quiet_warnings()
    harness.emit(run(args))


if __name__ == "__main__":
    main()
