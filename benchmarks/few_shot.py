"""Few-shot episodes on an image and an audio source: prototypes, nearest
centroid and episodic fine-tuning (issue #13, item 2).

Prints one JSON object (progress on stderr). Per source, 5-way 1-shot and
5-shot episodes (15 queries per class, `--episodes` episodes, 600 by
default), mean accuracy with its 95% confidence interval
(`keras_transfer.evaluate_episodes`: 1.96 * std / sqrt(episodes)). Every
method sees exactly the same episodes (same seed).

Sources (novel classes only in the episodes; base classes train the
fine-tuned backbone, so no evaluated class is ever trained on):

- `fashion_mnist`: EfficientNet-Lite0 at 96 px. Base classes 0-4 (T-shirt,
  trouser, pullover, dress, coat: 1,000 images of the 2,000-image training
  sample), novel classes 5-9 (sandal, shirt, sneaker, bag, ankle boot: their
  500 images of the 1,000-image test sample).
- `spoken_commands` (clean): speech_embedding. Base: the first 20 of the 35
  words, 40 training clips each; novel: the other 15 words' 20 test clips
  each (other voices: the split is voice-disjoint).

Methods:

- `prototypical`: cosine similarity to the class means of L2-normalised
  frozen features (`keras_transfer.PrototypicalHead`);
- `nearest_centroid`: Euclidean distance to the means of raw frozen
  features (the classic baseline);
- `logreg`: per episode, standardized logistic regression (C = 1) on the
  support features (the linear baseline of the other quality scripts; no
  cross-validation is possible with 1 shot);
- `proto_fine_tuned`: the backbone trained episodically on the base classes
  with `keras_transfer.ProtoNet` and `model.fit` (5-way 5-shot 5-query
  episodes, `--train-steps` steps, Adam 1e-4; the backbone's BatchNorm stays
  in inference mode), then `prototypical` on its features. One training
  run (seed 0): the episodes' CI does not include the fine-tuning seed's
  variance.

`seconds`: feature extraction for the frozen methods (once per source,
shared), and episodic training + extraction for `proto_fine_tuned`;
episode evaluation is excluded.

    python benchmarks/few_shot.py [--quick] [--episodes 600] [--train-steps 150]
"""

import argparse
import logging
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import keras_transfer  # noqa: E402
from keras_transfer import data  # noqa: E402

logger = logging.getLogger("benchmarks.few_shot")

WAYS, QUERIES = 5, 15
FINE_TUNE_LR = 1e-4


def image_source(quick):
    """(base_x, base_y, novel_x, novel_y, build) for Fashion-MNIST at 96 px."""
    size = 32 if quick else 96
    train = data.load_dataset("fashion_mnist", "train",
                              num_examples=200 if quick else 2000, seed=0)
    test = data.load_dataset("fashion_mnist", "test",
                             num_examples=200 if quick else 1000, seed=0)

    def rgb(x):
        return np.repeat(x[..., None], 3, axis=-1).astype("float32")

    base, novel = train.y < 5, test.y >= 5

    def build(trainable):
        return keras_transfer.build_image_classifier(
            "efficientnet_lite0", num_classes=WAYS, image_size=size, trainable=trainable)

    return (rgb(train.x[base]), train.y[base], rgb(test.x[novel]), test.y[novel] - 5,
            build, {"backbone": "efficientnet_lite0", "image_size": size,
                    "base_classes": train.class_names[:5],
                    "novel_classes": test.class_names[5:]})


def audio_source(quick):
    """The same for spoken_commands (clean), speech_embedding."""
    train = data.load_dataset("spoken_commands", "train", seed=0, noise=None,
                              examples_per_word=10 if quick else 40)
    test = data.load_dataset("spoken_commands", "test", seed=0, noise=None,
                             examples_per_word=20)
    base, novel = train.y < 20, test.y >= 20

    def build(trainable):
        return keras_transfer.build_audio_classifier(
            "speech_embedding", WAYS, sample_rate=16000, clip_seconds=1.0,
            trainable=trainable)

    return (train.x[base], train.y[base], test.x[novel], test.y[novel] - 20, build,
            {"backbone": "speech_embedding", "base_classes": train.class_names[:20],
             "novel_classes": test.class_names[20:]})


def extractor_of(model):
    return keras_transfer.FeatureCache(model).feature_extractor


def features_of(extractor, x):
    return np.asarray(extractor.predict(x, batch_size=64, verbose=0), "float32")


