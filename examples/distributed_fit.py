"""
Title: Data-parallel fine-tuning with tf.distribute
Author: keras_transfer contributors
Date created: 2026/11/28
Last modified: 2026/11/28
Description: Pick a strategy with `keras_transfer.get_strategy`, build the model
under it, and fine-tune with the callbacks on every replica.
"""

"""
## Introduction

`keras_transfer.get_strategy("auto")` returns the `tf.distribute` strategy that
fits the machine: a `TPUStrategy` when a TPU resolves,
`MultiWorkerMirroredStrategy` when `TF_CONFIG` names several workers,
`MirroredStrategy` with several GPUs, and the default (single-device) strategy
otherwise. The builders take `strategy=` and create and compile the model under
`strategy.scope()`; `DiscriminativeLR` and `ProgressiveUnfreezing` create their
optimizers in the model's scope too, so the same `model.fit` works on one device
or many.

To show data parallelism on any machine, `--smoke` splits the CPU into two
*logical* devices and mirrors the model over them, as keras_transfer's own
multi-device tests do. Without `--smoke` the script uses `get_strategy("auto")`:
run it on a machine with several GPUs to see it mirror.
"""

"""
## Setup

Logical devices must be configured before TensorFlow initialises its runtime,
so this comes first, before anything lists or uses a device.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
parser.add_argument(
    "--smoke",
    action="store_true",
    help="Run the same code on a tiny slice, mirrored over two logical CPUs.",
)
args = parser.parse_args()

if args.smoke:
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )

import keras  # noqa: E402

import keras_transfer  # noqa: E402

if args.smoke:
    NUM_TRAIN, NUM_TEST = 64, 32
    IMAGE_SIZE = 32
    PER_REPLICA_BATCH_SIZE = 8
    HEAD_EPOCHS, FINE_TUNE_EPOCHS = 1, 2
else:
    NUM_TRAIN, NUM_TEST = 2000, 1000
    IMAGE_SIZE = 96
    PER_REPLICA_BATCH_SIZE = 32
    HEAD_EPOCHS, FINE_TUNE_EPOCHS = 2, 3

keras.utils.set_random_seed(0)

"""
## Choose a strategy
"""

if args.smoke:
    strategy = keras_transfer.get_strategy("mirrored", devices=["/cpu:0", "/cpu:1"])
else:
    strategy = keras_transfer.get_strategy("auto")
replicas = strategy.num_replicas_in_sync
print(f"Strategy: {type(strategy).__name__} with {replicas} replica(s): "
      f"{list(strategy.extended.worker_devices)}")

"""
## Load the data

Each step splits the global batch across the replicas, so the global batch
size is the per-replica size times the number of replicas. `drop_remainder=True`
gives every batch the same static shape (needed on TPUs, and it keeps the
replicas evenly loaded elsewhere).
"""

global_batch_size = PER_REPLICA_BATCH_SIZE * replicas
train_split = keras_transfer.data.load_dataset(
    "fashion_mnist", split="train", num_examples=NUM_TRAIN, seed=0
)
test_split = keras_transfer.data.load_dataset(
    "fashion_mnist", split="test", num_examples=NUM_TEST, seed=0
)
class_names = list(train_split.class_names)
train_ds = keras_transfer.data.from_arrays(
    *train_split, image_size=IMAGE_SIZE, batch_size=global_batch_size,
    drop_remainder=True, seed=0,
)
test_ds = keras_transfer.data.from_arrays(
    *test_split, image_size=IMAGE_SIZE, batch_size=global_batch_size, shuffle=False,
)

"""
## Build the model under the strategy

With `strategy=`, the builder creates every variable (the backbone's included)
as a mirrored variable and compiles under the strategy's scope.
"""

model = keras_transfer.build_image_classifier(
    "efficientnet_lite0",
    num_classes=len(class_names),
    image_size=IMAGE_SIZE,
    trainable=False,
    strategy=strategy,
)
kernel = model.get_layer("head").trainable_weights[0]
print(f"Head kernel is a {type(kernel.value).__name__}")

"""
## Train the head, then fine-tune with the callbacks

Nothing changes in the training code: `fit` splits each batch across the
replicas and averages the gradients. For fine-tuning we recompile (in the
strategy's scope, since the optimizer creates variables) and let
`DiscriminativeLR` and `ProgressiveUnfreezing` do the rest.
"""

model.fit(train_ds, epochs=HEAD_EPOCHS, verbose=2)
_, baseline_accuracy = model.evaluate(test_ds, verbose=0)

with strategy.scope():
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=5e-4),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
unfreezing = keras_transfer.ProgressiveUnfreezing(every=1)
model.fit(
    train_ds,
    epochs=FINE_TUNE_EPOCHS,
    validation_data=test_ds,
    callbacks=[keras_transfer.DiscriminativeLR(decay=2.6), unfreezing],
    verbose=2,
)
_, fine_tuned_accuracy = model.evaluate(test_ds, verbose=0)

print()
print("Results")
print(f"  strategy:                            {type(strategy).__name__}, "
      f"{replicas} replica(s), global batch {global_batch_size}")
print(f"  baseline accuracy (frozen backbone): {baseline_accuracy:.4f}")
print(f"  fine-tuned accuracy:                 {fine_tuned_accuracy:.4f} "
      f"(top {len(unfreezing.trainable_group_names())} groups trained)")
