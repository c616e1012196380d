"""
Title: Choosing learning rates with the LR range test
Author: keras_transfer contributors
Date created: 2026/11/28
Last modified: 2026/11/28
Description: Use `keras_transfer.LRFinder` to pick a learning rate for the head,
then again for fine-tuning with discriminative learning rates.
"""

"""
## Introduction

The learning rate range test (Leslie Smith, 2015; fastai's `lr_find`) trains for
a short while with a learning rate that grows exponentially at every step and
records the loss. The loss first barely moves (rate too small), then falls
quickly, then explodes (rate too large); a good rate sits on the steep, falling
part of the curve.

`keras_transfer.LRFinder.find(model, data)` runs the sweep with an ordinary
`model.fit`, stops once the smoothed loss diverges, and then **restores the
weights and optimizer state exactly**, so the test costs nothing but time.
`finder.suggestion()` reads a rate off the curve (fastai's `"valley"` rule by
default) and `finder.plot(path)` draws it.

We run it twice, as fastai's transfer-learning recipe does: once for the new
head on a frozen EfficientNet-Lite0, and once after unfreezing, where the
finder sweeps the top rate of a `keras_transfer.DiscriminativeOptimizer` and
every lower layer group follows at its fixed fraction.

Run with `--smoke` for a seconds-long check of the same code.
"""

"""
## Setup
"""

import argparse
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

import keras_transfer  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
parser.add_argument(
    "--smoke",
    action="store_true",
    help="Run the same code on a tiny slice (a few dozen images, short sweeps).",
)
parser.add_argument(
    "--output-dir",
    default=None,
    help="Where to write the plots. Defaults to a new temporary folder.",
)
args = parser.parse_args()
output_dir = args.output_dir or tempfile.mkdtemp(prefix="lr_finder_")
os.makedirs(output_dir, exist_ok=True)

if args.smoke:
    NUM_TRAIN, NUM_TEST = 48, 32
    IMAGE_SIZE = 32
    BATCH_SIZE = 8
    NUM_STEPS = 12
    EPOCHS = 1
else:
    NUM_TRAIN, NUM_TEST = 2000, 1000
    IMAGE_SIZE = 64
    BATCH_SIZE = 32
    NUM_STEPS = 100
    EPOCHS = 2

keras.utils.set_random_seed(0)

"""
## Load the data

Fashion-MNIST as pixel values in 0..255, resized to `IMAGE_SIZE` (see
`examples/image_fine_tuning.py`).
"""

train_split = keras_transfer.data.load_dataset(
    "fashion_mnist", split="train", num_examples=NUM_TRAIN, seed=0
)
test_split = keras_transfer.data.load_dataset(
    "fashion_mnist", split="test", num_examples=NUM_TEST, seed=0
)
train_ds = keras_transfer.data.from_arrays(
    *train_split, image_size=IMAGE_SIZE, batch_size=BATCH_SIZE, seed=0
)
test_ds = keras_transfer.data.from_arrays(
    *test_split, image_size=IMAGE_SIZE, batch_size=BATCH_SIZE, shuffle=False
)

"""
## Find a learning rate for the head

The builder compiles with Adam at a plain float rate, which is what the finder
needs (it sets `model.optimizer.learning_rate` at every step). `find` passes
extra keyword arguments to `model.fit`; the sweep iterates over the dataset as
many times as it needs to make `num_steps` steps. The range 1e-6..1 is wide
enough for a head trained with Adam.
"""

model = keras_transfer.build_image_classifier(
    "efficientnet_lite0",
    num_classes=len(train_split.class_names),
    image_size=IMAGE_SIZE,
    trainable=False,
)
head_finder = keras_transfer.LRFinder.find(
    model, train_ds, num_steps=NUM_STEPS, min_learning_rate=1e-6, max_learning_rate=1.0
)
head_rate = head_finder.suggestion()
head_plot = head_finder.plot(os.path.join(output_dir, "lr_find_head.png"))
print(
    f"Head sweep: {len(head_finder.learning_rates)} steps, "
    f"valley {head_rate:.2e}, steepest {head_finder.suggestion('steepest'):.2e}, "
    f"minimum/10 {head_finder.suggestion('minimum'):.2e}; plot: {head_plot}"
)

"""
The model is exactly as before the sweep; train the head at the suggested rate.
"""

model.optimizer.learning_rate = head_rate
model.fit(train_ds, epochs=EPOCHS, validation_data=test_ds, verbose=2)
_, head_accuracy = model.evaluate(test_ds, verbose=0)

"""
## Find a learning rate for fine-tuning

Now unfreeze the backbone and compile with
`keras_transfer.discriminative_optimizer`: one Adam per layer group, the head at
`learning_rate` and each group below 2.6 times slower. Its `learning_rate` is
settable and moves every group at once, so the finder works unchanged. Lower
rates suit a pretrained network, so we sweep a lower range.
"""

model.get_layer("backbone").trainable = True
model.compile(
    optimizer=keras_transfer.discriminative_optimizer(
        model, "adam", learning_rate=1e-4, decay=2.6
    ),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
fine_tune_finder = keras_transfer.LRFinder.find(
    model, train_ds, num_steps=NUM_STEPS, min_learning_rate=1e-7, max_learning_rate=1e-1
)
fine_tune_rate = fine_tune_finder.suggestion()
fine_tune_plot = fine_tune_finder.plot(os.path.join(output_dir, "lr_find_fine_tune.png"))
print(f"Fine-tuning sweep: valley {fine_tune_rate:.2e}; plot: {fine_tune_plot}")

model.optimizer.learning_rate = fine_tune_rate
rates = model.optimizer.group_learning_rates()
rates.pop("default")  # the rate of variables outside every group (none here)
print("Top groups' rates: " + ", ".join(
    f"{name}={rate:.1e}" for name, rate in list(rates.items())[-4:]))
model.fit(train_ds, epochs=EPOCHS, validation_data=test_ds, verbose=2)
_, fine_tuned_accuracy = model.evaluate(test_ds, verbose=0)

print()
print("Results")
print(f"  suggested head learning rate:        {head_rate:.2e}")
print(f"  head-only accuracy:                  {head_accuracy:.4f}")
print(f"  suggested fine-tuning learning rate: {fine_tune_rate:.2e}")
print(f"  fine-tuned accuracy:                 {fine_tuned_accuracy:.4f}")
print(f"  plots in {output_dir}")
