"""
Title: Zero-shot sentiment classification with class descriptions
Author: keras_transfer contributors
Date created: 2026/11/29
Last modified: 2026/11/29
Description: Classify movie reviews with no labelled examples, by describing
the classes in words; then use the same class embeddings to start a head.
"""

"""
## Introduction

A sentence encoder maps texts with similar meaning to nearby vectors. Describe
each class in words ("a good movie", "a bad movie"), embed the descriptions, and
assign every review to the class whose description is closest in cosine
similarity: a classifier without a single labelled example.

`keras_transfer.build_zero_shot_classifier` builds that classifier as a normal
Keras model (strings in, class probabilities out): the encoder, a
`UnitNormalization` layer, and a `head` whose Dense kernel holds the unit-length
class embeddings divided by a temperature. Because it is an ordinary head, a few
labelled examples can then fine-tune it with `model.fit`, starting from the
zero-shot weights instead of random ones.

Run with `--smoke` for a seconds-long check on a few dozen snippets.
"""

"""
## Setup
"""

import argparse
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_transfer  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
parser.add_argument("--smoke", action="store_true",
                    help="Run the same code on a few dozen snippets.")
args = parser.parse_args()

NUM_VALIDATION, NUM_TEST, FEW_SHOT_EPOCHS = (24, 32, 5) if args.smoke else (200, 2000, 20)
LABELS_PER_CLASS = 8
keras.utils.set_random_seed(0)

"""
## Load the data

Rotten Tomatoes critic snippets, 0 = rotten, 1 = fresh. We hold out a few
*training* snippets to choose between class descriptions: choosing on the test
set would make the test accuracy optimistic.
"""

train = keras_transfer.data.load_dataset("rotten_tomatoes", split="train", seed=0)
test = keras_transfer.data.load_dataset("rotten_tomatoes", split="test",
                                        num_examples=NUM_TEST, seed=0)
validation_x, validation_y = train.x[:NUM_VALIDATION], train.y[:NUM_VALIDATION]
print(f"classes: {list(train.class_names)}")

"""
## Compare class descriptions on held-out training snippets

Each choice is a template and one description per class, in class-index order.
"""

CHOICES = {
    "review_is": ("This review is {}.", ["negative", "positive"]),
    "movie_words": ("{}", ["a bad movie", "a good movie"]),
}


def accuracy(model, x, y):
    return float((model.predict(tf.constant(x), verbose=0).argmax(-1) == y).mean())


scores, models = {}, {}
for key, (template, descriptions) in CHOICES.items():
    models[key] = keras_transfer.build_zero_shot_classifier(
        "minilm_l6", descriptions, template=template)
    scores[key] = accuracy(models[key], validation_x, validation_y)
    print(f"{key}: validation accuracy {scores[key]:.3f}")
best = max(scores, key=scores.get)
template, descriptions = CHOICES[best]
print(f"using {best}: template {template!r}, descriptions {descriptions}")

"""
## Zero-shot accuracy on the test set

The classifier built for the best choice is the one we keep.
"""

model = models[best]
model.summary()
zero_shot_accuracy = accuracy(model, test.x, test.y)
print(f"zero-shot test accuracy: {zero_shot_accuracy:.4f}")

"""
## From zero-shot to few-shot

The head is trainable: fit it on 8 labelled snippets per class. It starts from
the class-description weights, so it begins at the zero-shot accuracy rather
than at chance. `keras_transfer.init_head_from_class_descriptions` does the same
for the head of any text classifier, e.g. one from
`keras_transfer.build_text_classifier`.
"""

rng = np.random.default_rng(0)
pool = np.arange(NUM_VALIDATION, len(train.y))
index = np.concatenate([rng.choice(pool[train.y[pool] == c], LABELS_PER_CLASS, replace=False)
                        for c in (0, 1)])
model.compile(optimizer=keras.optimizers.Adam(1e-2),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(tf.constant(train.x[index]), train.y[index], epochs=FEW_SHOT_EPOCHS, batch_size=16,
          verbose=0)
few_shot_accuracy = accuracy(model, test.x, test.y)

"""
## Export for TF Serving

The model exports like any text classifier: raw strings in, class names out.
"""

export_dir = os.path.join(tempfile.mkdtemp(), "zero_shot")
keras_transfer.export_for_serving(model, export_dir, class_names=list(train.class_names))
serve = tf.saved_model.load(os.path.join(export_dir, "1")).signatures["serving_default"]
served = serve(text=tf.constant(["A gorgeous, moving film.", "A tedious mess."]))
print("served:", [name.decode() for name in served["class_name"].numpy()])

print()
print("Results")
print(f"  zero-shot test accuracy:                 {zero_shot_accuracy:.4f}")
print(f"  few-shot ({LABELS_PER_CLASS}/class, zero-shot head init): {few_shot_accuracy:.4f}")
