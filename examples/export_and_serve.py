"""
Title: Exporting a classifier for TF Serving, preprocessing included
Author: keras_transfer contributors
Date created: 2026/11/28
Last modified: 2026/11/28
Description: Train a small image classifier, export it with
`keras_transfer.export_for_serving`, and send it raw PNG bytes.
"""

"""
## Introduction

A served model should take what clients actually have: encoded image files,
strings, WAV files. `keras_transfer.export_for_serving` writes a trained
classifier as a new numbered version of a TF Serving model folder, with the
training preprocessing inside the graph:

- `serving_default` takes raw inputs (`image_bytes` here: PNG, JPEG, ...),
  decodes them to RGB, resizes them as `keras.utils.image_dataset_from_directory`
  does and runs the model;
- `predict_tensors` takes the model's own input (float pixel values).

Both return `probabilities`, `class_index`, `class_name` and `score`. The
version folder is written atomically (TF Serving never sees half a model) and
comes with a warmup file, so the first real request is not slow.

Here we train a head on Fashion-MNIST, export it, load the version folder with
plain `tf.saved_model.load` (no Keras, no keras_transfer code needed to serve)
and send it a raw request, the way TF Serving would call it. Run with `--smoke`
for a seconds-long check of the same code.
"""

"""
## Setup
"""

import argparse
import base64
import json
import os
import re
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_transfer  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
parser.add_argument(
    "--smoke",
    action="store_true",
    help="Run the same code on a tiny slice (a few dozen images, 1 epoch).",
)
parser.add_argument(
    "--output-dir",
    default=None,
    help="TF Serving model folder to export into. Defaults to a new temporary folder.",
)
args = parser.parse_args()
base_dir = args.output_dir or os.path.join(
    tempfile.mkdtemp(prefix="export_and_serve_"), "fashion"
)

if args.smoke:
    NUM_TRAIN, NUM_TEST = 32, 16
    IMAGE_SIZE = 32
    EPOCHS = 1
else:
    NUM_TRAIN, NUM_TEST = 1000, 500
    IMAGE_SIZE = 64
    EPOCHS = 3

keras.utils.set_random_seed(0)

"""
## Train a classifier

A frozen EfficientNet-Lite0 with a new head (see
`examples/image_fine_tuning.py` for fine-tuning). The training pipeline
yields pixel values in 0..255, resized to `IMAGE_SIZE`.
"""

train_split = keras_transfer.data.load_dataset(
    "fashion_mnist", split="train", num_examples=NUM_TRAIN, seed=0
)
test_split = keras_transfer.data.load_dataset(
    "fashion_mnist", split="test", num_examples=NUM_TEST, seed=0
)
class_names = list(train_split.class_names)
train_ds = keras_transfer.data.from_arrays(*train_split, image_size=IMAGE_SIZE, seed=0)
test_ds = keras_transfer.data.from_arrays(*test_split, image_size=IMAGE_SIZE, shuffle=False)

model = keras_transfer.build_image_classifier(
    "efficientnet_lite0", num_classes=len(class_names), image_size=IMAGE_SIZE,
    trainable=False,
)
model.fit(train_ds, epochs=EPOCHS, verbose=2)
_, test_accuracy = model.evaluate(test_ds, verbose=0)
print(f"Test accuracy before export: {test_accuracy:.4f}")

"""
## Export

`base_dir` is what `tensorflow_model_server --model_base_path` points at;
each export adds the next version folder (`1`, `2`, ...). Builder models take
images of any size and resize them inside, so the export needs the
`image_size` used in training to know what to resize raw images to.
"""

version_dir = keras_transfer.export_for_serving(
    model, base_dir, class_names=class_names, image_size=IMAGE_SIZE
)
print(f"Exported to {version_dir}:")
for root, _, files in sorted(os.walk(version_dir)):
    for name in sorted(files):
        print("  " + os.path.relpath(os.path.join(root, name), base_dir))

"""
## Load the version folder and send a raw request

This is what TF Serving does with the folder: load the SavedModel and call a
signature. We encode a few test images as PNG files, exactly what a client
would upload, and call `serving_default` with their bytes.
"""

loaded = tf.saved_model.load(version_dir)
serving_default = loaded.signatures["serving_default"]
print("serving_default inputs:", serving_default.structured_input_signature[1])
print("serving_default outputs:", sorted(serving_default.structured_outputs))

images = test_split.x[:4]
labels = test_split.y[:4]
png_files = [tf.io.encode_png(image[..., None]).numpy() for image in images]
outputs = serving_default(image_bytes=tf.constant(png_files))
for label, name, score in zip(labels, outputs["class_name"].numpy(), outputs["score"].numpy()):
    print(f"  true {class_names[label]!r:15} served {name.decode()!r:15} score {score:.3f}")

"""
The served graph repeats the training preprocessing, so it agrees with
`model.predict` on the same images prepared by the training pipeline.
"""

prepared = keras_transfer.data.from_arrays(
    images, labels, image_size=IMAGE_SIZE, shuffle=False
)
expected = model.predict(prepared, verbose=0)
max_difference = float(np.max(np.abs(outputs["probabilities"].numpy() - expected)))
print(f"Max |served - model.predict| probability difference: {max_difference:.2e}")

"""
A bad request fails with an `InvalidArgumentError` that names the input and
the bad instance, instead of a cryptic decoding error deep in the graph.
"""

try:
    serving_default(image_bytes=tf.constant([png_files[0], b"not an image"]))
except tf.errors.InvalidArgumentError as error:
    # The assertion's message, then the index of the bad instance.
    message = error.message[error.message.find("Invalid `"):].split("First bytes")[0]
    message = message.replace("\\'", "'").replace('\\"', '"')
    print("Bad request rejected:", re.sub(r"[\[\]]", "", " ".join(message.split())))

"""
## The same request over REST

With TF Serving running on this folder (`tensorflow_model_server
--rest_api_port=8501 --model_name=fashion --model_base_path=<base_dir>`), the
request above is a `POST` to `http://localhost:8501/v1/models/fashion:predict`.
JSON has no bytes type, so files are sent base64-encoded as `{"b64": ...}`.
"""

body = {
    "signature_name": "serving_default",
    "instances": [{"b64": base64.b64encode(png_files[0]).decode("ascii")}],
}
print("REST request body:")
print(json.dumps(body))

print()
print("Results")
print(f"  test accuracy:             {test_accuracy:.4f}")
print(f"  exported version:          {version_dir}")
print(f"  served - predict max diff: {max_difference:.2e}")
