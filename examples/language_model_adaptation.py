"""
Title: ULMFiT with a character LSTM: adapt the language model, then classify
Author: keras_transfer contributors
Date created: 2026/12/02
Last modified: 2026/12/02
Description: Fine-tune a pretrained character-level LM on unlabelled movie
reviews, then turn it into a sentiment classifier with gradual unfreezing.
"""

"""
## Introduction

ULMFiT (Howard & Ruder, 2018) transfers a recurrent language model to a text
classification task in three stages:

1. **A general-domain LM**, pretrained once. Here: the character-level LSTM
   of [textgenrnn](https://github.com/minimaxir/textgenrnn), trained on Reddit
   text, which `keras_transfer.language_models.load_textgenrnn` rebuilds as a
   Keras 3 model (embedding, two LSTMs, attention pooling, softmax over 465
   characters).
2. **LM fine-tuning** on unlabelled text of the target domain, with
   discriminative learning rates and a slanted triangular schedule.
3. **Classifier fine-tuning**: the LM's body under a new head, unfrozen one
   layer group at a time.

We adapt it to Rotten Tomatoes critic snippets. Run with `--smoke` for a
check of the same code on a few dozen texts.
"""

"""
## Setup
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_transfer  # noqa: E402
from keras_transfer import language_models  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
parser.add_argument("--smoke", action="store_true",
                    help="Run the same code on a tiny slice (a few dozen texts).")
args = parser.parse_args()

if args.smoke:
    NUM_LM_TEXTS, NUM_HELD_OUT, NUM_TRAIN, NUM_TEST = 12, 12, 64, 32
    MAX_LENGTH, HEAD_EPOCHS, EPOCHS = 96, 1, 1
else:
    NUM_LM_TEXTS, NUM_HELD_OUT, NUM_TRAIN, NUM_TEST = 2000, 200, 2000, 1000
    MAX_LENGTH, HEAD_EPOCHS, EPOCHS = 256, 1, 2

keras.utils.set_random_seed(0)

"""
## Stage 1: the pretrained character LM

`load_textgenrnn` fetches the pinned textgenrnn sdist from PyPI once, reads
its weights file and vocabulary (no code from the package runs) and returns
the model with its character vocabulary. It predicts the next character from
the last 40.
"""

lm, vocab = language_models.load_textgenrnn()
print(f"{lm.count_params():,} weights, {len(vocab)} characters")
prompt = "This movie is"
print("Before:", prompt + language_models.generate(lm, vocab, prompt, num_chars=60,
                                                   temperature=0.5, seed=0))

"""
## Unlabelled in-domain text, without the test reviews

`keras_transfer.data.load_rotten_tomatoes_unlabelled` returns the texts of
the Rotten Tomatoes corpus outside the test split: the training pool's
snippets (labels dropped) and the plot synopses of the other movies. No test
review and no text about a test movie is among them, so the LM below never
reads what the classifier is scored on. We keep some texts aside to measure
the LM's loss on in-domain text it was not trained on.
"""

unlabelled = keras_transfer.data.load_rotten_tomatoes_unlabelled(
    num_examples=NUM_LM_TEXTS + NUM_HELD_OUT, seed=0)
lm_texts, held_out = list(unlabelled[:NUM_LM_TEXTS]), list(unlabelled[NUM_LM_TEXTS:])
print(f"{len(lm_texts)} texts to adapt the LM, {len(held_out)} held out")

"""
## Stage 2: fine-tune the LM on the domain

`fine_tune_language_model` cuts every text into next-character examples
(`char_lm_dataset`: each position, with its 40 characters of context, in a
`tf.data` pipeline) and trains the whole LM in one `model.fit`. The layer
groups are `embedding`, `rnn_1`, `rnn_2` and `head` (attention + softmax);
each trains 2.6 times slower than the one above
(`keras_transfer.discriminative_optimizer`), all following a slanted
triangular schedule (`keras_transfer.SlantedTriangular`).
"""

before = language_models.evaluate_language_model(lm, vocab, held_out)
start = time.perf_counter()
language_models.fine_tune_language_model(lm, vocab, lm_texts, epochs=1)
lm_seconds = time.perf_counter() - start
after = language_models.evaluate_language_model(lm, vocab, held_out)
print(f"LM fine-tuning: {lm_seconds:.1f} s for {len(lm_texts)} texts "
      f"({1000 * lm_seconds / len(lm_texts):.0f} s per 1,000)")
print(f"Held-out loss (nats per character): {before:.4f} -> {after:.4f}")
print("After:", prompt + language_models.generate(lm, vocab, prompt, num_chars=60,
                                                  temperature=0.5, seed=0))

"""
## Stage 3: the classifier

`build_char_lm_classifier` copies the LM's body (embedding, LSTMs, attention
pooling) under a new softmax head. The recurrent layers accept any length, so
the classifier reads the last `MAX_LENGTH` characters of a review rather than
the LM's 40. `keras_transfer.fine_tune` then trains the head alone, and
unfreezes `rnn_2`, `rnn_1` and `embedding` one after the other (gradual
unfreezing), with the same decay and schedule; `groups=CHAR_LM_GROUPS` gives
it the char LM's groups.
"""

train = keras_transfer.data.load_dataset("rotten_tomatoes", split="train",
                                         num_examples=NUM_TRAIN, seed=0)
test = keras_transfer.data.load_dataset("rotten_tomatoes", split="test",
                                        num_examples=NUM_TEST, seed=0)


def to_dataset(split, shuffle):
    x = np.stack([language_models.encode_chars(str(t), vocab, MAX_LENGTH) for t in split.x])
    dataset = tf.data.Dataset.from_tensor_slices((x, split.y))
    if shuffle:
        dataset = dataset.shuffle(len(x), seed=0)
    return dataset.batch(32)


train_ds, test_ds = to_dataset(train, shuffle=True), to_dataset(test, shuffle=False)
classifier = language_models.build_char_lm_classifier(lm, num_classes=2,
                                                      max_length=MAX_LENGTH)
history = keras_transfer.fine_tune(
    classifier, train_ds, epochs=EPOCHS, head_epochs=HEAD_EPOCHS, learning_rate=2e-3,
    decay=2.6, plan="full", groups=language_models.CHAR_LM_GROUPS, verbose=2)
for stage in history.stages:
    print(f"step {stage['step']}: training {', '.join(stage['trainable_groups'])}")

"""
## Evaluate
"""

result = keras_transfer.predict_and_evaluate(classifier, test_ds,
                                             class_names=list(test.class_names))
print()
print("Results")
print(f"  LM held-out loss before: {before:.4f}")
print(f"  LM held-out loss after:  {after:.4f}")
print(f"  classifier accuracy:     {result['accuracy']:.4f}")
