"""The `fit` pipeline for object detection (`--task detection` or `--data digits_on_photos`).

data (`detection_data.py`: a VOC / COCO / YOLO folder or the built-in
digits on photos) → `build_detector` on `--backbone` (a registry backbone
with a feature map) → plain `model.fit` on photos padded to a square and
resized (`keras_transfer.detection.network_input`, the serving graph's
preprocessing) against their boxes moved the same way
(`square_resize_boxes`), each epoch on a fresh box-aware augmentation
(`augment_boxes`: scale and crop, no flips, since flipping is wrong for
some classes such as digits) → COCO mAP
on the test split (`detect_objects` at a low score threshold, then
`evaluate_detections`) → `.keras` + a TF Serving export (image bytes ->
boxes, `export_detector`) → a report with per-class AP and predicted boxes
drawn on test photos. The label-budget plans, schedules and discriminative
rates of classifier `fit` are not built for detectors, so those options
are refused rather than ignored.
"""

import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from keras_transfer.cli.detection_data import is_detection_source
from keras_transfer.cli.errors import UsageError
from keras_transfer.recipes import defaults as recipe
from keras_transfer.utils.messages import say

TASK = "detection"
# mAP ranks every detection: evaluate at a low score threshold (COCO practice).
EVALUATION_SCORE_THRESHOLD = 0.05
# What the serving export and `predict` report (darknet's display default).
SCORE_THRESHOLD = 0.25
IOU_THRESHOLD = 0.45
MAX_DETECTIONS = 100
# Box-aware augmentation drawn afresh every epoch (`augment_boxes`).
TRAINING_AUGMENTATION = {"flip": 0.0, "scale_range": (0.75, 1.25)}


def is_detection_config(config):
    """Whether `fit` trains a detector: `--task detection`, or detection `--data`."""
    return config.get("task") == TASK or is_detection_source(config.get("data"))


def check_detection_config(config):
    """Refuses the classifier-only options."""
    refused = [flag for flag, value, default in (
        ("--plan", config.get("plan"), recipe.PLAN),
        ("--baseline-epochs", config.get("baseline_epochs"), None),
        ("--schedule", config.get("schedule"), recipe.SCHEDULE),
        ("--decay", config.get("decay"), recipe.DECAY),
        ("--folds", config.get("folds"), None),
        ("--precision", config.get("precision"), None),
        ("--strategy", config.get("strategy"), "auto"),
        ("--workers", config.get("workers", 1), 1)) if value != default]
    if refused:
        raise UsageError(f"{', '.join(refused)}: classifier options; detection trains with "
                         "plain fine-tuning (--epochs, --learning-rate, --batch-size, "
                         "--unfreeze all|none, --image-size; docs/detection.md)")
    if config["epochs"] < 1:
        raise UsageError(f"--epochs must be >= 1 for detection, got {config['epochs']}")
    if config.get("task") not in (None, TASK):
        raise UsageError(f"--data {config['data']} is a detection dataset; --task "
                         f"{config['task']} does not fit it (use --task detection)")


