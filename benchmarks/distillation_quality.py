"""Distilling a fine-tuned MiniLM-L6 classifier into small students, and quantising them.

Prints one JSON object (conventions of harness.py: one JSON object on
stdout, progress on stderr, a record per run; the dataset sample is fixed,
seed 0). Issue #15's compression target: a student that keeps >= 95% of
the teacher's accuracy at <= 1/3 of its single-example latency.

    python benchmarks/distillation_quality.py [--quick] [--seeds 3]
        [--architectures cnn,bilstm] [--student-epochs 5]

Rotten Tomatoes (`keras_transfer.data`), 2000 train / 1000 test snippets.

- teacher: `build_text_classifier("minilm_l6")` fine-tuned with
  `keras_transfer.fine_tune` at text_quality.py's recipe settings (peak
  2e-4, decay 1.0, slanted triangular, plan auto; `--teacher-epochs` total
  epochs, a third of them head-only). It is trained ONCE, with seed 0, and
  reused by every student seed: the seeds vary the students only.
- <arch>_distilled: `build_student(teacher, architecture=<arch>)` (the
  teacher's tokenizer, then token embeddings 64-d -> Conv1D(64, 3) + masked
  max pool, or a BiLSTM(64)) trained with `keras_transfer.distill`
  (`keras.distillation.Distiller` + `LogitsDistillation`, temperature
  `--temperature`, label weight `--student-loss-weight`, Adam 1e-3) on the
  same 2000 labelled snippets (no extra transfer set), `--student-epochs`.
- <arch>_labels_only: the same student, same seed and epochs, trained with
  `fit` on the labels alone (the baseline distillation must beat).
- cnn_distilled_tflite_<q>: the distilled CNN's `token_classifier` (token ids
  and mask -> probabilities; the tokenizer's string ops are not TFLite
  builtins) converted with `keras_transfer.export.convert_to_tflite` at
  `float32` (no quantisation), `dynamic_range` (int8 weights) and `float16`,
  run with `tf.lite.Interpreter` on the test set's token ids. The BiLSTM does
  not convert with builtin ops (`TensorListReserve`), so it has no such rows.

Every row: accuracy, macro F1, `num_params`, `size_bytes` (the SavedModel
`keras_transfer.compression_report` writes: graph and weights, one
endpoint; for a TFLite row, the file), `serving_export_bytes` (the folder
`keras_transfer.export.export_for_serving` writes: raw-string and tensor
signatures, no warmup file) and `latency_ms`: the median of
`--latency-calls` warm single-example calls, the same harness for every
model (`compression_report`: a traced `tf.function` on one raw string for
Keras models; the interpreter's signature runner on one example's token ids
for TFLite rows, which leaves the tokenizer out). Latency depends on what
else runs on the machine; the ratios are measured in one process, minutes
apart. `target` compares the mean distilled CNN with the teacher.

Full mode: 2000 / 1000, teacher 2 epochs (1 head + 1), students 5 epochs,
CNN, 3 seeds, 30 latency calls. Not run yet: its duration is extrapolated
from text_quality.py's full run on this machine (2 CPU cores), not
measured. There, `fine_tune` on the same 2000 snippets for 2 epochs took
161-228 s (bfloat16 encoder; float32 is 1.25-1.33x slower, so ~4 min here)
and a frozen MiniLM-L6 pass over the 2000 snippets 41 s. Distillation runs
the frozen teacher on every batch, so each distillation epoch costs about
that pass (~41 s; the CNN's own step is small): 3 seeds x 5 epochs x ~45 s
~11 min; labels-only students ~1 min; the teacher's test pass and exports,
the students' reports and 9 TFLite conversions ~2-3 min: about 18 minutes
in all, under the 25-minute budget (8 student epochs would be ~23 minutes).
Quick mode: 96 / 64, 2 + 2 epochs, 1 seed, 5 latency calls: checks the
machinery only (its teacher takes fine_tune's LP-FT plan: 48 labels per
class).
"""

