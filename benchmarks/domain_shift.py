"""Unsupervised domain adaptation under four shifts: how much of the gap each method closes.

    python benchmarks/domain_shift.py [--quick] [--seeds 3] [--epochs 10]
        [--shifts mnist_to_digits,movies_to_amazon,movies_to_tweets,commands_clean_to_noisy]

Issue #15. For each shift, a classifier sees labelled source examples and
unlabelled target examples (the target train split's inputs; its labels are
never read), and is scored on the target test split:

- `mnist_to_digits`: `mnist_5k` -> `digits`, 28x28 images; features: the
  DANN paper's MNIST CNN (conv 32-5, pool, conv 48-5, pool, Dense 100),
  trained from scratch;
- `movies_to_amazon`: `vader_movies` -> `vader_amazon`, sentences;
  features: frozen MiniLM-L6 sentence embeddings (384-d, computed once) ->
  Dense 256 ReLU, trained;
- `movies_to_tweets`: `vader_movies` -> `vader_tweets`, tweets; the same;
- `commands_clean_to_noisy`: `spoken_commands` on Speech Commands' ten
  core words (yes, no, up, down, left, right, on, off, stop, go): their
  clean clips in the default training split (40 per word, said by the 30
  training voices; 400 clips) -> the same words in white or babble noise
  at 0-10 dB SNR (`noise="mixed"`), said by the 14 voices of the test
  split, which the source never hears (babble from 5 more unheard voices),
  generated at 240 clips per word (`examples_per_word=240`). The target is
  that test split (2,400 clips), cut into two stratified halves: target
  train (1,200, unlabelled; labelled only for the oracle) and target test
  (1,200), the same voices but different clips. Features: frozen
  speech_embedding clip embeddings (96-d, computed once) -> LayerNorm (the
  embedding reaches about +-70) -> Dense 256, trained. (With all 35 words
  and the default 20 test clips per word, the oracle had 10 labelled clips
  per word and scored below source-only, 0.144 vs 0.239 over 3 seeds: no
  upper bound.)

Text runs on frozen MiniLM features, not a fine-tuned encoder: fine-tuning
MiniLM cost 0.7 s per 32-snippet step on this machine (text_quality.py's
full run: 173 s for 250 steps), so 10 epochs of 64 + 64-row batches over
the 6,713 movie snippets would take about 45 minutes per method and seed,
about a day for the whole grid; one frozen embedding pass serves every
method and seed. Audio does the same for the same reason
(benchmarks/audio_quality.py fine-tunes speech_embedding instead).
Methods (every neural one with the same features, head, Adam 1e-3, batch
64 source + 64 target rows, `--epochs` passes over the source; `seconds` is
training time, the text and audio embedding time is reported apart):

- `source_only`: `build_domain_adaptation_model(..., domain_loss_weight=0)`
  (the domain branch trains on its own, the features never see it);
- `dann`, `mmd`, `coral`: `build_domain_adaptation_model(method=...)`,
  domain loss weight 1, DANN with a 100-unit domain classifier and
  `GradientReversalScheduler`;
- `consistency`: `keras_transfer.ConsistencyModel` (FixMatch, τ = 0.95,
  λ = 1). Images: weak = `weak_image_augmentation(flip=False)`, strong =
  `strong_image_augmentation()` (RandAugment + RandomErasing). Text
  features have no natural augmentation: weak = Dropout(0.1), strong =
  Dropout(0.3) + GaussianNoise(0.05 x the features' mean std) on the
  embedding, a stand-in for token dropout; audio features the same;
- `target_oracle`: the source-only model trained on the *labelled* target
  train split instead (the upper bound of unsupervised adaptation).

`gap_closed` per method = (method − source_only) / (target_oracle −
source_only), from the mean accuracies (None when the oracle does not beat
source-only). Accuracy and macro F1 are mean ± std over seeds (harness
conventions); the sample is fixed (seed 0), a seed changes initialization,
shuffling, dropout and augmentation.

Full mode: every example of each split (mnist_5k 4,000 train; digits 1,198
train / 599 test; vader_movies 6,713 train; vader_amazon 1,984 / 992;
vader_tweets 2,288 / 1,144; spoken_commands 400 clean train, 1,200 /
1,200 noisy target), 10 epochs, 3 seeds. Quick (a smoke run; its numbers say
nothing): 256 source, 256 target, 128 test examples per shift, 2 epochs,
1 seed. Both modes read the spoken_commands clips from the dataset cache
(the default 35-word clean training split, 1,400 clips, and the 10-word
noisy test split at 240 clips per word); the first use synthesizes them
with espeak-ng (about a minute per 1,400 clips on 2 idle cores).

Cost, measured on 2 CPU cores shared with another benchmark
(benchmarks/results/domain_shift-quick.json and a 6-epoch repeat of it):
the quick run takes 92 s wall (39 s of it embedding 1,024 texts). A
training step costs about 0.03-0.1 s on images (64 + 64 rows) and
0.01-0.035 s on text features, after about 1.5-4 s of tracing per model
(which is most of every quick-mode `seconds`); MiniLM embeds 25-45 texts
per second. A full run of the old audio shift alone (3 seeds, 1,400
source clips, 210 steps per method; 2026-12-02 08:40) trained its 18
models in 51 s, 2.0-3.1 s each, tracing included: about 0.005-0.01 s per
step of a Dense-256 model on frozen features when the CPU is not shared.
Full mode, estimated from these: images 5 x 620 steps + the oracle's 180
per seed, x 3 seeds ≈ 6-19 minutes plus tracing; text 13,121 texts to
embed ≈ 5-9 minutes, then 5 x 1,040 steps + the oracle's 310-350 per
shift and seed, x 2 shifts x 3 seeds ≈ 5-10 minutes; audio 2,800 clips
to embed ≈ 10-20 s, then 5 x 60 steps + the oracle's 180 per seed, x 3
seeds, mostly tracing ≈ 1-1.5 minutes (plus about 2 minutes to synthesize
its 2,400 target clips the first time). About 17-40 minutes in all,
25-30 at the middle of each range (not run at full size here).

The audio shift at full size, 1 seed (`--shifts commands_clean_to_noisy
--seeds 1`, 2026-12-02, under nice 19 on a CPU busy with another
benchmark, so its seconds say nothing): target accuracy source_only
0.313, DANN 0.316, MMD 0.323, CORAL 0.313, consistency 0.308,
target_oracle 0.405 (1,200 test clips, 10 balanced words: chance 0.100).

One JSON object on stdout (progress on stderr).
"""