def run_detection(config, verbose=1):
    """Trains, evaluates, exports and reports a detector; returns the metrics dict."""
    import keras

    from keras_transfer.cli.detection_data import load_detection_data
    from keras_transfer.cli.run_dir import prepare_run_dir
    from keras_transfer.detection.detect_objects import detect_objects, network_input
    from keras_transfer.detection.detector_spec import detector_spec
    from keras_transfer.detection.square_resize import square_resize_boxes
    from keras_transfer.evaluation.evaluate_detections import evaluate_detections
    from keras_transfer.models.build_detector import build_detector

    started = time.perf_counter()
    check_detection_config(config)
    data = load_detection_data(config["data"], config.get("num_train"), config.get("num_test"),
                               config["seed"])
    if not data.train_images or not data.test_images:
        raise UsageError(f"--data {config['data']}: the train and test splits must both hold "
                         "images")
    run_dir = prepare_run_dir(config)
    keras.utils.set_random_seed(config["seed"])
    class_names = list(data.class_names)
    say(f"Data: {data.description}; classes: {class_names}", verbose)

    trainable = config.get("unfreeze") != "none"
    model = build_detector(config["backbone"], len(class_names),
                           image_size=config.get("image_size"), trainable=trainable,
                           learning_rate=config.get("learning_rate"), seed=config["seed"])
    spec = detector_spec(model, class_names=class_names)
    learning_rate = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    say(f"Detector: {config['backbone']} features + YOLOv2 head, input "
        f"{spec['input_size'][0]}x{spec['input_size'][1]}; training "
        f"{'every layer' if trainable else 'the head only (--unfreeze none)'} with Adam at "
        f"{learning_rate:g} for {config['epochs']} epochs", verbose)
    images = np.stack([network_input(image, spec).numpy() for image in data.train_images])
    boxes = [square_resize_boxes(item, spec["input_size"]) for item in data.train_boxes]
    history = _fit(model, images, boxes, config, verbose)
    del images

    predicted = detect_objects(model, data.test_images, class_names=class_names,
                               score_threshold=EVALUATION_SCORE_THRESHOLD,
                               iou_threshold=IOU_THRESHOLD, max_detections=MAX_DETECTIONS)
    predicted = [found._replace(image_id=truth.image_id)
                 for found, truth in zip(predicted, data.test_boxes)]
    evaluation = evaluate_detections(data.test_boxes, predicted)
    say(f"Test mAP@0.5 {_format(evaluation['map_50'])}, mAP@[.5:.95] "
        f"{_format(evaluation['map'])}", verbose)

    model.save(run_dir / "model.keras")
    metrics = {"backbone": config["backbone"], "data": config["data"], "task": TASK,
               "classes": class_names, "input_size": list(spec["input_size"]),
               "detection": {key: evaluation[key] for key in ("map_50", "map", "map_75")},
               "per_class_ap": evaluation["per_class"],
               "per_class_ap_50": evaluation["per_class_50"],
               "thresholds": {"evaluation_score": EVALUATION_SCORE_THRESHOLD,
                              "score": SCORE_THRESHOLD, "iou": IOU_THRESHOLD,
                              "max_detections": MAX_DETECTIONS},
               "num_train": len(data.train_images), "num_test": len(data.test_images),
               "loss": [float(v) for v in history["loss"]]}
    if config.get("export", True):
        from keras_transfer.export.export_detector import export_detector

        serving = export_detector(model, run_dir / "serving", class_names=class_names,
                                  score_threshold=SCORE_THRESHOLD, iou_threshold=IOU_THRESHOLD,
                                  max_detections=MAX_DETECTIONS)
        metrics["serving_export"] = str(serving)
        say(f"TF Serving export (image bytes -> boxes, scores, classes): {serving}", verbose)
    metrics["seconds"] = round(time.perf_counter() - started, 1)
    import tensorflow as tf

    metrics["environment"] = {"python": platform.python_version(), "tensorflow": tf.__version__,
                              "keras": keras.__version__, "machine": platform.machine(),
                              "cpus": os.cpu_count()}
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    (run_dir / "config.json").write_text(json.dumps(
        {k: list(v) if isinstance(v, tuple) else v for k, v in config.items()}, indent=2))
    (run_dir / "evaluation.json").write_text(json.dumps(evaluation, indent=2))
    metrics["report"] = _report(run_dir, history, evaluation, data, predicted, metrics,
                                config, verbose)
    return metrics


def _fit(model, images, boxes, config, verbose):
    """`model.fit` one epoch at a time, each on a fresh box-aware augmentation
    (`TRAINING_AUGMENTATION`) of every network-sized image; the losses."""
    from keras_transfer.detection.augment_boxes import augment_boxes
    from keras_transfer.detection.pad_boxes import pad_boxes

    rng = np.random.default_rng(config["seed"])
    max_boxes = max(1, max(len(item.boxes) for item in boxes))
    losses = []
    for epoch in range(config["epochs"]):
        pairs = [augment_boxes(image, item, rng, **TRAINING_AUGMENTATION)
                 for image, item in zip(images, boxes)]
        history = model.fit(np.stack([image for image, _ in pairs]),
                            pad_boxes([item for _, item in pairs], max_boxes),
                            epochs=1, batch_size=config["batch_size"], shuffle=True, verbose=0)
        losses += [float(v) for v in history.history["loss"]]
        say(f"epoch {epoch + 1}/{config['epochs']}: loss {losses[-1]:.4f}", verbose)
    return {"loss": losses}


def _format(value):
    return "n/a" if value is None else f"{value:.4f}"


