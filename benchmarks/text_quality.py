"""Transfer quality on Rotten Tomatoes with MiniLM-L6: baselines vs fine-tuning.

Prints one JSON object. Every method trains on the same sample (fixed, seed
0) and is scored on the same test sample (accuracy, macro F1), once per seed;
the JSON holds each run and the mean and std over seeds (see harness.py for
the shared conventions).

    python benchmarks/text_quality.py [--quick] [--seeds 2] [--precision mixed_bfloat16]

Full mode: 2000 train / 1000 test, E = 2 total epochs (KerasHub's default
fine-tune), the encoder saved computing in bfloat16 (`precision_variants`;
1.25-1.33x faster fine-tuning, see precision_speed.py), 3 seeds,
random_init and plain_fine_tune for seed 0 only: the budget that lets
`make bench` finish in about 90 minutes on 2 CPU cores (earlier runs used
4000 / 2000 and 2 seeds). Quick mode: 160 / 160, float32, 1 seed.

Methods (batch 32; E = `--epochs` total epochs):
- majority: the most frequent training label;
- tfidf_logreg: TF-IDF of word 1-2-grams (sublinear tf) + logistic
  regression, C by 3-fold CV;
- frozen_logreg: the frozen encoder's mean-pooled 384-d embedding (the
  builder's `backbone` output, computed once with
  `keras_transfer.FeatureCache`) + standardized logistic regression, C by CV;
- frozen_head: `build_text_classifier(trainable=False)`'s own head (dropout
  0.2 + softmax, Adam 1e-3) trained on the cached features
  (`FeatureCache.fit`, `--head-epochs` epochs);
- random_init: the same classifier with every trainable encoder weight
  re-initialized as BERT initializes them (kernels and embeddings normal,
  std 0.02, cut at 2 std; biases and LayerNorm beta 0; LayerNorm gamma 1),
  then all layers trained for E epochs with Adam 1e-4 constant;
- plain_fine_tune: the Keras guide's way: everything trainable from the
  start, Adam at one constant rate (2e-5, BERT's usual), E epochs;
- fine_tune: `keras_transfer.fine_tune` with its defaults (plan "auto":
  at more than 2 labels per class a linear probe on cached features, then
  fine-tuning from that head, LP-FT) and the `keras-transfer` CLI's text
  settings (peak 2e-4, decay 1.0: one rate for all groups; gradual
  unfreezing, slanted triangular schedule) at the same E total epochs:
  `head_epochs` (round(E/3), at least 1) + `epochs` = E (the probe replaces
  the head epochs);
- plan_full: the same with `plan="full"`: the head epochs train a random
  head through the frozen encoder, then gradual unfreezing (fine_tune's
  default before plans).
`--ablations` adds three methods that take the recipe apart
(harness.ablation_methods); `--recipe-decay` / `--recipe-learning-rate`
change the recipe's settings; `--methods a,b` runs a subset.
Sample efficiency: tfidf_logreg, frozen_logreg, fine_tune and plan_full on
5, 20, 100 labels per class and all; small subsets train for at least
`--min-steps` optimizer steps (more epochs), see harness.budget_epochs.
"""

import argparse
import logging
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

import harness  # noqa: E402
import keras_transfer  # noqa: E402
from keras_transfer import data  # noqa: E402

logger = logging.getLogger("benchmarks.text_quality")

BACKBONE = "minilm_l6"
DATASET = "rotten_tomatoes"
PLAIN_LR = 2e-5
RANDOM_INIT_LR = 1e-4


def reinitialize_bert(layer, seed):
    """Draws fresh weights for every trainable variable, as BERT initializes."""
    rng = np.random.default_rng(seed)
    for variable in layer.trainable_weights:
        leaf = variable.path.rsplit("__", 1)[-1]
        shape = tuple(variable.shape)
        if leaf == "gamma":
            value = np.ones(shape)
        elif leaf in ("beta", "bias"):
            value = np.zeros(shape)
        else:
            value = np.clip(rng.normal(0.0, 0.02, shape), -0.04, 0.04)
        variable.assign(value.astype(variable.dtype))


