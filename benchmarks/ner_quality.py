"""Named entities on WNUT-16 tweets with MiniLM-L6: two baselines vs fine-tuning.

Prints one JSON object. Every method trains on the same tweets of the
`wnut16` train split (fixed, seed 0) and is scored on the same test tweets
by entity-level micro F1 with exact span match
(`keras_transfer.evaluate_entities`, conlleval's rules), once per seed; the
JSON holds each run and the mean and std over seeds (harness.py's
conventions: train seconds include feature extraction, evaluation is
excluded; std is the population std, 0 for one seed).

    python benchmarks/ner_quality.py [--quick] [--seeds 3] [--epochs 5]

Full mode: all 1,795 train / 599 test tweets (368 test entities), 3
seeds, E = 5 epochs. Quick mode: 300 train tweets, all 599 test tweets,
E = 3, 1 seed: it checks the machinery, its F1 is not a result.

Methods (every neural one: batch 32, wordpieces cut at 128, each word
tagged at its first piece, `keras_transfer.data.tagged_dataset` /
`keras_transfer.predict_entities`):
- word_features_logreg: the classic feature-based tagger without a
  sequence model: for each word its lowercase form, shape (`Xxx`,
  `@xx`, `dd`), prefixes and suffixes of 1-3 characters, capitalization,
  digit, hashtag/mention/URL flags, and the lowercase form and shape of the
  two words on each side (sklearn `DictVectorizer`); multinomial logistic
  regression over the 21 tags, C by 3-fold CV (harness.logistic_regression);
- frozen_logreg: the frozen encoder's 384-d `sequence_output` at each
  word's first wordpiece (computed once) + standardized logistic
  regression over the 21 tags, C by 3-fold CV: a linear per-token head on
  the frozen encoder;
- plain_fine_tune: `keras_transfer.build_token_classifier("minilm_l6")`,
  everything trainable from the start, plain `model.fit` with Adam at the
  builder's constant fine-tuning rate 1e-4 (dropout 0.1), E epochs. Not
  `keras_transfer.fine_tune`: its plans and gradual unfreezing are built
  and measured for sentence classifiers, not yet for taggers.
No method is told that tags come in BIO order: an `I-X` predicted after
`O` starts an entity, as conlleval reads it.
"""

import argparse
import logging
import os
import re

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

import harness  # noqa: E402
import keras_transfer  # noqa: E402
from keras_transfer import data  # noqa: E402

logger = logging.getLogger("benchmarks.ner_quality")

BACKBONE = "minilm_l6"
DATASET = "wnut16"
FINE_TUNE_LR = 1e-4
BATCH_SIZE = 32
SEQ_LENGTH = 128
QUICK = {"seeds": 1, "epochs": 3, "train": 300, "test": None}
FULL = {"seeds": 3, "epochs": 5, "train": None, "test": None}


# ------------------------------------------------------------- word features
def word_shape(word):
    """`"McDonald's"` -> `"XxXxx'x"`: character classes, runs cut to two."""
    shape = re.sub(r"[A-Z]", "X", word)
    shape = re.sub(r"[a-z]", "x", shape)
    shape = re.sub(r"[0-9]", "d", shape)
    return re.sub(r"(.)\1+", r"\1\1", shape)[:12]


def word_features(words, index):
    """The features of `words[index]` (a dict for `DictVectorizer`)."""
    word = words[index]
    lower = word.lower()
    features = {
        "bias": 1.0,
        "lower=" + lower: 1.0,
        "shape=" + word_shape(word): 1.0,
        "title": float(word.istitle()),
        "upper": float(word.isupper()),
        "digit": float(any(c.isdigit() for c in word)),
        "mention": float(word.startswith("@")),
        "hashtag": float(word.startswith("#")),
        "url": float(lower.startswith(("http", "www."))),
        "first": float(index == 0),
    }
    for n in (1, 2, 3):
        features[f"prefix{n}=" + lower[:n]] = 1.0
        features[f"suffix{n}=" + lower[-n:]] = 1.0
    for offset in (-2, -1, 1, 2):
        j = index + offset
        if 0 <= j < len(words):
            features[f"{offset}:lower=" + words[j].lower()] = 1.0
            features[f"{offset}:shape=" + word_shape(words[j])] = 1.0
            features[f"{offset}:title"] = float(words[j].istitle())
        else:
            features[f"{offset}:outside"] = 1.0
    return features


