"""Shared pieces of the quality benchmarks (text, image, audio).

Not a benchmark itself. The quality scripts import it from their own folder
(`python benchmarks/text_quality.py` puts `benchmarks/` on `sys.path`).

Conventions every quality script follows:

- one JSON object on stdout, progress on stderr (logging);
- each method runs once per seed; a run records `accuracy`, `macro_f1`,
  `seconds` (wall time to train, feature extraction included, evaluation
  excluded) and `epochs` (None for non-neural baselines);
- per method the runs are summarized as mean and standard deviation
  (population std, 0 for one seed);
- the dataset sample is fixed (seed 0); a benchmark seed changes weight
  initialization, shuffling, dropout and which examples a few-label subset
  takes;
- the linear baselines get their regularization `C` chosen by 3-fold
  cross-validation on the training set; the neural methods get no tuning
  (fixed, documented hyperparameters), so the comparison errs in favour of
  the baselines.
"""

import json
import logging
import math
import os
import platform
import statistics
import sys
import time

import numpy as np

logger = logging.getLogger("benchmarks")

LOGREG_CS = (0.01, 0.1, 1.0, 10.0, 100.0)


def setup_logging():
    """Progress messages on stderr, so stdout holds only the JSON result."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")


def emit(result):
    """Prints the result as the one JSON object on stdout."""
    print(json.dumps(result, indent=2, sort_keys=False))


class Timer:
    """`with Timer() as t: ...; t.seconds`."""

    def __enter__(self):
        self._start = time.perf_counter()
        self.seconds = None
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._start
        return False


def environment():
    """Versions and machine, recorded with every result."""
    import keras
    import sklearn
    import tensorflow as tf

    import keras_transfer

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "keras_transfer": keras_transfer.__version__,
        "scikit_learn": sklearn.__version__,
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpus": os.cpu_count(),
        "devices": sorted({d.device_type for d in tf.config.list_physical_devices()}),
    }


def scores(y_true, y_pred):
    """Accuracy and macro F1 (classes absent from both count as 0)."""
    from sklearn.metrics import f1_score

    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    return {
        "accuracy": float(np.mean(y_true == y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
    }


def run_record(seed, y_true, y_pred, seconds, epochs=None, **extra):
    """One run of one method: the scores plus how long it trained."""
    record = {"seed": seed, **scores(y_true, y_pred), "seconds": round(seconds, 3),
              "epochs": epochs}
    record.update(extra)
    return record


def _mean_std(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"mean": round(statistics.fmean(values), 4),
            "std": round(statistics.pstdev(values), 4) if len(values) > 1 else 0.0}


def summarize(runs):
    """Mean and std of accuracy, macro F1 and seconds over seeds."""
    return {key: _mean_std([r[key] for r in runs])
            for key in ("accuracy", "macro_f1", "seconds")}


class Methods:
    """Collects runs per method, in the order they first appear."""

    def __init__(self):
        self.runs = {}
        self.descriptions = {}

    def add(self, name, record, description):
        self.runs.setdefault(name, []).append(record)
        self.descriptions[name] = description

    def to_json(self):
        return {name: {"description": self.descriptions[name], **summarize(runs),
                       "epochs": runs[0]["epochs"], "runs": runs}
                for name, runs in self.runs.items()}


class Curve:
    """Sample-efficiency runs: method -> labels per class -> runs."""

    def __init__(self, labels_per_class):
        self.labels_per_class = [str(k) for k in labels_per_class]
        self.runs = {}

    def add(self, method, labels_per_class, record):
        per_k = self.runs.setdefault(method, {})
        per_k.setdefault(str(labels_per_class), []).append(record)

    def to_json(self):
        return {
            "labels_per_class": self.labels_per_class,
            "methods": {
                method: {k: {**summarize(per_k[k]),
                             "examples": per_k[k][0].get("examples"),
                             "epochs": per_k[k][0].get("epochs"),
                             "runs": per_k[k]}
                         for k in self.labels_per_class if k in per_k}
                for method, per_k in self.runs.items()
            },
        }


def majority(seed, y_train, y_test):
    """The most frequent training class, predicted for every test example."""
    with Timer() as t:
        label = int(np.bincount(y_train).argmax())
    return run_record(seed, y_test, np.full(len(y_test), label), t.seconds)


def logistic_regression(train_x, train_y, test_x, seed, scale=True):
    """Fits L2 logistic regression, `C` by 3-fold CV; returns (predictions, info).

    With fewer than 3 examples in some class, cross-validation is impossible
    and `C=1.0` is used. Features are standardized first when `scale`.
    """
    from threadpoolctl import threadpool_limits

    # One BLAS thread: on a shared 2-core machine multi-threaded OpenBLAS
    # inside lbfgs was 18x slower than one thread.
    with threadpool_limits(1):
        return _logistic_regression(train_x, train_y, test_x, seed, scale)


def _logistic_regression(train_x, train_y, test_x, seed, scale):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    steps = [StandardScaler(with_mean=not _is_sparse(train_x))] if scale else []
    pipeline = make_pipeline(*steps, LogisticRegression(max_iter=3000))
    if np.bincount(train_y).min() >= 3:
        search = GridSearchCV(
            pipeline, {"logisticregression__C": list(LOGREG_CS)},
            cv=StratifiedKFold(3, shuffle=True, random_state=seed), n_jobs=1)
        search.fit(train_x, train_y)
        model, c = search.best_estimator_, search.best_params_["logisticregression__C"]
    else:
        pipeline.set_params(logisticregression__C=1.0)
        model, c = pipeline.fit(train_x, train_y), 1.0
    return model.predict(test_x), {"C": c}


def _is_sparse(x):
    return hasattr(x, "tocsr")


def per_class_subset(y, labels_per_class, seed):
    """Indices of `labels_per_class` examples of every class (or all: "all")."""
    if labels_per_class == "all":
        return np.random.default_rng(seed).permutation(len(y))
    rng = np.random.default_rng(seed)
    picked = []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        if len(members) < labels_per_class:
            raise ValueError(
                f"Class {label} has {len(members)} training examples; cannot take "
                f"labels_per_class={labels_per_class}.")
        picked.append(rng.choice(members, labels_per_class, replace=False))
    return rng.permutation(np.concatenate(picked))


def budget_epochs(num_examples, batch_size, epochs, min_steps):
    """`epochs`, raised so that training takes at least `min_steps` steps.

    A 10-example subset is one batch: three epochs would be three optimizer
    steps. Small subsets train for more epochs instead (the same number of
    steps as a ~`min_steps`-step run), for every neural method alike.
    """
    steps_per_epoch = math.ceil(num_examples / batch_size)
    return max(epochs, math.ceil(min_steps / steps_per_epoch))


def recipe_split(total_epochs, head_fraction):
    """(head_epochs, epochs) of `fine_tune` adding up to `total_epochs`."""
    head = max(1, round(total_epochs * head_fraction)) if total_epochs > 1 else 0
    return head, total_epochs - head


def dataset_arrays(dataset):
    """Concatenates a batched `(features, labels)` dataset into two arrays."""
    features, labels = [], []
    for x, y in dataset:
        features.append(np.asarray(x))
        labels.append(np.asarray(y))
    return np.concatenate(features), np.concatenate(labels)


def predict_labels(model, data):
    """Argmax class of `model.predict` over an unshuffled dataset."""
    probabilities = model.predict(data, verbose=0)
    return np.asarray(probabilities).argmax(axis=-1)


def seed_everything(seed):
    import keras

    keras.utils.set_random_seed(seed)


def mode_name(quick):
    return "quick" if quick else "full"


def quiet_warnings():
    """Silences Keras' warning that `fit` ignores `shuffle` for a dataset."""
    import warnings

    warnings.filterwarnings("ignore", message=".*`shuffle=True` was passed.*")