def logreg_head_accuracy(features, y, shots, episodes, seed):
    """Per episode: standardized logistic regression (C=1) on the support set."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    sampler = data.EpisodeSampler(features, y, num_ways=WAYS, num_shots=shots,
                                  num_queries=QUERIES, seed=seed)
    accuracies = []
    with threadpool_limits(1):
        for episode in sampler.episodes(episodes):
            model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
            model.fit(episode.support_x, episode.support_y)
            accuracies.append(float(np.mean(model.predict(episode.query_x)
                                            == episode.query_y)))
    accuracies = np.asarray(accuracies)
    std = float(np.std(accuracies, ddof=1))
    return {"accuracy": float(accuracies.mean()),
            "ci95": 1.96 * std / np.sqrt(len(accuracies)), "std": std}


def episodic_fine_tune(build, base_x, base_y, steps, seed):
    """ProtoNet on base-class episodes; returns the trained feature extractor."""
    harness.seed_everything(seed)
    model = build(False)
    extractor = extractor_of(model)  # shares its layers with `model`
    model.get_layer("backbone").trainable = True
    sampler = data.EpisodeSampler(base_x, base_y, num_ways=WAYS, num_shots=5,
                                  num_queries=5, seed=seed + 1000)
    model = keras_transfer.ProtoNet(extractor, keras_transfer.PrototypicalHead(WAYS))
    model.compile(optimizer=keras.optimizers.Adam(FINE_TUNE_LR),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(sampler.as_dataset(), steps_per_epoch=steps, epochs=1, verbose=0)
    return extractor, {k: round(float(v[-1]), 4) for k, v in history.history.items()}


def score(features, y, method, shots, episodes, seed):
    result = keras_transfer.evaluate_episodes(
        None, features, y, num_ways=WAYS, num_shots=shots, num_queries=QUERIES,
        num_episodes=episodes, method=method, seed=seed)
    return {k: result[k] for k in ("accuracy", "ci95", "std")}


def run_source(name, source, args):
    base_x, base_y, novel_x, novel_y, build, info = source
    logger.info("%s: %d base examples, %d novel examples", name, len(base_y), len(novel_y))
    with harness.Timer() as t:
        frozen = features_of(extractor_of(build(False)), novel_x)
    frozen_seconds = t.seconds
    with harness.Timer() as t:
        tuned_extractor, fit_info = episodic_fine_tune(build, base_x, base_y,
                                                       args.train_steps, 0)
        tuned = features_of(tuned_extractor, novel_x)
    tuned_seconds = t.seconds
    logger.info("%s: episodic fine-tuning %s in %.0f s", name, fit_info, tuned_seconds)
    rows = {}
    for shots in (1, 5):
        table = {
            "prototypical": {**score(frozen, novel_y, "prototypical", shots,
                                     args.episodes, 0), "seconds": frozen_seconds},
            "nearest_centroid": {**score(frozen, novel_y, "nearest_centroid", shots,
                                         args.episodes, 0), "seconds": frozen_seconds},
            "logreg": {**logreg_head_accuracy(frozen, novel_y, shots, args.episodes, 0),
                       "seconds": frozen_seconds},
            "proto_fine_tuned": {**score(tuned, novel_y, "prototypical", shots,
                                         args.episodes, 0), "seconds": tuned_seconds},
        }
        for method, result in table.items():
            logger.info("%s %d-shot %s: %.4f ± %.4f", name, shots, method,
                        result["accuracy"], result["ci95"])
        rows[f"{shots}-shot"] = table
    return {"name": name, **info, "base_examples": int(len(base_y)),
            "novel_examples": int(len(novel_y)), "fine_tuning": fit_info,
            "results": rows}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small samples, 32 px, 20 episodes, 5 training steps")
    parser.add_argument("--episodes", type=int, default=None, help="default 600")
    parser.add_argument("--train-steps", type=int, default=None, help="default 150")
    parser.add_argument("--sources", default="fashion_mnist,spoken_commands")
    args = parser.parse_args()
    args.episodes = args.episodes or (20 if args.quick else 600)
    args.train_steps = args.train_steps or (5 if args.quick else 150)
    harness.setup_logging()
    harness.quiet_warnings()
    sources = {"fashion_mnist": image_source, "spoken_commands": audio_source}
    start = time.perf_counter()
    results = [run_source(name, sources[name](args.quick), args)
               for name in args.sources.split(",")]
    harness.emit({"benchmark": "few_shot", "mode": harness.mode_name(args.quick),
                  "ways": WAYS, "queries": QUERIES, "episodes": args.episodes,
                  "train_steps": args.train_steps, "fine_tune_learning_rate": FINE_TUNE_LR,
                  "sources": results, "total_seconds": round(time.perf_counter() - start, 1),
                  "environment": harness.environment()})


if __name__ == "__main__":
    main()