def sentence_features(sentences):
    return [word_features(words, i) for words in sentences for i in range(len(words))]


def tag_ids(split):
    return np.concatenate(split.tag_ids())


def tags_from_ids(ids, split):
    """Flat word tag ids -> one list of tag names per sentence of `split`."""
    tags, start = [], 0
    for words in split.sentences:
        tags.append([split.tag_names[i] for i in ids[start:start + len(words)]])
        start += len(words)
    return tags


# ----------------------------------------------------------------- records
def entity_record(seed, split, predicted_tags, seconds, epochs=None, **extra):
    """One run: entity micro P/R/F1, macro F1, word accuracy, train seconds."""
    result = keras_transfer.evaluate_entities(split.tags, predicted_tags)
    record = {"seed": seed, "f1": round(result["f1"], 4),
              "precision": round(result["precision"], 4),
              "recall": round(result["recall"], 4),
              "macro_f1": round(result["macro_f1"], 4),
              "word_accuracy": round(result["accuracy"], 4),
              "num_predicted": result["num_predicted"],
              "num_correct": result["num_correct"],
              "seconds": round(seconds, 3), "epochs": epochs}
    record.update(extra)
    return record


def summarize(runs):
    return {key: harness._mean_std([r[key] for r in runs])
            for key in ("f1", "precision", "recall", "macro_f1", "seconds")}


class NerBenchmark:
    def __init__(self, args):
        import tensorflow as tf

        from keras_transfer.backbones.providers.minilm.model import import_text_deps

        import_text_deps()
        self.args = args
        self.train = data.load_dataset(DATASET, "train", num_examples=args.train, seed=0)
        self.test = data.load_dataset(DATASET, "test", num_examples=args.test, seed=0)
        self.tokenizer = tf.saved_model.load(
            keras_transfer.backbone_path(BACKBONE, "preprocessor"))
        self.num_tags = len(self.train.tag_names)

    # ------------------------------------------------------------ baselines
    def word_features_logreg(self, seed):
        from sklearn.feature_extraction import DictVectorizer

        with harness.Timer() as t:
            vectorizer = DictVectorizer()
            train_x = vectorizer.fit_transform(sentence_features(self.train.sentences))
            test_x = vectorizer.transform(sentence_features(self.test.sentences))
            predicted, info = harness.logistic_regression(
                train_x, tag_ids(self.train), test_x, seed, scale=False)
        return entity_record(seed, self.test, tags_from_ids(predicted, self.test),
                             t.seconds, features=train_x.shape[1], **info)

    def extract_token_features(self):
        """The frozen encoder's vector at each word's first piece, once."""
        model = keras_transfer.build_token_classifier(BACKBONE, self.num_tags,
                                                      trainable=False)
        encoder = model.get_layer("backbone")
        with harness.Timer() as t:
            self.train_features = self._token_features(encoder, self.train)
            self.test_features = self._token_features(encoder, self.test)
        self.extract_seconds = t.seconds
        logger.info("token features: train %s in %.1f s", self.train_features.shape,
                    t.seconds)

    def _token_features(self, encoder, split):
        from keras_transfer.data.tagged_dataset import trim_batch

        batch = data.align_word_labels(self.tokenizer, split.sentences,
                                       seq_length=SEQ_LENGTH)
        features = []
        for start in range(0, len(split.sentences), BATCH_SIZE):
            rows = slice(start, start + BATCH_SIZE)
            (inputs,) = trim_batch({k: v[rows] for k, v in batch["inputs"].items()})
            vectors = np.asarray(encoder(inputs))
            for row, positions in enumerate(batch["word_positions"][rows]):
                # A word without a piece in the window gets a zero vector.
                picked = vectors[row, np.maximum(positions, 0)]
                features.append(np.where((positions >= 0)[:, None], picked, 0.0))
        return np.concatenate(features).astype(np.float32)

    def frozen_logreg(self, seed):
        with harness.Timer() as t:
            predicted, info = harness.logistic_regression(
                self.train_features, tag_ids(self.train), self.test_features, seed)
        return entity_record(seed, self.test, tags_from_ids(predicted, self.test),
                             self.extract_seconds + t.seconds, **info)

    # ----------------------------------------------------------- fine-tuning
    def plain_fine_tune(self, seed):
        harness.seed_everything(seed)
        model = keras_transfer.build_token_classifier(
            BACKBONE, self.num_tags, learning_rate=FINE_TUNE_LR)
        train_ds = data.tagged_dataset(self.train, self.tokenizer, batch_size=BATCH_SIZE,
                                       seq_length=SEQ_LENGTH, seed=seed)
        with harness.Timer() as t:
            history = model.fit(train_ds, epochs=self.args.epochs, verbose=0)
        predicted = keras_transfer.predict_entities(
            model, self.tokenizer, self.test.sentences, self.test.tag_names,
            batch_size=BATCH_SIZE, seq_length=SEQ_LENGTH)
        return entity_record(seed, self.test, predicted["tags"], t.seconds,
                             self.args.epochs,
                             final_loss=round(history.history["loss"][-1], 4))