import argparse
import logging
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

logger = logging.getLogger("benchmarks.domain_shift")

# Speech Commands' ten core words (its v1 "10 commands" task).
CORE_COMMANDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
SHIFTS = {
    "mnist_to_digits": {"modality": "image", "source": "mnist_5k", "target": "digits"},
    "movies_to_amazon": {"modality": "text", "source": "vader_movies",
                         "target": "vader_amazon"},
    "movies_to_tweets": {"modality": "text", "source": "vader_movies",
                         "target": "vader_tweets"},
    # Both sides are spoken_commands, on Speech Commands' ten core words: clean
    # clips of the training voices -> white/babble noise (0-10 dB) on the
    # voices of its test split, which the source never hears; the target is
    # that split, 240 clips per word, cut in two for target train and test.
    "commands_clean_to_noisy": {"modality": "audio", "source": "spoken_commands",
                                "target": "spoken_commands", "words": CORE_COMMANDS,
                                "source_options": {"noise": None},
                                "target_options": {"noise": "mixed", "snr_db": [0.0, 10.0],
                                                   "words": CORE_COMMANDS,
                                                   "examples_per_word": 240},
                                "source_label": "`spoken_commands` clean, 10 core words, "
                                                "training voices",
                                "target_label": "the same words in white or babble noise "
                                                "at 0-10 dB SNR, unseen voices"},
}
ADAPTATION = ("dann", "mmd", "coral", "consistency")
METHODS = ("source_only",) + ADAPTATION + ("target_oracle",)
DESCRIPTIONS = {
    "source_only": "labelled source only (domain_loss_weight=0)",
    "dann": "DANN: gradient reversal + 100-unit domain classifier, DANN schedule",
    "mmd": "multi-kernel MMD between source and target features (DAN)",
    "coral": "CORAL: feature covariance distance",
    "consistency": "FixMatch consistency on target rows (tau 0.95, lambda 1)",
    "target_oracle": "labelled target train split (upper bound)",
}
BATCH_SIZE = 64
LEARNING_RATE = 1e-3
TEXT_BACKBONE = "minilm_l6"
AUDIO_BACKBONE = "speech_embedding"
BACKBONES = {"text": TEXT_BACKBONE, "audio": AUDIO_BACKBONE}
QUICK = {"seeds": 1, "epochs": 2, "source": 256, "target": 256, "test": 128}
FULL = {"seeds": 3, "epochs": 10, "source": None, "target": None, "test": None}


