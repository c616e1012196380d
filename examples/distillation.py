"""
Title: Distilling a MiniLM sentiment classifier into a small CNN, then quantising it
Author: keras_transfer contributors
Date created: 2026/12/01
Last modified: 2026/12/01
Description: Knowledge distillation with `keras.distillation`, a size and
latency report, and TFLite post-training quantisation of the student.
"""

"""
## Introduction

A fine-tuned MiniLM-L6 classifier has 22M parameters and runs a 6-layer
transformer per snippet. Many deployments (phones, cheap CPUs, high traffic)
want something far smaller. Knowledge distillation (Hinton et al., 2015)
trains a small *student* on the *teacher*'s softened predictions as well as
on the labels.

This example:

1. trains a teacher: `keras_transfer.build_text_classifier` on MiniLM-L6;
2. builds a student with `keras_transfer.build_student`: the teacher's own
   tokenizer, then token embeddings, a 1-D convolution and a max pool;
3. distills with `keras_transfer.distill`, which runs Keras'
   `keras.distillation.Distiller` with `LogitsDistillation` inside `model.fit`;
4. compares teacher and students with `keras_transfer.compression_report`
   (accuracy, parameters, bytes on disk, single-example latency);
5. converts the student to TFLite with dynamic-range and float16
   quantisation (`keras_transfer.export.convert_to_tflite`) and measures
   its accuracy through the TFLite interpreter;
6. exports the student for TF Serving like any keras_transfer model.

Run with `--smoke` for a quick check of the same code on a few dozen snippets.
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
                    help="Run the same code on a tiny slice (a few dozen snippets).")
parser.add_argument("--output-dir", default=None,
                    help="Where to write the TFLite files and the export (default: a temp dir).")
args = parser.parse_args()

if args.smoke:
    NUM_TRAIN, NUM_TEST, TEACHER_EPOCHS, STUDENT_EPOCHS, LATENCY_CALLS = 64, 32, 1, 2, 3
else:
    NUM_TRAIN, NUM_TEST, TEACHER_EPOCHS, STUDENT_EPOCHS, LATENCY_CALLS = 4000, 1000, 3, 10, 50
output_dir = args.output_dir or tempfile.mkdtemp(prefix="distillation-")
os.makedirs(output_dir, exist_ok=True)
keras.utils.set_random_seed(0)

"""
## Data and teacher

Rotten Tomatoes critic snippets, fresh (1) or rotten (0). The teacher is a
MiniLM-L6 classifier; to keep this example short we train only its head on
the frozen encoder (a fine-tuned teacher distills the same way).
"""

train = keras_transfer.data.load_dataset("rotten_tomatoes", split="train",
                                         num_examples=NUM_TRAIN, seed=0)
test = keras_transfer.data.load_dataset("rotten_tomatoes", split="test",
                                        num_examples=NUM_TEST, seed=0)
train_ds = keras_transfer.data.from_arrays(*train, batch_size=32, seed=0)
test_texts = tf.constant(test.x)
print(f"{len(train.x)} train / {len(test.x)} test snippets")

teacher = keras_transfer.build_text_classifier("minilm_l6", num_classes=2, trainable=False)
teacher.fit(train_ds, epochs=TEACHER_EPOCHS, verbose=2)

"""
## The student

`build_student` reuses the teacher's preprocessor (WordPiece ids; no
weights) and finds the vocabulary size from the teacher encoder's word
embeddings. Everything after the tokenizer is a nested model,
`token_classifier`, which matters for TFLite below.
"""

student = keras_transfer.build_student(teacher, architecture="cnn", units=64,
                                       embedding_dim=32)
student.summary()

"""
## Distillation

