"""The `fit` pipeline shared by `keras-transfer fit` and `keras-transfer demo`.

data → plan by label budget (`--plan`, `keras_transfer.choose_plan`) → with
`--folds K`, K-fold cross-validation of the same recipe on the training split
(`run_cross_validation.py`) → model → `fine_tune`: linear probe on cached
features (the frozen baseline), then, for `lp_ft`, progressive unfreezing
with discriminative learning rates →
evaluation → `.keras` + TF Serving export → report (with a "Strategy"
section). Every artefact goes into one run directory. Token-classification
datasets take the tagging pipeline of `run_tag.py` instead.
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
from keras_transfer.cli.run_dir import prepare_run_dir
from keras_transfer.cli.run_tag import is_tagging_data, run_tag
from keras_transfer.recipes import defaults as recipe
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
    from keras_transfer.distribute.chief import is_chief
    from keras_transfer.distribute.strategy import get_strategy
    from keras_transfer.evaluation.predict_and_evaluate import predict_and_evaluate
    from keras_transfer.recipes.fine_tune import fine_tune

    from keras_transfer.cli.run_detect import is_detection_config, run_detection

    if is_detection_config(config):
        return run_detection(config, verbose), None, None
    if config.get("task") == "asr":
        from keras_transfer.cli.run_asr import run_asr

        return run_asr(config, verbose), None, None
    started = time.perf_counter()
    # First, before any TensorFlow op: MultiWorkerMirroredStrategy (TF_CONFIG,
    # `fit --workers`) configures the runtime's collective ops.
    strategy = get_strategy(config.get("strategy", "auto"))
    chief = is_chief(strategy)
    backbone = check_backbone(config["backbone"],
                              config.get("task") or dataset_modality(config["data"]))
    if is_tagging_data(config["data"]):
        return run_tag(config, backbone, verbose), None, None
    # Other workers of a cluster write only temporary copies (`_write_path`).
    run_dir = prepare_run_dir(config) if chief else Path(config["output"])
    keras.utils.set_random_seed(config["seed"])

    source = load_source(config["data"], config.get("task"), config["batch_size"],
                         config.get("num_train"), config.get("num_test"), config["seed"],
                         config.get("image_size"))
    say(f"Data: {source.description}; classes: {source.class_names}", verbose)
    build = _builder(source.modality)
    kwargs = dict(num_classes=len(source.class_names), trainable=False,
                  precision=config.get("precision"), strategy=strategy)
    if source.modality == "image" and config.get("image_size"):
        kwargs["image_size"] = config["image_size"]

    def build_model():
        return build(backbone, **kwargs)

    metrics = {"backbone": config["backbone"], "data": config["data"],
               "classes": source.class_names}
    chosen = _choose_plan(config, source.train)
    # One recipe for the model of `fit` and for every --folds model.
    recipe_options = dict(plan=chosen["argument"], epochs=config["epochs"],
                          head_epochs=recipe.HEAD_EPOCHS,
                          probe_epochs=config.get("baseline_epochs") or None,
                          learning_rate=config["learning_rate"], decay=config["decay"],
                          schedule=config["schedule"],
                          gradual_unfreezing=config["unfreeze"] != "all")
    say(f"Backbone: {config['backbone']} (first use converts the pretrained weights)", verbose)
    cross_validation = None
    if config.get("folds"):
        from keras_transfer.cli.run_cross_validation import run_cross_validation, summarise

        def train_fold(fold_model, train_data):
            fine_tune(fold_model, train_data, verbose=0, **recipe_options)

        cross_validation = run_cross_validation(config, source, build_model, train_fold,
                                                verbose)
        metrics["cross_validation"] = summarise(cross_validation)
        (run_dir / "cross_validation.json").write_text(
            json.dumps(_jsonable(cross_validation), indent=2))
        # The model of `fit` starts from the same seed as without --folds.
        keras.utils.set_random_seed(config["seed"])
    model = build_model()

    if chosen.get("forced_by"):
        say(f"Plan: {chosen['plan']} ({chosen['reason']})", verbose)
    baseline_at_start = _EvaluateAtStart(source)
    if chosen["plan"] == "full":
        say(f"Fine-tuning: head {recipe.HEAD_EPOCHS} epoch(s) through the frozen backbone, "
            f"then {config['epochs']} epochs", verbose)
    elif chosen["plan"] == "lp_ft":
        say(f"Linear probe on cached features, then fine-tuning: {config['epochs']} epochs, "
            f"{'gradual unfreezing' if config['unfreeze'] != 'all' else 'all groups unfrozen'}"
            f", discriminative LR (decay {config['decay']}), {config['schedule']} schedule",
            verbose)
    history = fine_tune(model, source.train, validation_data=source.test,
                        callbacks=[baseline_at_start] if chosen["plan"] == "lp_ft" else None,
                        verbose=verbose, **recipe_options)
    metrics["plan"] = _jsonable({**history.plan, **({"reason": chosen["reason"]}
                                                     if chosen.get("forced_by") else {})})
    evaluation = predict_and_evaluate(model, source.test, class_names=source.class_names)
    baseline = baseline_at_start.result
    if chosen["plan"] == "linear_probe":
        baseline = evaluation
    if baseline is not None:
        metrics["baseline"] = {"accuracy": baseline["accuracy"],
                               "macro_f1": baseline["macro_f1"]}
        say(f"Frozen baseline (linear probe) accuracy: {baseline['accuracy']:.4f}", verbose)
    metrics["fine_tuned"] = {"accuracy": evaluation["accuracy"],
                             "macro_f1": evaluation["macro_f1"]}
    before = ("frozen baseline not measured (plan full trains no probe)"
              if "baseline" not in metrics
              else f"frozen baseline {metrics['baseline']['accuracy']:.4f}")
    say(f"Accuracy: {before} -> final ({chosen['plan']}) {evaluation['accuracy']:.4f}",
        verbose)

    # Every worker saves and exports (reading variables can take part in
    # collective ops); only the chief's files stay.
    model.save(_write_path(run_dir / "model.keras", strategy))
    serving = None
    if config.get("export", True):
        from keras_transfer.export.export_for_serving import export_for_serving

        serving = export_for_serving(model, _write_path(run_dir / "serving", strategy),
                                     class_names=source.class_names, modality=source.modality,
                                     image_size=_image_size(config, source.modality))
        metrics["serving_export"] = str(serving)
        say(f"TF Serving export: {serving}", verbose and chief)
    if not chief:
        tf.io.gfile.rmtree(os.path.dirname(_write_path(run_dir / "model.keras", strategy)))
        return metrics, model, source

    metrics["seconds"] = round(time.perf_counter() - started, 1)
    metrics["environment"] = {"python": platform.python_version(), "tensorflow": tf.__version__,
                              "keras": keras.__version__, "machine": platform.machine(),
                              "cpus": os.cpu_count()}
    (run_dir / "metrics.json").write_text(json.dumps(_jsonable(metrics), indent=2))
    (run_dir / "config.json").write_text(json.dumps(_jsonable(config), indent=2))
    (run_dir / "evaluation.json").write_text(json.dumps(_jsonable(evaluation), indent=2))
    report = _report(run_dir, history, evaluation, metrics, config, verbose,
                     _worst_inputs(source, evaluation), cross_validation)
    metrics["report"] = str(report) if report else None
    return metrics, model, source


def _write_path(path, strategy):
    """`path` on the chief, `<run dir>/workertemp_<id>/<name>` on other workers."""
    from keras_transfer.distribute.chief import worker_write_path

    path = Path(worker_write_path(path, strategy))
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _choose_plan(config, train):
    """`--plan`, or the plan for the smallest class's size (`choose_plan`)."""
    from keras_transfer.recipes.choose_plan import choose_plan

    labels = np.concatenate([np.asarray(y).reshape(-1) if np.ndim(y) < 2
                             else np.argmax(y, -1) for _, y in train])
    counts = np.bincount(labels.astype("int64"))
    smallest = int(counts[counts > 0].min())
    plan = config.get("plan") or "auto"
    no_probe = config["baseline_epochs"] == 0
    no_fine_tuning = config["unfreeze"] == "none" or config["epochs"] == 0
    if no_probe and no_fine_tuning:
        raise UsageError("--baseline-epochs 0 with --epochs 0 or --unfreeze none trains "
                         "nothing; drop one of them")
    if plan == "auto" and (no_probe or no_fine_tuning):
        plan = "full" if no_probe else "linear_probe"
        chosen = choose_plan(smallest, plan)
        chosen["forced_by"] = "--baseline-epochs 0" if no_probe else "--epochs 0 / --unfreeze none"
        chosen["reason"] = ("--baseline-epochs 0: no linear probe" if no_probe else
                            "--epochs 0 or --unfreeze none: no fine-tuning")
        chosen["argument"] = plan
        return chosen
    if no_probe and plan in ("linear_probe", "lp_ft"):
        raise UsageError(f"--plan {plan} trains a linear probe; --baseline-epochs must be > 0")
    if no_fine_tuning and plan in ("lp_ft", "full"):
        raise UsageError(f"--plan {plan} fine-tunes; --epochs must be > 0 and --unfreeze "
                         "not none")
    # fine_tune counts the labels again and gives the reason itself.
    return {**choose_plan(smallest, plan), "argument": plan}