def apply_defaults(args, quick, full):
    """Fills the options left at None from the quick or the full settings."""
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    return args


def labels_list(text):
    """`"5,20,all"` -> `[5, 20, "all"]` (the `--labels-per-class` option)."""
    return [v if v == "all" else int(v) for v in text.split(",")]


def add_common_arguments(parser, quick_help):
    """Options every quality script takes (defaults filled by apply_defaults;
    each script's docstring lists them)."""
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--seeds", type=int, default=None,
                        help="repeats; full-mode default in each script's docstring "
                        "(quick: 1)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="total epochs of every fine-tuning method")
    parser.add_argument("--head-epochs", type=int, default=None,
                        help="epochs of the head on frozen features")
    parser.add_argument("--min-steps", type=int, default=None,
                        help="least optimizer steps of a few-label run; default 30 "
                        "(quick: 4)")
    parser.add_argument("--labels-per-class", type=labels_list, default=None,
                        help="comma-separated sample-efficiency points, e.g. 5,20,all")
    parser.add_argument("--ablations", action="store_true",
                        help="also run recipe_all_at_once, recipe_decay_<d> and "
                        "recipe_cached_head (harness.ablation_methods)")
    parser.add_argument("--recipe-decay", type=float, default=None,
                        help="the recipe's discriminative decay (default: the script's)")
    parser.add_argument("--recipe-learning-rate", type=float, default=None,
                        help="the recipe's peak learning rate (default: the script's)")
    parser.add_argument("--references", action="store_true",
                        help="also run the reference rows random_init and plain_fine_tune "
                        "(seed 0; left out of `make bench` for time: they measure "
                        "training from scratch and plain fine-tuning, not a label budget)")
    parser.add_argument("--methods", default=None,
                        type=lambda text: [m.strip() for m in text.split(",") if m.strip()],
                        help="comma-separated subset of the methods to run (default: all)")