`distill` minimises `a * CE(labels, student) + (1 - a) * T^2 * KL(teacher_T ||
student_T)` with `a = student_loss_weight` and temperature `T`. The teacher is
frozen; the student is trained in place. For comparison, a second student
with the same seed is trained on the labels alone.
"""

keras.utils.set_random_seed(1)
baseline_student = keras_transfer.build_student(teacher, architecture="cnn", units=64,
                                                embedding_dim=32)
baseline_student.fit(train_ds, epochs=STUDENT_EPOCHS, verbose=0)

history = keras_transfer.distill(teacher, student, train_ds, epochs=STUDENT_EPOCHS,
                                 temperature=3.0, student_loss_weight=0.5, verbose=2)
print("distillation loss per epoch:",
      [round(v, 4) for v in history.history["distillation_loss"]])

"""
## TFLite: post-training quantisation

The tokenizer's string ops (`StringSplit`, WordPiece) are not TFLite builtins,
and converting the teacher says so. The student's `token_classifier` (token
ids and mask -> probabilities) converts; on a device the tokenizer runs
beside it. We quantise it two ways and run it with the TFLite interpreter
on the tokens of the test set. (`--smoke` skips the teacher's attempt: the
converter works through the whole MiniLM graph before it refuses.)
"""

if not args.smoke:
    try:
        keras_transfer.export.convert_to_tflite(teacher,
                                                os.path.join(output_dir, "teacher.tflite"))
    except ValueError as error:
        print(f"Teacher conversion refused: {str(error)[:160]}...")

token_model = student.get_layer("token_classifier")
tokens = student.get_layer("preprocessor")(test_texts)
tokens = {key: keras.ops.convert_to_numpy(tokens[key]).astype("int32")
          for key in ("input_word_ids", "input_mask")}
tflite_paths = {
    quantization: keras_transfer.export.convert_to_tflite(
        token_model, os.path.join(output_dir, f"student_{quantization}.tflite"),
        quantization=quantization)
    for quantization in ("dynamic_range", "float16")
}
keras_probabilities = token_model.predict(tokens, verbose=0)
for quantization, path in tflite_paths.items():
    difference = np.abs(keras_transfer.export.predict_tflite(path, tokens)
                        - keras_probabilities).max()
    print(f"{quantization}: max |TFLite - Keras| probability difference {difference:.2e}")

"""
## Compare

Keras models are measured on raw strings; the TFLite files on the token ids
(their tokenizer time is not included).
"""

report = keras_transfer.compression_report(
    {"teacher": teacher, "student (labels only)": baseline_student,
     "student (distilled)": student}, test_texts, test.y, num_calls=LATENCY_CALLS)
report.update(keras_transfer.compression_report(
    {f"student tflite {q}": path for q, path in tflite_paths.items()},
    tokens, test.y, num_calls=LATENCY_CALLS))
print(f"{'model':30s} {'accuracy':>8s} {'params':>10s} {'MB':>8s} {'ms':>8s}")
for name, row in report.items():
    params = "-" if row["num_params"] is None else f"{row['num_params']:,}"
    print(f"{name:30s} {row['accuracy']:8.4f} {params:>10s} "
          f"{row['size_bytes'] / 1e6:8.2f} {row['latency_ms']:8.2f}")

"""
## Serve the student

The student takes raw strings like the teacher, so it exports for TF Serving
unchanged.
"""

path = keras_transfer.export.export_for_serving(
    student, os.path.join(output_dir, "student_serving"), class_names=list(train.class_names),
    warmup=False)
served = tf.saved_model.load(path).signatures["serving_default"](text=test_texts[:4])
print("served:", [name.decode() for name in served["class_name"].numpy()])

teacher_row, student_row = report["teacher"], report["student (distilled)"]
print()
print("Results")
print(f"  teacher accuracy:                    {teacher_row['accuracy']:.4f}")
print(f"  student accuracy (labels only):      {report['student (labels only)']['accuracy']:.4f}")
print(f"  student accuracy (distilled):        {student_row['accuracy']:.4f}")
for quantization in tflite_paths:
    print(f"  student tflite {quantization} accuracy: "
          f"{report[f'student tflite {quantization}']['accuracy']:.4f}")
print(f"  parameter ratio (teacher/student):   "
      f"{teacher_row['num_params'] / student_row['num_params']:.1f}")
print(f"  size ratio (teacher/student int8):   "
      f"{teacher_row['size_bytes'] / report['student tflite dynamic_range']['size_bytes']:.1f}")