import argparse
import logging
import os
import statistics
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

import harness  # noqa: E402
import keras_transfer  # noqa: E402
from keras_transfer import data  # noqa: E402

logger = logging.getLogger("benchmarks.distillation_quality")

BACKBONE = "minilm_l6"
DATASET = "rotten_tomatoes"
BATCH_SIZE = 32
TEACHER_RECIPE = {"learning_rate": 2e-4, "decay": 1.0, "schedule": "slanted_triangular"}
QUANTIZATIONS = {"float32": None, "dynamic_range": "dynamic_range", "float16": "float16"}
# Row keys summarised as mean and std over seeds, besides harness.summarize's.
MEASURES = ("num_params", "size_bytes", "serving_export_bytes", "latency_ms")
TARGET_ACCURACY_SHARE = 0.95
TARGET_LATENCY_SHARE = 1 / 3


def folder_bytes(folder):
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _, names in os.walk(folder) for name in names)


def serving_export_bytes(model, class_names, folder):
    """Bytes of the `export_for_serving` version folder (no warmup file)."""
    path = keras_transfer.export.export_for_serving(
        model, folder, class_names=list(class_names), warmup=False)
    return folder_bytes(path)


def report_rows(models, x, y, args, class_names, folder):
    """`compression_report` rows, plus the serving export's bytes for Keras models."""
    report = keras_transfer.compression_report(models, x, y,
                                               num_calls=args.latency_calls)
    for name, model in models.items():
        row = report[name]
        row["serving_export_bytes"] = (
            serving_export_bytes(model, class_names, os.path.join(folder, "serving", name))
            if not isinstance(model, str) else None)
    return report


def record(seed, row, seconds, epochs, **extra):
    """One run: a report row in harness.run_record's shape."""
    return {"seed": seed, "accuracy": round(row["accuracy"], 4),
            "macro_f1": round(row["macro_f1"], 4), "seconds": round(seconds, 3),
            "epochs": epochs, **{key: row.get(key) for key in MEASURES}, **extra}


def summarize(runs):
    """harness.summarize plus mean and std of the size and latency measures."""
    summary = harness.summarize(runs)
    for key in MEASURES:
        values = [r[key] for r in runs if r.get(key) is not None]
        summary[key] = ({"mean": round(statistics.fmean(values), 4),
                         "std": round(statistics.pstdev(values), 4)} if values else None)
    return summary


def target(methods, teacher_name="teacher", student_name="cnn_distilled"):
    """Issue #15's target: the student's share of the teacher's accuracy and latency."""
    teacher, student = methods.get(teacher_name), methods.get(student_name)
    if not teacher or not student:
        return None
    accuracy_share = student["accuracy"]["mean"] / teacher["accuracy"]["mean"]
    latency_share = student["latency_ms"]["mean"] / teacher["latency_ms"]["mean"]
    return {"student": student_name,
            "accuracy_share": round(accuracy_share, 4),
            "latency_share": round(latency_share, 4),
            "accuracy_share_needed": TARGET_ACCURACY_SHARE,
            "latency_share_allowed": round(TARGET_LATENCY_SHARE, 4),
            "met": bool(accuracy_share >= TARGET_ACCURACY_SHARE
                        and latency_share <= TARGET_LATENCY_SHARE)}


def train_dataset(split, seed):
    return data.from_arrays(split.x, split.y, class_names=split.class_names,
                            modality="text", batch_size=BATCH_SIZE, shuffle=True,
                            seed=seed)