class TextBenchmark(harness.TransferBenchmark):
    # The `keras-transfer` CLI's text defaults. Decay: 2.6 and 1.5 starve the
    # lower of MiniLM's 9 groups (lr / 1.5**8 = lr / 26); the first full run
    # (results/20261128T235457Z.json) used 1.5, the ablations measured 1.0.
    recipe_settings = {"learning_rate": 2e-4, "decay": 1.0,
                       "schedule": "slanted_triangular"}

    def __init__(self, args):
        self.precision = args.precision
        super().__init__(
            args,
            data.load_dataset(DATASET, "train", num_examples=args.train, seed=0),
            data.load_dataset(DATASET, "test", num_examples=args.test, seed=0))
        self.extra_settings = {"plain_fine_tune_learning_rate": PLAIN_LR,
                               "random_init_learning_rate": RANDOM_INIT_LR}

    def dataset(self, x, y, shuffle, seed):
        return data.from_arrays(x, y, class_names=self.names, modality="text",
                                batch_size=self.batch_size, shuffle=shuffle, seed=seed)

    def build(self, seed, trainable, learning_rate=None):
        harness.seed_everything(seed)
        return keras_transfer.build_text_classifier(
            BACKBONE, len(self.names), trainable=trainable, learning_rate=learning_rate,
            precision=self.precision)

    def tfidf_logreg(self, seed, index):
        from sklearn.feature_extraction.text import TfidfVectorizer

        with harness.Timer() as t:
            vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
            features = vectorizer.fit_transform(self.train.x[index])
            predicted, info = harness.logistic_regression(
                features, self.train.y[index], vectorizer.transform(self.test.x), seed,
                scale=False)
        return harness.run_record(seed, self.test.y, predicted, t.seconds,
                                  examples=len(index), **info)

    def random_init(self, seed):
        model = self.build(seed, trainable=True, learning_rate=RANDOM_INIT_LR)
        reinitialize_bert(model.get_layer("backbone"), seed)
        return self.fit_and_score(model, seed)


def run(args):
    bench = TextBenchmark(args)
    with harness.Timer() as total:
        bench.extract_features()
        main = [
            ("majority", "most frequent training label",
             lambda s: harness.majority(s, bench.train.y, bench.test.y)),
            ("tfidf_logreg", "TF-IDF 1-2-grams + logistic regression",
             lambda s: bench.tfidf_logreg(s, bench.everything)),
            ("frozen_logreg", "frozen MiniLM embedding + logistic regression",
             lambda s: bench.frozen_logreg(s, bench.everything)),
            ("frozen_head", "frozen MiniLM + Keras head on cached features",
             bench.frozen_head),
            ("random_init", "MiniLM architecture, random init, all layers, "
             "Adam 1e-4", bench.random_init, 1),
            ("plain_fine_tune", "all layers from the start, Adam 2e-5 constant",
             lambda s: bench.plain_fine_tune(s, PLAIN_LR), 1),
        ] + harness.recipe_methods(bench, args.ablations)
        curve = [("tfidf_logreg", bench.tfidf_logreg),
                 ("frozen_logreg", bench.frozen_logreg),
                 ] + harness.curve_recipe_methods(bench)
        methods, points = harness.run_task(bench, args.seeds, main, curve,
                                           args.labels_per_class)
    return {
        "benchmark": "text_quality",
        "mode": harness.mode_name(args.quick),
        "seeds": list(range(args.seeds)),
        "precision": args.precision or "float32",
        "tasks": [bench.task_json(DATASET, methods, points, dataset=DATASET,
                                  backbone=BACKBONE)],
        "total_seconds": round(total.seconds, 1),
        "environment": harness.environment(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    harness.add_common_arguments(
        parser, "160 train / 160 test, 2 epochs, 1 seed: checks the machinery only")
    parser.add_argument("--precision", choices=["float32", "mixed_bfloat16"],
                        default=None,
                        help="mixed_bfloat16: the encoder saved computing in bfloat16")
    parser.add_argument("--train", type=int, default=None,
                        help="default 2000 (quick: 160)")
    parser.add_argument("--test", type=int, default=None,
                        help="default 1000 (quick: 160)")
    args = harness.apply_defaults(
        parser.parse_args(),
        {**harness.COMMON_QUICK, "train": 160, "test": 160,
         "labels_per_class": [5, "all"]},
        {**harness.COMMON_FULL, "epochs": 2, "precision": "mixed_bfloat16",
         "train": 2000, "test": 1000,
         "labels_per_class": [5, 20, 100, "all"]})
    harness.setup_logging()
    harness.quiet_warnings()
    harness.emit(run(args))


if __name__ == "__main__":
    main()