def _report(run_dir, history, evaluation, data, predicted, metrics, config, verbose):
    try:
        from keras_transfer.report.write_detection_report import write_detection_report
    except ImportError as error:
        say(f"No report: {error}", verbose)
        return None
    try:
        path = write_detection_report(
            run_dir, history, evaluation, data.test_images, data.test_boxes, predicted,
            title=f"{config['backbone']} on {config['data']} (detection)",
            score_threshold=SCORE_THRESHOLD,
            extra={"train images": metrics["num_train"], "test images": metrics["num_test"],
                   "input size": "x".join(map(str, metrics["input_size"])),
                   "seconds": metrics["seconds"]},
            config=config)
    except ImportError as error:  # matplotlib missing
        say(f"No report: {error}", verbose)
        return None
    return str(path)


def summary_lines(metrics):
    """The result lines `fit` prints for a detector."""
    scores = metrics["detection"]
    lines = ["", "Results",
             f"  test mAP@0.5: {_format(scores['map_50'])}, mAP@[.5:.95]: "
             f"{_format(scores['map'])} ({metrics['num_test']} images)"]
    if metrics.get("report"):
        lines.append(f"  report: {metrics['report']}")
    if metrics.get("serving_export"):
        lines.append(f"  TF Serving export: {metrics['serving_export']}")
    lines.append(f"  time: {metrics['seconds']:.0f} s")
    return lines


def is_detection_run(model_path):
    """Whether `--model` (a run directory or its `.keras` file) holds a detection run."""
    path = Path(model_path)
    metrics = (path if path.is_dir() else path.parent) / "metrics.json"
    if not metrics.is_file():
        return False
    try:
        return json.loads(metrics.read_text()).get("task") == TASK
    except (ValueError, OSError):
        return False


def export_run(model, model_path, output, version=None, class_names=None):
    """`export --model RUN` on a detection run: `export_detector` with the run's thresholds."""
    from keras_transfer.export.export_detector import export_detector

    metrics = json.loads((Path(model_path).parent / "metrics.json").read_text())
    thresholds = metrics.get("thresholds", {})
    return export_detector(model, output, class_names=class_names or metrics["classes"],
                           version=version,
                           score_threshold=thresholds.get("score", SCORE_THRESHOLD),
                           iou_threshold=thresholds.get("iou", IOU_THRESHOLD),
                           max_detections=thresholds.get("max_detections", MAX_DETECTIONS))


def predict_run(model_path, files, unsafe=False):
    """`predict --model RUN` on a detection run: rows of (file, class, score, box)."""
    from keras_transfer.cli.detection_data import read_image
    from keras_transfer.cli.model_loading import load_keras_model
    from keras_transfer.detection.detect_objects import detect_objects

    model, path = load_keras_model(model_path, unsafe)
    metrics = json.loads((Path(path).parent / "metrics.json").read_text())
    thresholds = metrics.get("thresholds", {})
    rows = []
    for name in files:
        if not os.path.isfile(name):
            raise UsageError(f"{name} is not a file (a detector takes image files)")
        try:
            image = read_image(name)
        except (ValueError, OSError) as error:
            raise UsageError(str(error)) from None
        (found,) = detect_objects(model, [image], class_names=metrics["classes"],
                                  score_threshold=thresholds.get("score", SCORE_THRESHOLD),
                                  iou_threshold=thresholds.get("iou", IOU_THRESHOLD),
                                  max_detections=thresholds.get("max_detections",
                                                                MAX_DETECTIONS))
        rows.append((name, [(found.class_names[c], float(s), b.tolist())
                            for b, c, s in zip(found.boxes, found.class_ids, found.scores)]))
    return rows


def served_rows(name, outputs):
    """The detections of one served request (an `export_detector` signature's outputs)."""
    count = int(outputs["num_detections"].numpy()[0])
    names = outputs["class_names"].numpy()[0]
    return (name, [(names[i].decode("utf-8", "replace"), float(outputs["scores"].numpy()[0, i]),
                    outputs["boxes"].numpy()[0, i].tolist()) for i in range(count)])


def print_rows(rows):
    """One line per box: file, class, score, x_min y_min x_max y_max (pixels)."""
    for name, boxes in rows:
        if not boxes:
            print(f"{name}\t(no detections)")
        for class_name, score, box in boxes:
            print(f"{name}\t{class_name}\t{score:.4f}\t" + " ".join(f"{v:.1f}" for v in box))