class _EvaluateAtStart(keras.callbacks.Callback):
    """Test metrics of the linear probe: evaluated when fine-tuning starts."""

    def __init__(self, source):
        super().__init__()
        self.source = source
        self.result = None

    def on_train_begin(self, logs=None):
        from keras_transfer.evaluation.predict_and_evaluate import predict_and_evaluate

        self.result = predict_and_evaluate(self.model, self.source.test,
                                           class_names=self.source.class_names)


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


def _worst_inputs(source, evaluation):
    """The report's inputs of the worst predictions: images read back from the test
    split (which is never shuffled, so indices match), audio file names when the
    split has them; `None` for text (the evaluation holds it)."""
    if source.modality == "audio":
        return getattr(source.test, "file_paths", None)
    if source.modality != "image":
        return None
    wanted = {w["index"] for w in evaluation.get("worst_predictions", [])}
    found, start = {}, 0
    for batch in source.test:
        if not wanted or start > max(wanted):
            break
        images = batch[0]
        size = int(images.shape[0])
        for index in sorted(wanted & set(range(start, start + size))):
            found[index] = images[index - start].numpy()
        start += size
    return found


def _report(run_dir, history, evaluation, metrics, config, verbose, examples=None,
            cross_validation=None):
    try:
        from keras_transfer.report.write_report import write_report
    except ImportError as error:  # matplotlib missing
        say(f"No report: {error}", verbose)
        return None
    extra = {"baseline": metrics.get("baseline"), "config": config,
             "seconds": metrics.get("seconds")}
    plan = metrics.get("plan")
    return write_report(run_dir, history.history if history else {}, evaluation,
                        stages=getattr(history, "stages", None),
                        group_learning_rates=getattr(history, "group_learning_rates", None),
                        title=f"{config['backbone']} on {config['data']}", extra=extra,
                        plan=plan, examples=examples, cross_validation=cross_validation)


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
