"""
Title: Unsupervised domain adaptation: MNIST to scikit-learn's digits with DANN
Author: keras_transfer contributors
Date created: 2026/12/03
Last modified: 2026/12/03
Description: Train a digit classifier on labelled MNIST and unlabelled
scikit-learn digits with DANN, MMD, CORAL and FixMatch-style consistency,
and compare each with the source-only model on the digits' test set.
"""

"""
## Introduction

A classifier trained on one *domain* loses accuracy on another that holds
the same classes drawn differently. Here the source is MNIST (`mnist_5k`,
labelled) and the target is scikit-learn's handwritten digits (`digits`:
other writers, scanned at 8x8 and redrawn at MNIST's 28x28, so bolder and
blurrier). We may use the target's *images* for training, never its
labels: that is unsupervised domain adaptation.

keras_transfer trains every method below with plain `model.fit` on the same
batches, `keras_transfer.data.domain_adaptation_dataset`: each holds
labelled source rows and unlabelled target rows.

- **source only**: the same model with `domain_loss_weight=0`, so the
  target rows are ignored (the baseline);
- **DANN** (Ganin et al. 2016): a domain classifier behind a gradient
  reversal layer; the features learn to make the domains indistinguishable;
- **MMD** (DAN) and **CORAL**: losses that pull the source and target
  feature distributions together;
- **consistency** (FixMatch, Sohn et al. 2020): the model's confident
  predictions on lightly augmented target images become labels for
  strongly augmented views of the same images.

Run with `--smoke` for a seconds-long check of the same code on a few
hundred images.
"""

"""
## Setup
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

import keras_transfer  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
parser.add_argument("--smoke", action="store_true",
                    help="Run the same code on a tiny slice (a few hundred images, 1 epoch).")
args = parser.parse_args()

if args.smoke:
    NUM_SOURCE, NUM_TARGET, NUM_TEST, EPOCHS = 128, 128, 64, 1
else:
    NUM_SOURCE, NUM_TARGET, NUM_TEST, EPOCHS = None, None, None, 10  # None: whole split
BATCH_SIZE = 32
LEARNING_RATE = 1e-3

"""
## The two domains

Both datasets come as uint8 28x28 images; we add the channel axis and keep
the 0-255 range (the feature extractor rescales).
"""


def images(split):
    return split.x[..., None].astype("float32"), split.y


source_x, source_y = images(keras_transfer.data.load_dataset(
    "mnist_5k", split="train", num_examples=NUM_SOURCE, seed=0))
source_test_x, source_test_y = images(keras_transfer.data.load_dataset(
    "mnist_5k", split="test", num_examples=NUM_TEST, seed=0))
# Target: the train split's images only; its labels are never read.
target_x, _ = images(keras_transfer.data.load_dataset(
    "digits", split="train", num_examples=NUM_TARGET, seed=0))
test_x, test_y = images(keras_transfer.data.load_dataset(
    "digits", split="test", num_examples=NUM_TEST, seed=0))
print(f"source: {len(source_x)} labelled MNIST images; target: {len(target_x)} unlabelled "
      f"digits; target test: {len(test_x)} digits")
print(f"mean pixel: MNIST {source_x.mean():.1f}, digits {target_x.mean():.1f}")

"""
## Features

The small CNN of the DANN paper's MNIST experiments. Any `keras.Model`
with `[batch, d]` outputs works (or a registry name such as
`"efficientnet_lite0"`).
"""


def features():
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Rescaling(1 / 255),
        keras.layers.Conv2D(32, 5, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(48, 5, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(100, activation="relu"),
    ], name="features")


train = keras_transfer.data.domain_adaptation_dataset(
    (source_x, source_y), target_x, batch_size=BATCH_SIZE, seed=0)
x, y, weights = next(iter(train))
print(f"one batch: {x.shape[0]} rows, {int(weights['label'].numpy().sum())} labelled, "
      f"domains {sorted(set(y['domain'].numpy().tolist()))}")


def target_accuracy(model):
    classifier = keras_transfer.extract_classifier(model)
    return classifier.evaluate(test_x, test_y, verbose=0, return_dict=True)["accuracy"]


"""
## Source only, then DANN

