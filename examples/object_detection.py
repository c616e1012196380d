"""
Title: Object detection by transfer: a face detector learns to find digits
Author: keras_transfer contributors
Date created: 2026/12/02
Last modified: 2026/12/02
Description: Fine-tune a pretrained Tiny-YOLOv2 face detector on digits pasted
onto photos with `model.fit`, discriminative learning rates and gradual
unfreezing, then measure COCO mAP and draw the predicted boxes.
"""

"""
## Introduction

A detector answers two questions per object: *where* (a box) and *what* (a
class). Training one from scratch needs many labelled boxes; transfer
learning starts from a network that already knows how to localize
something. Here that network is face-api's **Tiny face detector** (a
Tiny-YOLOv2, 193k parameters, trained to find faces), and the new task is to
find and name the handwritten digits on photos.

`keras_transfer.build_detector` keeps the detector's convolutional body
(its `feature_map`: the 512-channel map its last layer, `conv8`, reads) and
puts a new `conv8` on it: one 1x1 convolution predicting, per grid cell
and anchor box, the box offsets, an objectness score and 10 class logits
(YOLOv2's encoding). The training loss is `keras_transfer.YoloLoss`
(GIoU on the boxes, objectness and class cross-entropy), so the whole thing
trains with a plain `model.fit(images, padded_boxes)`.

The same builder gives two other set-ups, compared in
`benchmarks/detection_quality.py`: a YOLO head on EfficientNet-Lite0's
ImageNet feature map (`build_detector("efficientnet_lite0", ...)`) and the
same from scratch (`pretrained=False`).

Run this script with `--smoke` for a seconds-long check of the same code
path on a handful of small images.
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

import keras_transfer  # noqa: E402
from keras_transfer.data.datasets.digits_on_photos import (  # noqa: E402
    load_digits_on_photos,
)

parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
parser.add_argument(
    "--smoke",
    action="store_true",
    help="Run the same code on a tiny slice (a few dozen small images).",
)
parser.add_argument(
    "--output-dir",
    default=None,
    help="Where to write the picture of predicted boxes. Defaults to a new "
    "temporary folder.",
)
args = parser.parse_args()
output_dir = args.output_dir or tempfile.mkdtemp(prefix="object_detection_")
os.makedirs(output_dir, exist_ok=True)

if args.smoke:
    NUM_TRAIN, NUM_TEST = 32, 16
    IMAGE_SIZE = 64
    EPOCHS = 2
else:
    NUM_TRAIN, NUM_TEST = 1000, 200
    IMAGE_SIZE = 128
    EPOCHS = 12
BATCH_SIZE = 16
MAX_BOXES = 3

keras.utils.set_random_seed(0)

"""
## The data: digits on photos

No multi-object box dataset ships offline, so keras_transfer builds one
from real parts: MNIST digits (`mnist_5k`) pasted at random size, place and
colour onto random crops of scikit-image's sample photos. Each box is the
exact extent of the digit's ink. The training and test images use
different photos (and different digits), so the test set measures how well
the detector generalizes to new backgrounds.

Boxes travel as `keras_transfer.data.ImageBoxes` (pixels, `[x_min, y_min,
x_max, y_max]`, class ids): the one form every box reader
(`read_voc_xml`, `read_coco_json`, `read_yolo_txt`), the decoders and the
evaluation use.
"""

train_images, train_boxes = load_digits_on_photos(
    "train", num_images=NUM_TRAIN, image_size=IMAGE_SIZE, max_digits=MAX_BOXES
)
test_images, test_boxes = load_digits_on_photos(
    "test", num_images=NUM_TEST, image_size=IMAGE_SIZE, max_digits=MAX_BOXES
)
class_names = train_boxes[0].class_names
print(f"Train images: {train_images.shape}, test images: {test_images.shape}")
print(f"First training image: classes {train_boxes[0].class_ids.tolist()}, "
      f"boxes {train_boxes[0].boxes.round(1).tolist()}")

"""
## Box-aware augmentation

`keras_transfer.detection.augment_boxes` scales and crops a photo and moves
its boxes exactly with the pixels (dropping a box when less than half of it
stays visible). Horizontal flips are switched off (`flip=0.0`): a mirrored
"2" is not a "2". Here every training image gets one augmented copy.
"""

rng = np.random.default_rng(0)
augmented = [
    keras_transfer.detection.augment_boxes(image, item, rng, flip=0.0)
    for image, item in zip(train_images, train_boxes)
]
train_images = np.concatenate([train_images, np.stack([a[0] for a in augmented])])
train_boxes = train_boxes + [a[1] for a in augmented]

"""
`keras_transfer.detection.pad_boxes` writes the targets `model.fit` needs:
`[images, max_boxes, 6]` rows of `x_min, y_min, x_max, y_max` relative to
the image, class id and a valid flag (padding rows are 0).
"""

targets = keras_transfer.detection.pad_boxes(train_boxes, MAX_BOXES)
print(f"Targets: {targets.shape}, first row {targets[0, 0].astype(float).round(3).tolist()}")

"""
## Build the detector