def split_stats(split):
    spans = [keras_transfer.evaluation.entity_spans(t) for t in split.tags]
    return {"tweets": len(split.sentences),
            "words": sum(len(s) for s in split.sentences),
            "entities": sum(len(s) for s in spans)}


def run(args):
    bench = NerBenchmark(args)
    methods = [
        ("word_features_logreg", "word/shape/affix/neighbour features + logistic "
         "regression per word (DictVectorizer), C by CV", bench.word_features_logreg),
        ("frozen_logreg", "frozen MiniLM token vector at each word's first piece "
         "+ logistic regression per word, C by CV", bench.frozen_logreg),
        ("plain_fine_tune", "build_token_classifier, all layers from the start, "
         f"plain model.fit, Adam {FINE_TUNE_LR:g} constant", bench.plain_fine_tune),
    ]
    runs = {name: [] for name, _, _ in methods}
    with harness.Timer() as total:
        bench.extract_token_features()
        for seed in range(args.seeds):
            for name, _, fn in methods:
                logger.info("seed %d: %s", seed, name)
                runs[name].append(fn(seed))
                logger.info("seed %d: %s entity F1 %.4f in %.0f s", seed, name,
                            runs[name][-1]["f1"], runs[name][-1]["seconds"])
    return {
        "benchmark": "ner_quality",
        "mode": harness.mode_name(args.quick),
        "seeds": list(range(args.seeds)),
        "task": {
            "name": DATASET, "backbone": BACKBONE, "num_tags": bench.num_tags,
            "metric": "entity micro F1, exact span match (conlleval rules)",
            "train": split_stats(bench.train), "test": split_stats(bench.test),
            "settings": {"batch_size": BATCH_SIZE, "seq_length": SEQ_LENGTH,
                         "epochs": args.epochs, "fine_tune_learning_rate": FINE_TUNE_LR,
                         "feature_extraction_seconds": round(bench.extract_seconds, 3)},
            "methods": {name: {"description": description, **summarize(runs[name]),
                               "epochs": runs[name][0]["epochs"], "runs": runs[name]}
                        for name, description, _ in methods},
        },
        "total_seconds": round(total.seconds, 1),
        "environment": harness.environment(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="300 train tweets, 3 epochs, 1 seed: checks the machinery only")
    parser.add_argument("--seeds", type=int, default=None, help="repeats (full: 3)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs of plain_fine_tune (full: 5, quick: 3)")
    parser.add_argument("--train", type=int, default=None,
                        help="train tweets (default all 1,795; quick: 300)")
    parser.add_argument("--test", type=int, default=None,
                        help="test tweets (default all 599)")
    args = harness.apply_defaults(parser.parse_args(), QUICK, FULL)
    harness.setup_logging()
    harness.quiet_warnings()
    harness.emit(run(args))


if __name__ == "__main__":
    main()
