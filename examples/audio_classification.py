"""
Title: Spoken digit recognition with Google's speech_embedding
Author: keras_transfer contributors
Date created: 2026/11/28
Last modified: 2026/11/28
Description: Classify one-second clips of spoken digits from raw waveforms with
a pretrained speech embedding, frozen and then fine-tuned.
"""

"""
## Introduction

Google's `speech_embedding` model (the front end of openWakeWord) turns a 16 kHz
waveform into a sequence of 96-d frame embeddings: the log-mel spectrogram is
computed **inside** the SavedModel, so the classifier below takes raw samples
in [-1, 1] and no audio preprocessing code is needed, in training or in serving.

The data is `spoken_words`: one-second clips of the ten digits synthesized
locally with espeak-ng by 104 accent/variant speakers, with disjoint speakers in
the train and test splits, so test accuracy measures generalisation to unheard
voices.

Run with `--smoke` for a seconds-long check of the same code on a few dozen
clips.
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
    help="Run the same code on a tiny slice (a few dozen clips, 1 epoch).",
)
args = parser.parse_args()

if args.smoke:
    TRAIN_PER_WORD, TEST_PER_WORD = 3, 2
    BATCH_SIZE = 16
    HEAD_EPOCHS, FINE_TUNE_EPOCHS = 1, 1
else:
    TRAIN_PER_WORD, TEST_PER_WORD = 40, 10
    BATCH_SIZE = 32
    HEAD_EPOCHS, FINE_TUNE_EPOCHS = 30, 10

SAMPLE_RATE = 16000
CLIP_SECONDS = 1.0

keras.utils.set_random_seed(0)

"""
## Load the data

`keras_transfer.data.load_dataset("spoken_words")` synthesizes the clips on first
use (a few seconds for 400 clips) and caches them. Each clip is exactly one
second at 16 kHz: `x` has shape `(num_clips, 16000)`. We also make a noisy copy
of the test set (white noise at 10 dB SNR) to see how robust the classifier is.
"""

train_split = keras_transfer.data.load_dataset(
    "spoken_words", split="train", examples_per_word=TRAIN_PER_WORD, seed=0
)
test_split = keras_transfer.data.load_dataset(
    "spoken_words", split="test", examples_per_word=TEST_PER_WORD, seed=0
)
noisy_test_split = keras_transfer.data.load_dataset(
    "spoken_words", split="test", examples_per_word=TEST_PER_WORD, seed=0, snr_db=10.0
)
class_names = list(train_split.class_names)
print(f"Train clips: {train_split.x.shape}, test clips: {test_split.x.shape}")
print(f"Classes: {class_names}")

"""
## Check the clip length against the backbone

The backbone's registry entry says what it expects. `speech_embedding` computes
76-frame log-mel windows, so it needs at least `min_samples` samples per clip;
`build_audio_classifier` checks this (and the sample rate) and refuses a clip
that is too short, before anything is built.
"""

expected = keras_transfer.get_backbone("speech_embedding")["input"]
clip_samples = int(round(SAMPLE_RATE * CLIP_SECONDS))
print(
    f"speech_embedding wants {expected['sample_rate']} Hz audio and at least "
    f"{expected['min_samples']} samples ({expected['min_samples'] / SAMPLE_RATE:.3f} s); "
    f"our clips have {clip_samples}."
)
if train_split.x.shape[1] != clip_samples or clip_samples < expected["min_samples"]:
    raise SystemExit("The clips do not fit the backbone; see the numbers above.")

try:
    keras_transfer.build_audio_classifier(
        "speech_embedding", num_classes=len(class_names), clip_seconds=0.5
    )
except ValueError as error:
    print(f"As expected, half-second clips are refused: {error}")

"""
`keras_transfer.data.from_arrays` batches the waveforms; `sample_rate=` and
`output_sequence_length=` would resample and pad/cut them if they came at
another rate or length.
"""

train_ds = keras_transfer.data.from_arrays(*train_split, batch_size=BATCH_SIZE, seed=0)
test_ds = keras_transfer.data.from_arrays(*test_split, batch_size=BATCH_SIZE, shuffle=False)
noisy_test_ds = keras_transfer.data.from_arrays(
    *noisy_test_split, batch_size=BATCH_SIZE, shuffle=False
)

"""
## Build and train the baseline: frozen backbone

`build_audio_classifier` takes waveforms of `round(sample_rate * clip_seconds)`
samples; its `backbone` averages the frame embeddings over time into one 96-d
clip embedding, and the `head` classifies it.
"""

model = keras_transfer.build_audio_classifier(
    "speech_embedding",
    num_classes=len(class_names),
    sample_rate=SAMPLE_RATE,
    clip_seconds=CLIP_SECONDS,
    trainable=False,
)
model.summary()
model.fit(train_ds, epochs=HEAD_EPOCHS, validation_data=test_ds, verbose=2)
_, baseline_accuracy = model.evaluate(test_ds, verbose=0)
_, baseline_noisy_accuracy = model.evaluate(noisy_test_ds, verbose=0)
print(f"Frozen-backbone baseline: test accuracy {baseline_accuracy:.4f}")

"""
## Fine-tune

The backbone's layer groups are its five convolution blocks and a `top`.
`keras_transfer.fine_tune` unfreezes them top down while training with
per-group learning rates on a slanted-triangular schedule.
"""

print([group.name for group in keras_transfer.get_layer_groups(model)])
history = keras_transfer.fine_tune(
    model,
    train_ds,
    epochs=FINE_TUNE_EPOCHS,
    head_epochs=0,
    learning_rate=1e-3,
    validation_data=test_ds,
    plan="full",  # the head is trained above; "auto" would probe it again
    verbose=2,
)

"""
## Evaluate
"""

result = keras_transfer.predict_and_evaluate(model, test_ds, class_names=class_names)
_, noisy_accuracy = model.evaluate(noisy_test_ds, verbose=0)
for pair in result["most_confused"][:3]:
    print(f"{pair['count']:3d} x {pair['true']!r} heard as {pair['predicted']!r}")

print()
print("Results")
print(f"  baseline accuracy (frozen backbone):   {baseline_accuracy:.4f} "
      f"(10 dB noise: {baseline_noisy_accuracy:.4f})")
print(f"  fine-tuned accuracy:                   {result['accuracy']:.4f} "
      f"(10 dB noise: {noisy_accuracy:.4f})")