# Reference rows, run only with --references (see add_common_arguments).
REFERENCE_METHODS = ("random_init", "plain_fine_tune")

COMMON_QUICK = {"seeds": 1, "epochs": 2, "head_epochs": 5, "min_steps": 4}
COMMON_FULL = {"seeds": 3, "epochs": 3, "head_epochs": 20, "min_steps": 30}


class TransferBenchmark:
    """The neural methods shared by every modality, on one train/test split.

    Subclasses set `train`/`test` (`ArraySplit`s) and implement `dataset`
    (arrays -> batched `tf.data.Dataset`) and `build` (a compiled classifier
    from a keras_transfer builder).

    Args:
        args: the parsed options (`epochs`, `head_epochs`, `min_steps`).
        train: `keras_transfer.data.ArraySplit`.
        test: `keras_transfer.data.ArraySplit`.
    """

    batch_size = 32
    head_fraction = 1 / 3  # recipe: head-only share of the total epochs
    recipe_settings = {"learning_rate": 1e-3, "decay": 1.0,
                       "schedule": "slanted_triangular"}

    def __init__(self, args, train, test):
        self.args = args
        self.recipe_settings = dict(self.recipe_settings)
        if getattr(args, "recipe_decay", None) is not None:
            self.recipe_settings["decay"] = args.recipe_decay
        if getattr(args, "recipe_learning_rate", None) is not None:
            self.recipe_settings["learning_rate"] = args.recipe_learning_rate
        self.train = train
        self.test = test
        self.names = train.class_names
        self.everything = np.arange(len(train.y))
        self.test_ds = self.dataset(test.x, test.y, shuffle=False, seed=None)

    def dataset(self, x, y, shuffle, seed):
        raise NotImplementedError

    def build(self, seed, trainable, learning_rate=None):
        raise NotImplementedError

    # ------------------------------------------------------------- features
    def extract_features(self):
        """Frozen-backbone features of train and test, once (they have no seed).

        Kept in memory and reused by every seed. (`FeatureCache(directory=...)`
        would also do, but it cannot reload features of string inputs: its
        fingerprint hashes the first batch with `tobytes()`, which for a
        string tensor's object array is the objects' addresses.)
        """
        import keras_transfer

        model = self.build(0, trainable=False)
        cache = keras_transfer.FeatureCache(model)
        train_ds = self.dataset(self.train.x, self.train.y, shuffle=False, seed=None)
        with Timer() as t:
            train = cache.extract(train_ds)
        self.extract_seconds = t.seconds
        self.train_features, _ = dataset_arrays(train)
        self.test_features_ds = cache.extract(self.test_ds)
        self.test_features, _ = dataset_arrays(self.test_features_ds)
        logger.info("features: train %s in %.1f s", self.train_features.shape,
                    t.seconds)

    # -------------------------------------------------------------- methods
    def frozen_logreg(self, seed, index):
        """Standardized logistic regression on the frozen features."""
        with Timer() as t:
            predicted, info = logistic_regression(
                self.train_features[index], self.train.y[index], self.test_features,
                seed)
        return run_record(seed, self.test.y, predicted,
                          self.extract_seconds + t.seconds, examples=len(index), **info)

    def frozen_head(self, seed):
        """The builder's own head trained on cached features (`FeatureCache.fit`)."""
        import keras_transfer

        model = self.build(seed, trainable=False)
        cache = keras_transfer.FeatureCache(model)
        train = shuffled_batches(self.train_features, self.train.y, self.batch_size,
                                 seed)
        with Timer() as t:
            cache.fit(train, epochs=self.args.head_epochs, verbose=0)
        predicted = predict_labels(cache.head_model, self.test_features_ds)
        return run_record(seed, self.test.y, predicted,
                          self.extract_seconds + t.seconds, self.args.head_epochs)

    def fit_and_score(self, model, seed, index=None):
        """`model.fit` for `--epochs` epochs, then the test scores."""
        index = self.everything if index is None else index
        train_ds = self.dataset(self.train.x[index], self.train.y[index], shuffle=True,
                                seed=seed)
        with Timer() as t:
            model.fit(train_ds, epochs=self.args.epochs, verbose=0)
        predicted = predict_labels(model, self.test_ds)
        return run_record(seed, self.test.y, predicted, t.seconds, self.args.epochs,
                          examples=len(index))

    def plain_fine_tune(self, seed, learning_rate):
        """Everything trainable from the start, one constant Adam rate."""
        return self.fit_and_score(self.build(seed, True, learning_rate), seed)

    def recipe(self, seed, index=None, **overrides):
        """`keras_transfer.fine_tune` (`recipe_settings`, then `overrides`) at
        the same total epochs."""
        import keras_transfer

        index = self.everything if index is None else index
        total = budget_epochs(len(index), self.batch_size, self.args.epochs,
                              self.args.min_steps)
        head_epochs, epochs = recipe_split(total, self.head_fraction)
        model = self.build(seed, trainable=False)
        train_ds = self.dataset(self.train.x[index], self.train.y[index], shuffle=True,
                                seed=seed)
        with Timer() as t:
            history = keras_transfer.fine_tune(model, train_ds, epochs=epochs,
                                               head_epochs=head_epochs, verbose=0,
                                               **{**self.recipe_settings, **overrides})
        predicted = predict_labels(model, self.test_ds)
        return run_record(seed, self.test.y, predicted, t.seconds, total,
                          examples=len(index), head_epochs=head_epochs,
                          plan=getattr(history, "plan", None))

    def recipe_cached_head(self, seed):
        """The CLI's workflow: the head trained on cached features first
        (`FeatureCache.fit`, `--head-epochs`), then `fine_tune` with
        `head_epochs=0` for all `--epochs` epochs."""
        import keras_transfer

        model = self.build(seed, trainable=False)
        cache = keras_transfer.FeatureCache(model)
        features = shuffled_batches(self.train_features, self.train.y, self.batch_size,
                                    seed)
        train_ds = self.dataset(self.train.x, self.train.y, shuffle=True, seed=seed)
        with Timer() as t:
            cache.fit(features, epochs=self.args.head_epochs, verbose=0)
            keras_transfer.fine_tune(model, train_ds, epochs=self.args.epochs,
                                     head_epochs=0, verbose=0, **self.recipe_settings)
        predicted = predict_labels(model, self.test_ds)
        return run_record(seed, self.test.y, predicted, self.extract_seconds + t.seconds,
                          self.args.epochs, examples=len(self.train.y),
                          head_epochs_on_cache=self.args.head_epochs)

    # ------------------------------------------------------------- settings
    def task_json(self, name, methods, curve, **extra):
        """The task's block of the result JSON."""
        y = self.test.y
        return {
            "name": name,
            "num_classes": len(self.names),
            "train_examples": int(len(self.train.y)),
            "test_examples": int(len(y)),
            "test_majority_share": round(float(np.bincount(y).max() / len(y)), 4),
            **extra,
            "settings": {
                "batch_size": self.batch_size, "total_epochs": self.args.epochs,
                "frozen_head_epochs": self.args.head_epochs,
                "min_steps": self.args.min_steps,
                "recipe": {**self.recipe_settings,
                           "head_fraction": round(self.head_fraction, 3)},
                "feature_extraction_seconds": round(self.extract_seconds, 3),
                **getattr(self, "extra_settings", {}),
            },
            "methods": methods.to_json(),
            "sample_efficiency": curve.to_json(),
        }


