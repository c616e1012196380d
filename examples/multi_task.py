"""
Title: One backbone, three heads: multi-task learning on Fashion-MNIST
Author: keras_transfer contributors
Date created: 2026/12/01
Last modified: 2026/12/01
Description: Share a pretrained image backbone between a 10-class head, a
4-group head and a regression head, train with `model.fit` on dict targets,
and export every output for TF Serving.
"""

"""
## Introduction

Multi-task learning trains one network for several targets at once: the
tasks share the backbone's features and each has its own small head. Keras
does this natively with a functional model whose outputs are a dict keyed
by name: `compile` takes a loss, a loss weight and metrics per output, and
`fit` takes a dict of targets.

`keras_transfer.build_multi_task_model` takes any keras_transfer
classifier and replaces its `head` with one head per task. Here, on
Fashion-MNIST with a frozen EfficientNet-Lite0:

- `item`: the 10 clothing classes (classification);
- `group`: tops, bottoms, footwear or bags (classification, a coarser view);
- `ink`: the mean pixel value of the image in [0, 1] (regression).

Run with `--smoke` for a quick check of the same code on a few dozen images.
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
                    help="Run the same code on a tiny slice (a few dozen images).")
parser.add_argument("--output-dir", default=None,
                    help="TF Serving model folder (default: a temp dir).")
args = parser.parse_args()

if args.smoke:
    NUM_TRAIN, NUM_TEST, IMAGE_SIZE, EPOCHS = 64, 32, 32, 2
else:
    NUM_TRAIN, NUM_TEST, IMAGE_SIZE, EPOCHS = 2000, 1000, 64, 5
base_dir = args.output_dir or os.path.join(tempfile.mkdtemp(prefix="multi_task_"), "fashion")
keras.utils.set_random_seed(0)

"""
## Data with three targets

`load_dataset` gives the item labels; the group is a fixed mapping of the
item, and the ink target is computed from the image itself.
"""

train = keras_transfer.data.load_dataset("fashion_mnist", split="train",
                                         num_examples=NUM_TRAIN, seed=0)
test = keras_transfer.data.load_dataset("fashion_mnist", split="test",
                                        num_examples=NUM_TEST, seed=0)
item_names = list(train.class_names)
group_names = ["top", "bottom", "footwear", "bag"]
# T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot
GROUP_OF_ITEM = tf.constant([0, 1, 0, 0, 0, 2, 0, 2, 3, 2])


def with_targets(images, items):
    return images, {
        "item": items,
        "group": tf.gather(GROUP_OF_ITEM, items),
        "ink": tf.reduce_mean(images, axis=[1, 2, 3])[:, None] / 255.0,
    }


train_ds = keras_transfer.data.from_arrays(*train, image_size=IMAGE_SIZE, seed=0).map(
    with_targets)
test_ds = keras_transfer.data.from_arrays(*test, image_size=IMAGE_SIZE, shuffle=False).map(
    with_targets)

"""
## Build

A normal keras_transfer image classifier provides the input, the
preprocessing and the backbone; `build_multi_task_model` puts three heads on
its features and compiles with one loss per head. `loss_weight` balances
them: the total loss is `item + 0.5 * group + 5 * ink` (the ink MSE is
small, so it gets a larger weight).
"""

base = keras_transfer.build_image_classifier(
    "efficientnet_lite0", num_classes=len(item_names), image_size=IMAGE_SIZE,
    trainable=False, compile=False)
model = keras_transfer.build_multi_task_model(base, {
    "item": {"num_classes": len(item_names)},
    "group": {"num_classes": len(group_names), "loss_weight": 0.5},
    "ink": {"units": 1, "loss_weight": 5.0},
}, learning_rate=1e-3)
print("outputs:", sorted(model.output))

"""
## Train and evaluate

Keras reports each head's loss and metrics under its name.
"""

history = model.fit(train_ds, epochs=EPOCHS, validation_data=test_ds, verbose=2)
result = model.evaluate(test_ds, return_dict=True, verbose=0)
for key in sorted(result):
    print(f"  {key}: {result[key]:.4f}")
weighted = result["item_loss"] + 0.5 * result["group_loss"] + 5.0 * result["ink_loss"]
print(f"item + 0.5 group + 5 ink = {weighted:.4f} (total loss {result['loss']:.4f})")

"""
## Export every output

`export_for_serving` serves each softmax output as `<name>_probabilities`,
`<name>_class_index`, `<name>_class_name` and `<name>_score`, and each
regression output under its own name.
"""

path = keras_transfer.export.export_for_serving(
    model, base_dir, class_names={"item": item_names, "group": group_names},
    image_size=IMAGE_SIZE, warmup=False)
serve = tf.saved_model.load(path).signatures["predict_tensors"]
images, targets = next(iter(test_ds))
served = serve(images=images)
print("served outputs:", sorted(served))
python_outputs = model.predict(images, verbose=0)
difference = max(np.abs(served["item_probabilities"].numpy() - python_outputs["item"]).max(),
                 np.abs(served["ink"].numpy() - python_outputs["ink"]).max())
print("first image:", served["item_class_name"][0].numpy().decode(), "/",
      served["group_class_name"][0].numpy().decode(), "/",
      f"ink {served['ink'][0, 0].numpy():.3f}")

print()
print("Results")
print(f"  item accuracy:                {result['item_accuracy']:.4f}")
print(f"  group accuracy:               {result['group_accuracy']:.4f}")
print(f"  ink mean absolute error:      {result['ink_mae']:.4f}")
print(f"  weighted sum - total loss:    {weighted - result['loss']:.6f}")
print(f"  served - predict max diff:    {difference:.2e}")