# ---------------------------------------------------------------------- data
def load(name, split, num_examples, **options):
    import keras_transfer

    return keras_transfer.data.load_dataset(name, split=split, num_examples=num_examples,
                                            seed=0, **options)


_ENCODERS = {}  # the frozen encoders, built once per process


def embed(modality, inputs):
    """Frozen sentence (MiniLM) or clip (speech_embedding) embeddings: the
    output of the builder's `backbone` layer (the registry's output key)."""
    import keras
    import tensorflow as tf

    import keras_transfer

    backbone = BACKBONES[modality]
    if backbone not in _ENCODERS:
        if modality == "text":
            model = keras_transfer.build_text_classifier(backbone, 2, trainable=False,
                                                         compile=False)
        else:
            model = keras_transfer.build_audio_classifier(backbone, 2, trainable=False,
                                                          compile=False)
        _ENCODERS[backbone] = keras.Model(model.input, model.get_layer("backbone").output)
    inputs = np.asarray(inputs, str) if modality == "text" else np.asarray(inputs, "float32")
    data = tf.data.Dataset.from_tensor_slices(inputs).batch(BATCH_SIZE)
    return _ENCODERS[backbone].predict(data, verbose=0).astype("float32")


def stratified_head(y, num_examples, seed=0):
    """Sorted indices of `num_examples` examples (all when `None`), every
    class as evenly represented as its size allows."""
    if num_examples is None or num_examples >= len(y):
        return np.arange(len(y))
    rng = np.random.default_rng(seed)
    rank = np.empty(len(y), dtype=np.int64)
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        rank[members] = np.arange(len(members))
    order = np.lexsort((rng.random(len(y)), rank))  # by rank, ties at random
    return np.sort(order[:num_examples])


def subset(split, index):
    """The examples `index` of an `ArraySplit`."""
    from keras_transfer.data import ArraySplit

    return ArraySplit(split.x[index], split.y[index], split.class_names)


def keep_words(split, words):
    """The examples of `words` only, relabelled 0, 1, ... in the order of `words`."""
    from keras_transfer.data import ArraySplit

    classes = [list(split.class_names).index(word) for word in words]
    lookup = np.full(len(split.class_names), -1, np.int32)
    lookup[classes] = np.arange(len(words))
    index = np.flatnonzero(lookup[split.y] >= 0)
    return ArraySplit(split.x[index], lookup[split.y[index]], tuple(words))


def shift_splits(spec, args):
    """The source, target train and target test `ArraySplit`s of a shift."""
    import keras_transfer

    if spec["target"] != spec["source"]:
        return (load(spec["source"], "train", args.source, **spec.get("source_options", {})),
                load(spec["target"], "train", args.target),
                load(spec["target"], "test", args.test))
    # One dataset on both sides (the audio shift). The source: the clips of
    # the shift's words in the default 35-word clean training split (no new
    # synthesis where that split is cached).
    # The target: the test split in other conditions, cut into two
    # stratified halves, target train and target test (the same voices,
    # different clips).
    source = keep_words(load(spec["source"], "train", None, **spec["source_options"]),
                        spec["words"])
    source = subset(source, stratified_head(source.y, args.source))
    pool = load(spec["target"], "test", None, **spec["target_options"])
    halves = [test for _, test in keras_transfer.stratified_k_fold(pool.y, 2, seed=0)]
    parts = [subset(pool, half[stratified_head(pool.y[half], size)])
             for half, size in zip(halves, (args.target, args.test))]
    return (source, *parts)