def recipe_methods(bench, ablations=False):
    """`fine_tune` (its defaults: the library's default path) and
    `plan_full` (`fine_tune(plan="full")`, the default before plans), plus
    the ablations. Each is also a sample-efficiency curve method
    (`curve_recipe_methods`)."""
    settings = "lr {learning_rate:g}, decay {decay:g}".format(**bench.recipe_settings)
    methods = [("fine_tune", f"keras_transfer.fine_tune defaults (plan auto: LP-FT up to 100 "
                f"labels per class, full above), {settings}", bench.recipe),
               ("plan_full", f"fine_tune(plan='full'): a random head, then gradual "
                f"unfreezing, {settings}", lambda s: bench.recipe(s, plan="full"), 1)]
    return methods + (ablation_methods(bench) if ablations else [])


def curve_recipe_methods(bench):
    """The sample-efficiency entries of `recipe_methods`."""
    return [("fine_tune", bench.recipe),
            ("plan_full", lambda seed, index: bench.recipe(seed, index, plan="full"))]


def ablation_methods(bench):
    """Methods that take the recipe apart, all at the recipe's settings otherwise:

    - recipe_all_at_once: `gradual_unfreezing=False`, every group unfreezes
      when the head epochs end;
    - recipe_decay_<d>: the other decay, gradual unfreezing kept: 2.6
      (ULMFiT's discriminative rates) when the recipe uses 1.0 (one rate
      for every group, the default since the session-2 ablations), else
      1.0 (those ablations ran it as `recipe_one_rate`);
    - recipe_cached_head: the `keras-transfer` CLI's workflow: the head first
      trained on cached features for `--head-epochs` epochs, then
      `fine_tune(head_epochs=0)` for all E epochs, so no epoch is spent
      pushing data through a frozen backbone.
    """
    other = 2.6 if bench.recipe_settings["decay"] == 1.0 else 1.0
    return [
        ("recipe_all_at_once", "recipe, every group unfrozen after the head "
         "epochs (gradual_unfreezing=False)",
         lambda s: bench.recipe(s, gradual_unfreezing=False)),
        (f"recipe_decay_{other:g}", f"recipe with decay={other:g}",
         lambda s: bench.recipe(s, decay=other)),
        ("recipe_cached_head", "head on cached features first, then fine_tune "
         "for all E epochs (the CLI's workflow), decay {decay:g}"
         .format(**bench.recipe_settings), bench.recipe_cached_head),
    ]


