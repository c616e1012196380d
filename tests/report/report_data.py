"""Training records and an evaluation shared by the report tests."""

import numpy as np

from keras_transfer.evaluation.evaluate_classifier import evaluate_classifier

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
NAMES = ["daisy", "roses", "tulips | pink_ones"]
GROUPS = ["backbone/stem", "backbone/block1", "head"]
HISTORY = {
    "loss": [1.2, 0.9, 0.7, 0.6],
    "val_loss": [1.1, 0.95, 0.8, 0.82],
    "accuracy": [0.4, 0.6, 0.7, 0.8],
    "val_accuracy": [0.45, 0.55, 0.75, 0.7],
}
STAGES = [
    {"epoch": 0, "stage": 0, "trainable_groups": ["head"]},
    {"epoch": 1, "stage": 1, "trainable_groups": GROUPS[1:]},
    {"epoch": 3, "stage": 2, "trainable_groups": GROUPS},
]
LEARNING_RATES = [
    {"epoch": e, "backbone/stem": 1e-4 / (e + 1), "backbone/block1": 3e-4 / (e + 1),
     "head": 1e-3 / (e + 1), "default": 1e-3 / (e + 1)}
    for e in range(4)
]


def evaluation(examples=True):
    # 10 examples; roses -> tulips twice, daisy -> roses once.
    labels = [0, 0, 0, 1, 1, 1, 1, 2, 2, 2]
    predicted = [0, 0, 1, 1, 1, 2, 2, 2, 2, 2]
    probabilities = np.full((10, 3), 0.1)
    probabilities[np.arange(10), predicted] = 0.8
    texts = [f"text {i}" for i in range(10)]
    texts[5] = "a <b>bold</b> | *claim* with `code`\nand a newline"
    return evaluate_classifier(labels, probabilities, class_names=NAMES,
                               examples=texts if examples else None)