def train_teacher(args, train):
    """Fine-tunes MiniLM-L6 once (seed 0); returns (teacher, seconds, info)."""
    harness.seed_everything(0)
    teacher = keras_transfer.build_text_classifier(BACKBONE, len(train.class_names),
                                                   trainable=False)
    head_epochs, epochs = harness.recipe_split(args.teacher_epochs, 1 / 3)
    with harness.Timer() as t:
        history = keras_transfer.fine_tune(teacher, train_dataset(train, 0), epochs=epochs,
                                           head_epochs=head_epochs, verbose=0,
                                           **TEACHER_RECIPE)
    plan = getattr(history, "plan", None)
    return teacher, t.seconds, {"head_epochs": head_epochs,
                                "plan": plan.get("plan") if isinstance(plan, dict) else plan}


def train_student(args, teacher, train, architecture, distilled, seed):
    """One student; returns (student, seconds)."""
    harness.seed_everything(seed)
    student = keras_transfer.build_student(teacher, architecture=architecture)
    train_ds = train_dataset(train, seed)
    with harness.Timer() as t:
        if distilled:
            keras_transfer.distill(teacher, student, train_ds, epochs=args.student_epochs,
                                   temperature=args.temperature,
                                   student_loss_weight=args.student_loss_weight, verbose=0)
        else:
            student.fit(train_ds, epochs=args.student_epochs, verbose=0)
    return student, t.seconds


def test_tokens(student, texts):
    """The token ids and mask a text student's `token_classifier` reads."""
    import keras

    tokens = student.get_layer("preprocessor")(texts)
    return {key: keras.ops.convert_to_numpy(tokens[key]).astype("int32")
            for key in ("input_word_ids", "input_mask")}


def tflite_records(student, tokens, y, args, seed, folder):
    """The distilled CNN's token classifier as TFLite at each quantisation."""
    token_model = student.get_layer("token_classifier")
    paths, seconds = {}, {}
    for name, quantization in QUANTIZATIONS.items():
        with harness.Timer() as t:
            paths[name] = keras_transfer.export.convert_to_tflite(
                token_model, os.path.join(folder, f"student_{seed}_{name}.tflite"),
                quantization=quantization)
        seconds[name] = t.seconds
    report = keras_transfer.compression_report(paths, tokens, y,
                                               num_calls=args.latency_calls)
    # `seconds`: the conversion (the student's training is in cnn_distilled).
    return {name: record(seed, dict(row, serving_export_bytes=None), seconds[name], None,
                         quantization=name)
            for name, row in report.items()}


DESCRIPTIONS = {
    "teacher": "MiniLM-L6 fine-tuned with keras_transfer.fine_tune (seed 0, once)",
    "distilled": "build_student('{arch}') trained with keras_transfer.distill "
                 "(keras.distillation, T={temperature:g}, label weight {alpha:g})",
    "labels_only": "build_student('{arch}') trained with fit on the labels only",
    "tflite": "the distilled CNN's token_classifier as TFLite ({quantization}), "
              "token ids in (tokenizer not timed)",
}