The model takes raw pixels (0..255) of any size; its `preprocessing`
rescales and resizes them to `image_size`, the `backbone` is the face
detector's body (a `keras_transfer.HubBackbone`), and the `head` a
`keras_transfer.YoloHead` with the face detector's five anchors rescaled to
the grid. The output is the raw YOLOv2 encoding, `[batch, rows, cols,
anchors * (5 + classes)]`.
"""

model = keras_transfer.build_detector(
    "tiny_face_detector",
    num_classes=len(class_names),
    image_size=IMAGE_SIZE,
    learning_rate=1e-3,
)
head = model.get_layer("head")
print(f"Output: {model.output.shape}, anchors (in cells): "
      f"{np.round(head.anchors, 2).tolist()}")

"""
## Layer groups, discriminative rates, gradual unfreezing

The detector's layer groups are the backbone's (`backbone/stem`,
`backbone/block1`, ...) and then `head`, so the library's fine-tuning
callbacks apply unchanged:

- `DiscriminativeLR(lr_range=(1e-4, 1e-3))`: the new head trains at 1e-3,
  the groups below at geometrically smaller rates down to 1e-4 for the
  stem, so the general low-level features move least;
- `ProgressiveUnfreezing(every=1)`: the first epoch trains the head
  alone (it starts random, and its first large gradients would otherwise
  flow into the pretrained body), and each later epoch unfreezes one more
  group from the top down.
"""

groups = keras_transfer.get_layer_groups(model)
print(f"{len(groups)} layer groups: {[group.name for group in groups]}")

discriminative_lr = keras_transfer.DiscriminativeLR(lr_range=(1e-4, 1e-3))
unfreezing = keras_transfer.ProgressiveUnfreezing(every=1)
history = model.fit(
    train_images.astype("float32"),
    targets,
    batch_size=BATCH_SIZE,
    epochs=EPOCHS,
    shuffle=True,
    callbacks=[discriminative_lr, unfreezing],
    verbose=2,
)

"""
## Predict and measure mAP

`keras_transfer.detection.decode_yolo_v2` turns the raw outputs into boxes
(relative to the image, 0..1), scores and class ids, then applies non-max
suppression. For mAP a low score threshold (0.05) keeps the whole
precision-recall curve. `keras_transfer.evaluation.evaluate_detections`
computes what pycocotools reports: mAP@0.5 and the COCO mean over IoU
thresholds 0.5 to 0.95.
"""

outputs = model.predict(test_images.astype("float32"), batch_size=32, verbose=0)
decoded = keras_transfer.detection.decode_yolo_v2(
    outputs, head.anchors, num_classes=head.num_classes,
    score_threshold=0.05, iou_threshold=0.5,
)
predictions = [
    keras_transfer.data.ImageBoxes(
        item.image_id, item.width, item.height,
        (found["boxes"] * ([item.width, item.height] * 2)).astype("float32"),
        found["class_ids"], class_names, scores=found["scores"],
    )
    for item, found in zip(test_boxes, decoded)
]
result = keras_transfer.evaluation.evaluate_detections(test_boxes, predictions)

"""
## Draw the predicted boxes

Boxes scoring at least 0.3 are drawn on the first test images: green for
the ground truth, red for predictions.
"""


def draw_box(image, box, colour):
    x0, y0, x1, y1 = np.clip(np.round(box).astype(int), 0, image.shape[1] - 1)
    image[y0:y1 + 1, [x0, x1]] = colour
    image[[y0, y1], x0:x1 + 1] = colour


panels = []
for image, truth, found in zip(test_images[:8], test_boxes[:8], predictions[:8]):
    panel = image.copy()
    for box in truth.boxes:
        draw_box(panel, box, (0, 255, 0))
    for box, score in zip(found.boxes, found.scores):
        if score >= 0.3:
            draw_box(panel, box, (255, 0, 0))
    panels.append(panel)
picture = os.path.join(output_dir, "detections.png")
keras.utils.save_img(picture, np.concatenate(panels, axis=1))

first = predictions[0]
best = [(class_names[c], round(float(s), 2)) for c, s in zip(first.class_ids, first.scores)]
print(f"First test image: true classes {test_boxes[0].class_ids.tolist()}; "
      f"best predictions {best[:3]}")

print()
print("Results")
print(f"  train loss: {history.history['loss'][0]:.3f} -> "
      f"{history.history['loss'][-1]:.3f}")
print(f"  groups training at the end: {len(unfreezing.trainable_group_names())}/"
      f"{len(groups)}")
print(f"  test mAP@0.5: {result['map_50']:.4f}")
print(f"  test mAP@[.5:.95]: {result['map']:.4f}")
print(f"  picture: {picture}")

"""
## Going further

- `benchmarks/detection_quality.py` compares this transfer with a YOLO
  head on EfficientNet-Lite0 and with training from scratch, at 100, 500
  and 2,000 labelled images, and the face detector used as is against
  fine-tuned on faces (`faces_on_photos`).
- Your own boxes: `keras_transfer.data.read_voc_xml`, `read_coco_json` or
  `read_yolo_txt` give the same `ImageBoxes`, and `pad_boxes` the targets.
"""