def run_task(bench, seeds, main_methods, curve_methods, labels_per_class):
    """Runs every method for every seed, and the sample-efficiency curve.

    Args:
        bench: a `TransferBenchmark` whose features are extracted.
        seeds: int. Seeds 0..seeds-1.
        main_methods: list of `(name, description, fn(seed) -> record)`, or
            `(name, description, fn, max_seeds)` for a method that runs only
            for the first `max_seeds` seeds (an expensive baseline far from
            the others, such as training from random initialization); a
            curve method of that name then also runs for those seeds only.
        curve_methods: list of `(name, fn(seed, index) -> record)`; a method
            also in `main_methods` reuses its main run for "all".
        labels_per_class: list of ints and "all".

    Returns:
        `(Methods, Curve)`.
    """
    methods = Methods()
    curve = Curve(labels_per_class)
    if not getattr(getattr(bench, "args", None), "references", True):
        main_methods = [m for m in main_methods if m[0] not in REFERENCE_METHODS]
    # A main method limited to fewer seeds is limited on the curve too.
    limited = {m[0]: m[3] for m in main_methods if len(m) > 3}
    only = getattr(getattr(bench, "args", None), "methods", None)
    if only:
        known = [m[0] for m in main_methods] + [m[0] for m in curve_methods]
        unknown = sorted(set(only) - set(known))
        if unknown:
            raise ValueError(f"Unknown --methods {unknown}; available: {known}")
        main_methods = [m for m in main_methods if m[0] in only]
        curve_methods = [m for m in curve_methods if m[0] in only]
    for seed in range(seeds):
        latest = {}
        for name, description, fn, *limit in main_methods:
            if limit and seed >= limit[0]:
                continue
            logger.info("seed %d: %s", seed, name)
            latest[name] = fn(seed)
            methods.add(name, latest[name], description)
            logger.info("seed %d: %s accuracy %.4f in %.0f s", seed, name,
                        latest[name]["accuracy"], latest[name]["seconds"])
        for k in labels_per_class:
            index = per_class_subset(bench.train.y, k, seed)
            for name, fn in curve_methods:
                if seed >= limited.get(name, seeds):
                    continue
                if k == "all" and name in latest:
                    record = dict(latest[name], examples=len(index))
                else:
                    record = fn(seed, index)
                curve.add(name, k, record)
            logger.info("seed %d: %s labels per class done", seed, k)
    return methods, curve


def shuffled_batches(features, labels, batch_size, seed):
    """Cached features as a dataset reshuffled every epoch (as `FeatureCache`
    `extract(shuffle=True)` batches them)."""
    import tensorflow as tf

    return (tf.data.Dataset.from_tensor_slices((features, labels))
            .shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
            .batch(batch_size))
