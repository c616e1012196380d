"""
Title: Training a head on cached backbone features
Author: keras_transfer contributors
Date created: 2026/11/28
Last modified: 2026/11/28
Description: `keras_transfer.FeatureCache` gives the same head weights as
end-to-end training with a frozen backbone, many times faster.
"""

"""
## Introduction

With a frozen backbone, every epoch of `model.fit` runs the whole backbone
forward again on the same images and gets the same features. Only the head
learns. `keras_transfer.FeatureCache` removes the waste: it runs the backbone
**once** over the data, keeps the features (in memory, or as sharded TFRecord
files under `directory=`, streamed back so they need not fit in memory), and
trains the head on them.

It is not an approximation. The cache splits the model at its `backbone` layer
into a `feature_extractor` and a `head_model` made of the model's **own** head
layers, compiled with the model's own optimizer, loss and metrics. On the same
batches in the same order, and from the same random state (the head's dropout
masks), it computes the same updates as `model.fit` on the full model, up to
float rounding. This script checks that, and measures the speed-up.

Run with `--smoke` for a seconds-long check of the same code.
"""

"""
## Setup
"""

import argparse
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_transfer  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
parser.add_argument(
    "--smoke",
    action="store_true",
    help="Run the same code on a tiny slice (a few dozen images, tiny images).",
)
parser.add_argument(
    "--cache-dir",
    default=None,
    help="Where to store the features. Defaults to a new temporary folder.",
)
args = parser.parse_args()
cache_dir = args.cache_dir or tempfile.mkdtemp(prefix="feature_cache_")

if args.smoke:
    NUM_TRAIN, NUM_TEST = 48, 32
    IMAGE_SIZE = 32
    BATCH_SIZE = 16
    EPOCHS = 2
else:
    NUM_TRAIN, NUM_TEST = 2000, 1000
    IMAGE_SIZE = 64
    BATCH_SIZE = 32
    EPOCHS = 10

"""
## Load the data

The training set is **not** shuffled between epochs here, so that both runs
see exactly the same batches in the same order, which is what makes the
weights comparable. (In normal use, extract an unshuffled dataset and pass
`shuffle=True` to `extract`: the cache then reshuffles the stored features
every epoch.)
"""

train_split = keras_transfer.data.load_dataset(
    "fashion_mnist", split="train", num_examples=NUM_TRAIN, seed=0
)
test_split = keras_transfer.data.load_dataset(
    "fashion_mnist", split="test", num_examples=NUM_TEST, seed=0
)
class_names = list(train_split.class_names)
train_ds = keras_transfer.data.from_arrays(
    *train_split, image_size=IMAGE_SIZE, batch_size=BATCH_SIZE, shuffle=False
)
test_ds = keras_transfer.data.from_arrays(
    *test_split, image_size=IMAGE_SIZE, batch_size=BATCH_SIZE, shuffle=False
)

"""
## Two identical models

Building each model right after `keras.utils.set_random_seed(0)` gives both the
same initial head weights and the same dropout seed state.
"""


def build_model():
    keras.utils.set_random_seed(0)
    return keras_transfer.build_image_classifier(
        "efficientnet_lite0",
        num_classes=len(class_names),
        image_size=IMAGE_SIZE,
        trainable=False,
    )


end_to_end_model = build_model()
cached_model = build_model()

"""
## End to end: `model.fit` with a frozen backbone
"""

start = time.perf_counter()
end_to_end_model.fit(train_ds, epochs=EPOCHS, verbose=2)
end_to_end_seconds = time.perf_counter() - start
print(f"End-to-end training: {end_to_end_seconds:.1f} s")

"""
## Cached: extract once, then fit the head

`extract` with a `name` writes the features under `cache_dir/name/`, with a
fingerprint of the feature extractor's weights and of the data and a SHA-256
of every file, so a later run reuses them (and refuses them if the backbone,
the data or the files changed).
"""

cache = keras_transfer.FeatureCache(cached_model, directory=cache_dir)
start = time.perf_counter()
train_features = cache.extract(train_ds, name="train")
extract_seconds = time.perf_counter() - start
start = time.perf_counter()
cache.fit(train_features, epochs=EPOCHS, verbose=2)
fit_seconds = time.perf_counter() - start
cached_seconds = extract_seconds + fit_seconds
print(f"Cached training: extract {extract_seconds:.1f} s + fit {fit_seconds:.1f} s")

"""
A second `extract` of the same data streams the stored features instead of
running the backbone (in a new process as well).
"""

start = time.perf_counter()
cache.extract(train_ds, name="train")
reload_seconds = time.perf_counter() - start
print(f"Reloading the stored features: {reload_seconds:.2f} s")

"""
## Compare

The head of `cached_model` was trained in place, so we compare the two full
models directly: head weights, and accuracy on the test set. The end-to-end
time grows with every epoch, the cached time hardly at all (the extraction is
paid once), so the ratio grows with the number of epochs.
"""

differences = [
    float(np.max(np.abs(a - b)))
    for a, b in zip(
        end_to_end_model.get_layer("head").get_weights(),
        cached_model.get_layer("head").get_weights(),
    )
]
max_difference = max(differences)
_, end_to_end_accuracy = end_to_end_model.evaluate(test_ds, verbose=0)
_, cached_accuracy = cached_model.evaluate(test_ds, verbose=0)

print()
print("Results")
print(f"  max |head weight difference|: {max_difference:.2e}")
print(f"  end-to-end accuracy:          {end_to_end_accuracy:.4f} ({end_to_end_seconds:.1f} s)")
print(f"  cached-features accuracy:     {cached_accuracy:.4f} ({cached_seconds:.1f} s)")
print(f"  speed-up (time ratio):        {end_to_end_seconds / cached_seconds:.1f}x "
      f"for {EPOCHS} epochs")