def shift_data(name, args, embeddings):
    """Arrays of one shift: source (x, y), target train (x, y), target test (x, y)."""
    spec = SHIFTS[name]
    source, target, test = shift_splits(spec, args)
    splits = {"source": source, "target": target, "test": test}
    if spec["modality"] == "image":
        return {key: (split.x[..., None].astype("float32"), split.y)
                for key, split in splits.items()}, list(source.class_names)
    arrays = {}
    stats = embeddings.setdefault(spec["modality"], {"examples": 0, "seconds": 0.0})
    for key, split in splits.items():
        dataset = spec["source"] if key == "source" else spec["target"]
        options = spec.get("source_options" if key == "source" else "target_options", {})
        cache_key = (dataset, "train" if key != "test" else "test", key, len(split.y),
                     repr(sorted(options.items())))
        if cache_key not in embeddings:
            with harness.Timer() as t:
                embeddings[cache_key] = embed(spec["modality"], split.x)
            stats["seconds"] += t.seconds
            stats["examples"] += len(split.y)
            logger.info("embedded %s %s (%s): %d in %.1f s", dataset, key,
                        spec["modality"], len(split.y), t.seconds)
        arrays[key] = (embeddings[cache_key], split.y)
    return arrays, list(source.class_names)


# -------------------------------------------------------------------- models
def features(modality, width):
    import keras

    if modality == "image":
        return keras.Sequential([
            keras.Input((28, 28, 1)), keras.layers.Rescaling(1 / 255),
            keras.layers.Conv2D(32, 5, activation="relu"), keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(48, 5, activation="relu"), keras.layers.MaxPooling2D(),
            keras.layers.Flatten(), keras.layers.Dense(100, activation="relu"),
        ], name="features")
    if modality == "audio":
        # speech_embedding's 96-d clip embedding is not normalized (values up
        # to about +-70): LayerNorm first, as the registry's head does.
        return keras.Sequential([keras.Input((width,)), keras.layers.LayerNormalization(),
                                 keras.layers.Dense(256, activation="relu")],
                                name="features")
    return keras.Sequential([keras.Input((width,)),
                             keras.layers.Dense(256, activation="relu")], name="features")


def augmentations(modality, noise_scale):
    import keras

    import keras_transfer

    if modality == "image":
        return (keras_transfer.weak_image_augmentation(flip=False),
                keras_transfer.strong_image_augmentation(value_range=(0, 255)))
    return (keras.layers.Dropout(0.1),
            keras.Sequential([keras.layers.Dropout(0.3),
                              keras.layers.GaussianNoise(noise_scale)]))


def train_and_score(method, modality, data, num_classes, seed, epochs):
    """Trains one method on one shift; returns the harness run record."""
    import keras

    import keras_transfer

    harness.seed_everything(seed)
    (source_x, source_y), (target_x, target_y), (test_x, test_y) = (
        data["source"], data["target"], data["test"])
    width = source_x.shape[-1]
    labelled = (target_x, target_y) if method == "target_oracle" else (source_x, source_y)
    train = keras_transfer.data.domain_adaptation_dataset(
        labelled, target_x, batch_size=BATCH_SIZE, seed=seed)
    callbacks = []
    if method == "consistency":
        extractor = features(modality, width)
        head = keras_transfer.ClassificationHead(num_classes, dropout=0.2, name="head")
        classifier = keras.Model(extractor.inputs, head(extractor.outputs[0]))
        noise = 0.05 * float(np.std(source_x, axis=0).mean())
        weak, strong = augmentations(modality, noise)
        model = keras_transfer.ConsistencyModel(classifier, weak, strong)
        model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    else:
        adaptive = method in ("dann", "mmd", "coral")
        model = keras_transfer.build_domain_adaptation_model(
            features(modality, width), num_classes,
            method=method if adaptive else "dann",
            domain_loss_weight=1.0 if adaptive else 0.0, domain_units=(100,),
            learning_rate=LEARNING_RATE)
        if method == "dann":
            callbacks.append(keras_transfer.GradientReversalScheduler())
    with harness.Timer() as t:
        history = model.fit(train, epochs=epochs, callbacks=callbacks, verbose=0)
    classifier = keras_transfer.extract_classifier(model)
    predicted = classifier.predict(test_x, batch_size=256, verbose=0).argmax(-1)
    steps = int(train.cardinality()) * epochs
    extra = {"steps": steps, "seconds_per_step": round(t.seconds / steps, 4)}
    if method == "consistency":
        extra["pseudo_label_rate"] = round(float(history.history["pseudo_label_rate"][-1]), 4)
    if method == "dann":
        extra["domain_accuracy"] = round(float(history.history["domain_accuracy"][-1]), 4)
    return harness.run_record(seed, test_y, predicted, t.seconds, epochs, **extra)


