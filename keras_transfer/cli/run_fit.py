"""The `fit` pipeline shared by `keras-transfer fit` and `keras-transfer demo`.

data → model → frozen baseline on cached features → progressive unfreezing
with discriminative learning rates → evaluation → `.keras` + TF Serving export
→ report. Every artefact goes into one run directory.
"""

import json
import os
import platform
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.cli.data_source import check_backbone, dataset_modality, load_source
from keras_transfer.cli.errors import UsageError
from keras_transfer.utils.messages import say

BUILDERS = {
    "image": "keras_transfer.models.build_image_classifier:build_image_classifier",
    "text": "keras_transfer.models.build_text_classifier:build_text_classifier",
    "audio": "keras_transfer.models.build_audio_classifier:build_audio_classifier",
}


def _builder(modality):
    import importlib

    module, _, name = BUILDERS[modality].partition(":")
    return getattr(importlib.import_module(module), name)


def run_fit(config, verbose=1):
    """Runs the pipeline for a config dict (the CLI's arguments); returns the metrics."""
    from keras_transfer.distribute.strategy import get_strategy
    from keras_transfer.evaluation.predict_and_evaluate import predict_and_evaluate
    from keras_transfer.features.feature_cache import FeatureCache
    from keras_transfer.recipes.fine_tune import fine_tune

    started = time.perf_counter()
    check_backbone(config["backbone"], config.get("task") or dataset_modality(config["data"]))
    run_dir = Path(config["output"])
    if run_dir.exists() and any(run_dir.iterdir()) and not config.get("overwrite"):
        raise UsageError(f"--output {run_dir} already holds a run; pick another folder "
                         "or pass --overwrite")
    run_dir.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(config["seed"])

    source = load_source(config["data"], config.get("task"), config["batch_size"],
                         config.get("num_train"), config.get("num_test"), config["seed"],
                         config.get("image_size"))
    say(f"Data: {source.description}; classes: {source.class_names}", verbose)
    strategy = get_strategy(config.get("strategy", "auto"))
    build = _builder(source.modality)
    kwargs = dict(num_classes=len(source.class_names), trainable=False,
                  precision=config.get("precision"), strategy=strategy)
    if source.modality == "image" and config.get("image_size"):
        kwargs["image_size"] = config["image_size"]
    say(f"Backbone: {config['backbone']} (first use converts the pretrained weights)", verbose)
    model = build(config["backbone"], **kwargs)

    metrics = {"backbone": config["backbone"], "data": config["data"],
               "classes": source.class_names}
    baseline = None
    if config["baseline_epochs"] > 0:
        say(f"Frozen baseline: head on cached backbone features, "
            f"{config['baseline_epochs']} epochs", verbose)
        cache = FeatureCache(model)
        t0 = time.perf_counter()
        train_features = cache.extract(source.train, shuffle=True, seed=config["seed"])
        extract_s = time.perf_counter() - t0
        cache.fit(train_features, epochs=config["baseline_epochs"], verbose=0)
        baseline = predict_and_evaluate(model, source.test, class_names=source.class_names)
        metrics["baseline"] = {"accuracy": baseline["accuracy"],
                               "macro_f1": baseline["macro_f1"],
                               "feature_extraction_seconds": round(extract_s, 1)}
        say(f"Frozen baseline accuracy: {baseline['accuracy']:.4f}", verbose)
        del train_features

    history = None
    if config["unfreeze"] != "none" and config["epochs"] > 0:
        gradual = config["unfreeze"] == "gradual"
        say(f"Fine-tuning: {config['epochs']} epochs, "
            f"{'gradual unfreezing' if gradual else 'all groups unfrozen'}, "
            f"discriminative LR (decay {config['decay']}), {config['schedule']} schedule", verbose)
        history = fine_tune(model, source.train, epochs=config["epochs"],
                            head_epochs=0 if baseline is not None else 1,
                            learning_rate=config["learning_rate"], decay=config["decay"],
                            schedule=config["schedule"], gradual_unfreezing=gradual,
                            validation_data=source.test,
                            verbose=verbose)
    evaluation = predict_and_evaluate(model, source.test, class_names=source.class_names)
    metrics["fine_tuned"] = {"accuracy": evaluation["accuracy"],
                             "macro_f1": evaluation["macro_f1"]}
    say(f"Accuracy: frozen baseline {metrics.get('baseline', {}).get('accuracy', float('nan')):.4f}"
        f" -> fine-tuned {evaluation['accuracy']:.4f}", verbose)

    model_path = run_dir / "model.keras"
    model.save(model_path)
    serving = None
    if config.get("export", True):
        from keras_transfer.export.export_for_serving import export_for_serving

        serving = export_for_serving(model, run_dir / "serving", class_names=source.class_names,
                                     modality=source.modality,
                                     image_size=_image_size(config, source.modality))
        metrics["serving_export"] = str(serving)
        say(f"TF Serving export: {serving}", verbose)

    metrics["seconds"] = round(time.perf_counter() - started, 1)
    metrics["environment"] = {"python": platform.python_version(), "tensorflow": tf.__version__,
                              "keras": keras.__version__, "machine": platform.machine(),
                              "cpus": os.cpu_count()}
    (run_dir / "metrics.json").write_text(json.dumps(_jsonable(metrics), indent=2))
    (run_dir / "config.json").write_text(json.dumps(_jsonable(config), indent=2))
    (run_dir / "evaluation.json").write_text(json.dumps(_jsonable(evaluation), indent=2))
    report = _report(run_dir, history, evaluation, metrics, config, verbose)
    metrics["report"] = str(report) if report else None
    return metrics, model, source


def _image_size(config, modality):
    """The training image size, for the serving graph's decoder."""
    if modality != "image":
        return None
    if config.get("image_size"):
        return tuple(config["image_size"])
    from keras_transfer.backbones.registry import BACKBONES

    entry = BACKBONES.get(config["backbone"])
    if entry and entry.get("input", {}).get("shape"):
        return tuple(entry["input"]["shape"][:2])
    raise UsageError("--image-size H W is needed to export a model on a backbone handle")


def _report(run_dir, history, evaluation, metrics, config, verbose):
    try:
        from keras_transfer.report.write_report import write_report
    except ImportError as error:  # matplotlib missing
        say(f"No report: {error}", verbose)
        return None
    extra = {"baseline": metrics.get("baseline"), "config": config,
             "seconds": metrics.get("seconds")}
    return write_report(run_dir, history.history if history else {}, evaluation,
                        stages=getattr(history, "stages", None),
                        group_learning_rates=getattr(history, "group_learning_rates", None),
                        title=f"{config['backbone']} on {config['data']}", extra=extra)


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, (Path,)):
        return str(value)
    return value