def run(args):
    train = data.load_dataset(DATASET, "train", num_examples=args.train, seed=0)
    test = data.load_dataset(DATASET, "test", num_examples=args.test, seed=0)
    import tensorflow as tf

    texts = tf.constant(test.x)
    runs, descriptions = {}, {}

    def add(name, description, run_record):
        runs.setdefault(name, []).append(run_record)
        descriptions[name] = description

    with harness.Timer() as total, tempfile.TemporaryDirectory() as folder:
        logger.info("teacher: fine-tuning on %d snippets", len(train.y))
        teacher, seconds, teacher_info = train_teacher(args, train)
        row = report_rows({"teacher": teacher}, texts, test.y, args, train.class_names,
                          folder)["teacher"]
        add("teacher", DESCRIPTIONS["teacher"],
            record(0, row, seconds, args.teacher_epochs, **teacher_info))
        logger.info("teacher: %s", runs["teacher"][-1])
        tokens = None
        for seed in range(args.seeds):
            for architecture in args.architectures:
                students = {}
                for distilled in (False, True):
                    name = f"{architecture}_{'distilled' if distilled else 'labels_only'}"
                    students[name] = train_student(args, teacher, train, architecture,
                                                   distilled, seed)
                rows = report_rows({n: s for n, (s, _) in students.items()}, texts, test.y,
                                   args, train.class_names, folder)
                for name, (_, seconds) in students.items():
                    kind = "distilled" if name.endswith("distilled") else "labels_only"
                    add(name, DESCRIPTIONS[kind].format(
                        arch=architecture, temperature=args.temperature,
                        alpha=args.student_loss_weight),
                        record(seed, rows[name], seconds, args.student_epochs))
                    logger.info("seed %d: %s %s", seed, name, runs[name][-1])
                if architecture == "cnn":
                    student = students["cnn_distilled"][0]
                    if tokens is None:
                        tokens = test_tokens(student, texts)
                    for name, tflite in tflite_records(student, tokens, test.y, args, seed,
                                                       folder).items():
                        add(f"cnn_distilled_tflite_{name}",
                            DESCRIPTIONS["tflite"].format(quantization=name), tflite)
                        logger.info("seed %d: TFLite %s %s", seed, name, tflite)
    methods = {name: {"description": descriptions[name], **summarize(method_runs),
                      "epochs": method_runs[0]["epochs"], "runs": method_runs}
               for name, method_runs in runs.items()}
    return {
        "benchmark": "distillation_quality",
        "mode": harness.mode_name(args.quick),
        "seeds": list(range(args.seeds)),
        "teacher_seeds": [0],
        "dataset": DATASET,
        "backbone": BACKBONE,
        "train_examples": int(len(train.y)),
        "test_examples": int(len(test.y)),
        "test_majority_share": round(float(np.bincount(test.y).max() / len(test.y)), 4),
        "settings": {"batch_size": BATCH_SIZE, "teacher_epochs": args.teacher_epochs,
                     "teacher_recipe": TEACHER_RECIPE,
                     "student_epochs": args.student_epochs,
                     "architectures": list(args.architectures),
                     "temperature": args.temperature,
                     "student_loss_weight": args.student_loss_weight,
                     "latency_calls": args.latency_calls},
        "methods": methods,
        "target": target(methods),
        "total_seconds": round(total.seconds, 1),
        "environment": harness.environment(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="96 train / 64 test, 2 + 2 epochs, 1 seed: checks the "
                        "machinery only")
    parser.add_argument("--seeds", type=int, default=None,
                        help="student seeds (the teacher is trained once, seed 0); "
                        "default 3 (quick: 1)")
    parser.add_argument("--train", type=int, default=None, help="default 2000 (quick: 96)")
    parser.add_argument("--test", type=int, default=None, help="default 1000 (quick: 64)")
    parser.add_argument("--teacher-epochs", type=int, default=None,
                        help="the teacher's total fine_tune epochs; default 2")
    parser.add_argument("--student-epochs", type=int, default=None,
                        help="epochs of every student; default 5 (quick: 2)")
    parser.add_argument("--architectures", default=None,
                        type=lambda text: [a.strip() for a in text.split(",") if a.strip()],
                        help="build_student architectures, comma-separated; default cnn")
    parser.add_argument("--temperature", type=float, default=3.0)
    parser.add_argument("--student-loss-weight", type=float, default=0.5)
    parser.add_argument("--latency-calls", type=int, default=None,
                        help="timed single-example calls per model; default 30 (quick: 5)")
    args = harness.apply_defaults(
        parser.parse_args(),
        {"seeds": 1, "train": 96, "test": 64, "teacher_epochs": 2, "student_epochs": 2,
         "architectures": ["cnn"], "latency_calls": 5},
        {"seeds": 3, "train": 2000, "test": 1000, "teacher_epochs": 2, "student_epochs": 5,
         "architectures": ["cnn"], "latency_calls": 30})
    harness.setup_logging()
    harness.quiet_warnings()
    harness.emit(run(args))


if __name__ == "__main__":
    main()