def gap_closed(methods):
    """(method − source_only) / (oracle − source_only) of the mean accuracies."""
    base = methods["source_only"]["accuracy"]["mean"]
    oracle = methods["target_oracle"]["accuracy"]["mean"]
    if oracle <= base:
        return {name: None for name in ADAPTATION if name in methods}
    return {name: round((methods[name]["accuracy"]["mean"] - base) / (oracle - base), 4)
            for name in ADAPTATION if name in methods}


FEATURES = {"image": "CNN from scratch (DANN's MNIST architecture)",
            "text": f"frozen {TEXT_BACKBONE} embeddings -> Dense 256",
            "audio": f"frozen {AUDIO_BACKBONE} embeddings -> LayerNorm -> Dense 256"}


def run_shift(name, args, embeddings):
    data, class_names = shift_data(name, args, embeddings)
    spec = SHIFTS[name]
    methods = harness.Methods()
    for seed in range(args.seeds):
        for method in METHODS:
            record = train_and_score(method, spec["modality"], data, len(class_names), seed,
                                     args.epochs)
            methods.add(method, record, DESCRIPTIONS[method])
            logger.info("%s seed %d: %s accuracy %.4f in %.1f s", name, seed, method,
                        record["accuracy"], record["seconds"])
    test_y = data["test"][1]
    result = methods.to_json()
    return {
        "name": name, **spec,
        "features": FEATURES[spec["modality"]],
        "class_names": class_names,
        "source_examples": int(len(data["source"][1])),
        "target_examples": int(len(data["target"][1])),
        "test_examples": int(len(test_y)),
        "test_majority_share": round(float(np.bincount(test_y).max() / len(test_y)), 4),
        "settings": {"epochs": args.epochs, "batch_size": BATCH_SIZE,
                     "target_batch_size": BATCH_SIZE, "learning_rate": LEARNING_RATE},
        "methods": result,
        "gap_closed": gap_closed(result),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 256 source / 256 target / 128 test examples per "
                             "shift, 2 epochs, 1 seed")
    parser.add_argument("--seeds", type=int, default=None, help="default 3 (quick: 1)")
    parser.add_argument("--epochs", type=int, default=None, help="default 10 (quick: 2)")
    parser.add_argument("--source", type=int, default=None,
                        help="source examples (default: all; quick: 256)")
    parser.add_argument("--target", type=int, default=None,
                        help="unlabelled target examples (default: all; quick: 256)")
    parser.add_argument("--test", type=int, default=None,
                        help="target test examples (default: all; quick: 128)")
    parser.add_argument("--shifts", default=",".join(SHIFTS),
                        type=lambda text: [s.strip() for s in text.split(",") if s.strip()],
                        help=f"comma-separated subset of {', '.join(SHIFTS)}")
    args = harness.apply_defaults(parser.parse_args(), QUICK, FULL)
    unknown = sorted(set(args.shifts) - set(SHIFTS))
    if unknown:
        parser.error(f"unknown shift(s) {unknown}; available: {list(SHIFTS)}")
    harness.setup_logging()
    harness.quiet_warnings()
    embeddings = {}
    shifts = [run_shift(name, args, embeddings) for name in args.shifts]
    harness.emit({
        "benchmark": "domain_shift", "mode": harness.mode_name(args.quick),
        "seeds": list(range(args.seeds)), "environment": harness.environment(),
        "text_embedding": ({"backbone": TEXT_BACKBONE, "texts": embeddings["text"]["examples"],
                            "seconds": round(embeddings["text"]["seconds"], 3)}
                           if "text" in embeddings else None),
        "audio_embedding": ({"backbone": AUDIO_BACKBONE,
                             "clips": embeddings["audio"]["examples"],
                             "seconds": round(embeddings["audio"]["seconds"], 3)}
                            if "audio" in embeddings else None),
        "shifts": shifts,
    })


if __name__ == "__main__":
    main()