`domain_loss_weight=0` leaves the domain branch untrained and the features
untouched by it: the source-only baseline, with the same architecture, data
and steps. DANN uses the same model with weight 1; the
`GradientReversalScheduler` raises the reversal coefficient from 0 to 1
(DANN's schedule) over the run.
"""

results = {}
keras.utils.set_random_seed(0)
source_only = keras_transfer.build_domain_adaptation_model(
    features(), num_classes=10, method="dann", domain_loss_weight=0.0,
    domain_units=(100,), learning_rate=LEARNING_RATE)
source_only.fit(train, epochs=EPOCHS, verbose=2)
results["source-only"] = target_accuracy(source_only)
source_test = keras_transfer.extract_classifier(source_only).evaluate(
    source_test_x, source_test_y, verbose=0, return_dict=True)["accuracy"]

keras.utils.set_random_seed(0)
dann = keras_transfer.build_domain_adaptation_model(
    features(), num_classes=10, method="dann", domain_units=(100,),
    learning_rate=LEARNING_RATE)
scheduler = keras_transfer.GradientReversalScheduler()
history = dann.fit(train, epochs=EPOCHS, callbacks=[scheduler], verbose=2)
results["dann"] = target_accuracy(dann)

"""
The domain classifier's accuracy tells how well the domains can still be
told apart from the features: near 0.5 at the end means DANN succeeded in
making them alike (it starts near 1: MNIST and the redrawn digits differ).
"""

domain_accuracy = history.history["domain_accuracy"][-1]

"""
## MMD and CORAL

Same data, same `fit`; only the loss on the `"domain"` output (the features
themselves) changes.
"""

for method in ("mmd", "coral"):
    keras.utils.set_random_seed(0)
    model = keras_transfer.build_domain_adaptation_model(
        features(), num_classes=10, method=method, learning_rate=LEARNING_RATE)
    model.fit(train, epochs=EPOCHS, verbose=2)
    results[method] = target_accuracy(model)

"""
## Consistency on the target (FixMatch)

`keras_transfer.ConsistencyModel` wraps a plain classifier. Each step it
predicts on weakly augmented images (a small shift; no flip, which would
change digits), keeps the target predictions whose top probability is at
least 0.95 as pseudo-labels, and trains the classifier to give those labels
to strongly augmented views (RandAugment and a random erased patch).
"""

keras.utils.set_random_seed(0)
extractor = features()
classifier = keras.Model(
    extractor.inputs, keras_transfer.ClassificationHead(10, dropout=0.2)(extractor.outputs[0]))
consistency = keras_transfer.ConsistencyModel(
    classifier, weak_augmentation=keras_transfer.weak_image_augmentation(flip=False),
    strong_augmentation=keras_transfer.strong_image_augmentation(value_range=(0, 255)))
consistency.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE),
                    loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = consistency.fit(train, epochs=EPOCHS, verbose=2)
results["consistency"] = target_accuracy(consistency)
pseudo_label_rate = history.history["pseudo_label_rate"][-1]

"""
## Results

Accuracy on the digits' test set (never seen in training, labels or
images). `--smoke` numbers (1 epoch on 128 images) mean nothing;
`benchmarks/domain_shift.py` measures the methods over several seeds,
with the target-supervised oracle as the upper bound.
"""

print()
print("Results")
print(f"  source-only MNIST test accuracy:         {source_test:.4f}")
for name, accuracy in results.items():
    print(f"  {name + ' target accuracy:':<41}{accuracy:.4f}")
print(f"  final gradient reversal coefficient:     {scheduler.coefficient:.4f}")
print(f"  final DANN domain accuracy:              {domain_accuracy:.4f}")
print(f"  final consistency pseudo-label rate:     {pseudo_label_rate:.4f}")
best = max(results, key=results.get)
print(f"  best on the target: {best} ({results[best] - results['source-only']:+.4f} vs "
      "source only)")
