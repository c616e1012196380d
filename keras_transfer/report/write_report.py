"""`write_report`: a Markdown training report with its figures, in a run directory."""

import json
import numbers
import os

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.report import common
from keras_transfer.report import inputs
from keras_transfer.report.build_confusion_matrix_figure import build_confusion_matrix_figure
from keras_transfer.report.build_learning_curves_figure import build_learning_curves_figure
from keras_transfer.report.build_per_class_figure import build_per_class_figure
from keras_transfer.report.build_reliability_diagram_figure import build_reliability_diagram_figure
from keras_transfer.report.thumbnails import save_thumbnail

REPORT_FILE = "report.md"
LEARNING_CURVES_FILE = "learning_curves.png"
CONFUSION_MATRIX_FILE = "confusion_matrix.png"
PER_CLASS_FILE = "per_class.png"
RELIABILITY_DIAGRAM_FILE = "reliability_diagram.png"
# Thumbnail of the worst prediction of rank r (1-based).
WORST_EXAMPLE_FILE = "worst_{rank}.png"

_MOST_CONFUSED_ROWS = 10
_EXAMPLE_CHARS = 200
# Metrics compared with `extra["baseline"]`: key, label.
_SUMMARY_METRICS = (
    ("accuracy", "Accuracy"),
    ("macro_f1", "Macro F1"),
    ("weighted_f1", "Weighted F1"),
    ("macro_precision", "Macro precision"),
    ("macro_recall", "Macro recall"),
    ("log_loss", "Log loss"),
)


@keras_transfer_export(["keras_transfer.write_report",
                        "keras_transfer.report.write_report"])
def write_report(run_dir, history, evaluation, stages=None, group_learning_rates=None,
                 title="Training report", extra=None, plan=None, examples=None,
                 cross_validation=None):
    """Writes `report.md` and its figures into `run_dir`.

    The report holds: a summary table (data size, accuracy, F1, log loss,
    calibration, epochs and final losses; with a baseline in `extra`, before
    and after columns and the change), the learning curves
    (`learning_curves.png`, see `keras_transfer.build_learning_curves_figure`),
    the unfreezing stages and per-group learning rates, the confusion matrix
    (`confusion_matrix.png`), per-class metrics (`per_class.png` and a
    table), the most confused class pairs, the worst-predicted examples
    shown as their inputs, the calibration (expected calibration error, a
    reliability diagram `reliability_diagram.png`, see
    `keras_transfer.build_reliability_diagram_figure`, and a table of the
    bins), a cross-validation table when `cross_validation` is given, and
    the run details and configuration from `extra`. Sections
    without data are left out. Epochs are shown 1-based, as Keras prints
    them.

    A worst-predicted example is shown as text (escaped for Markdown and cut
    to 200 characters: texts, file names such as audio files), as a
    thumbnail `worst_<rank>.png` of at most 96 pixels a side (images:
    arrays `(h, w)`, `(h, w, 1)`, `(h, w, 3)` or `(h, w, 4)`), or else by
    the description `evaluate_classifier` gives and its index. The input is
    taken from `examples` when given, else from the evaluation (which holds
    texts and array descriptions, not pixels).

    Args:
        run_dir: str or path. Directory to write into; created if missing.
        history: `keras.callbacks.History` or dict of per-epoch lists, or
            `None`.
        evaluation: dict. The result of `keras_transfer.evaluate_classifier`
            or `keras_transfer.predict_and_evaluate`, or `None`.
        stages: list of dicts. `ProgressiveUnfreezing.stages`:
            `{"epoch": e, "stage": s, "trainable_groups": [...]}` with 0-based
            epochs. Defaults to `None`.
        group_learning_rates: list of dicts. `DiscriminativeLR.history`:
            `{"epoch": e, group: rate, ...}`. Defaults to `None`.
        title: str. The report's title. Defaults to `"Training report"`.
        plan: dict. The training plan (`history.plan` from
            `keras_transfer.fine_tune`): `plan`, `reason` and any other
            entries, shown in a "Strategy" section after the summary.
            Defaults to `None` (no section).
        extra: dict. Optional `"baseline"` (the accuracy before fine-tuning,
            or a dict of metrics such as another `evaluate_classifier`
            result), optional `"config"` (the configuration used, shown as
            JSON), and any other entries, shown in a "Run details" table.
            Defaults to `None`.
        examples: the inputs that the evaluation's example indices refer
            to: an array or list indexed by position (what was passed to
            `evaluate_classifier`), or a dict from index to input holding
            just the worst-predicted examples. Defaults to `None`.
        cross_validation: dict. The result of `keras_transfer.cross_validate`,
            shown as a "Cross-validation" section after the strategy: accuracy
            and macro F1 of each fold, their mean ± std and 95% confidence
            interval. Defaults to `None` (no section).

    Returns:
        The path of `run_dir/report.md`, as a str.

    Raises:
        ImportError: if matplotlib is not installed (the `report` extra).
        ValueError: if an argument does not have the shape described.

    Example:

    ```python
    history = model.fit(train, validation_data=val, epochs=4,
                        callbacks=[unfreezing, discriminative_lr])
    evaluation = keras_transfer.predict_and_evaluate(model, val, class_names)
    keras_transfer.write_report("runs/flowers", history, evaluation,
                                stages=unfreezing.stages,
                                group_learning_rates=discriminative_lr.history,
                                extra={"baseline": 0.62, "config": config})
    ```
    """
    if not isinstance(run_dir, (str, os.PathLike)):
        raise ValueError(f"`run_dir` must be a path. Received: run_dir={run_dir!r}")
    if not isinstance(title, str) or not title.strip():
        raise ValueError(f"`title` must be a non-empty string. Received: title={title!r}")
    if extra is not None and not isinstance(extra, dict):
        raise ValueError(f"`extra` must be a dict or None. Received: extra={extra!r}")
    if evaluation is not None and (not isinstance(evaluation, dict)
                                   or "confusion_matrix" not in evaluation):
        received = (f"a dict with keys {sorted(evaluation)}" if isinstance(evaluation, dict)
                    else type(evaluation).__name__)
        raise ValueError(
            "`evaluation` must be the dict returned by `keras_transfer.evaluate_classifier` "
            f"or None. Received: {received}")
    if examples is not None and (isinstance(examples, (str, bytes))
                                 or not hasattr(examples, "__getitem__")):
        raise ValueError("`examples` must be an array, a list or a dict from example index to "
                         f"input. Received: examples of type {type(examples).__name__}")
    if plan is not None and (not isinstance(plan, dict) or "plan" not in plan):
        raise ValueError("`plan` must be a dict with a 'plan' entry (`history.plan` from "
                         f"`keras_transfer.fine_tune`) or None. Received: plan={plan!r}")
    if cross_validation is not None and (not isinstance(cross_validation, dict)
                                         or not {"folds", "summary"} <= set(cross_validation)):
        raise ValueError("`cross_validation` must be the dict returned by "
                         "`keras_transfer.cross_validate` or None. Received: "
                         f"{type(cross_validation).__name__}")
    extra = dict(extra or {})
    baseline = _baseline(extra.pop("baseline", None))
    config = extra.pop("config", None)
    epochs, metrics = inputs.history_dict(history)
    stage_entries = inputs.stage_list(stages)
    lr_epochs, rates = inputs.learning_rate_dict(group_learning_rates)

    os.makedirs(run_dir, exist_ok=True)
    sections = [f"# {common.escape_markdown(title)}"]
    sections.append(_summary(evaluation, baseline, epochs, metrics))
    if plan is not None:
        sections.append(_strategy_section(plan))
    if cross_validation is not None:
        sections.append(_cross_validation_section(cross_validation))

    figure = build_learning_curves_figure(history, stages, group_learning_rates)
    if figure is not None:
        common.save_figure(figure, os.path.join(run_dir, LEARNING_CURVES_FILE))
        sections.append(f"## Learning curves\n\n![Learning curves]({LEARNING_CURVES_FILE})")
    if stage_entries:
        sections.append(_stages_section(stage_entries))
    if rates:
        sections.append(_learning_rates_section(lr_epochs, rates))
    if evaluation is not None:
        common.save_figure(build_confusion_matrix_figure(evaluation),
                           os.path.join(run_dir, CONFUSION_MATRIX_FILE))
        common.save_figure(build_per_class_figure(evaluation),
                           os.path.join(run_dir, PER_CLASS_FILE))
        sections.append(f"## Confusion matrix\n\n![Confusion matrix]({CONFUSION_MATRIX_FILE})")
        sections.append(_per_class_section(evaluation))
        sections.append(_most_confused_section(evaluation))
        sections.append(_worst_section(evaluation, examples, run_dir))
        if evaluation.get("calibration_bins"):
            common.save_figure(build_reliability_diagram_figure(evaluation),
                               os.path.join(run_dir, RELIABILITY_DIAGRAM_FILE))
        sections.append(_calibration_section(evaluation))
    if extra:
        rows = [[common.escape_markdown(key), _detail(value)] for key, value in extra.items()]
        sections.append("## Run details\n\n" + common.markdown_table(["Item", "Value"], rows))
    if config is not None:
        sections.append("## Configuration\n\n" + _code_block(
            json.dumps(config, indent=2, sort_keys=True, default=str), "json"))

    path = os.path.join(os.fspath(run_dir), REPORT_FILE)
    with open(path, "w", encoding="utf-8") as file:
        file.write("\n\n".join(sections) + "\n")
    return path


def _strategy_section(plan):
    lines = [f"Plan: **{common.escape_markdown(str(plan['plan']))}**."]
    if plan.get("reason"):
        lines.append(f"Why: {common.escape_markdown(str(plan['reason']))}.")
    rows = [[common.escape_markdown(key), _detail(value)] for key, value in plan.items()
            if key not in ("plan", "reason")]
    text = "## Strategy\n\n" + "\n\n".join(lines)
    if rows:
        text += "\n\n" + common.markdown_table(["Item", "Value"], rows)
    return text


def _cross_validation_section(result):
    folds = result["folds"]
    lead = (f"Stratified {len(folds)}-fold cross-validation over {result.get('num_examples')} "
            "examples: a fresh model per fold, scored on the fold it did not train on. Mean "
            "± sample std over the folds; 95% confidence interval from Student's t with "
            f"{len(folds) - 1} degrees of freedom (somewhat too narrow: the folds' training "
            "sets overlap).")
    rows = [[str(fold["fold"] + 1), str(fold["train_size"]), str(fold["test_size"]),
             common.format_number(fold["accuracy"]), common.format_number(fold["macro_f1"])]
            for fold in folds]
    summary = result["summary"]
    rows.append(["Mean ± std", "", ""] + [
        f"{common.format_number(summary[key]['mean'])} ± "
        f"{common.format_number(summary[key]['std'])}" for key in ("accuracy", "macro_f1")])
    rows.append(["95% CI", "", ""] + [
        f"[{common.format_number(summary[key]['ci95_low'])}, "
        f"{common.format_number(summary[key]['ci95_high'])}]" for key in ("accuracy", "macro_f1")])
    return "## Cross-validation\n\n" + lead + "\n\n" + common.markdown_table(
        ["Fold", "Trained on", "Held out", "Accuracy", "Macro F1"], rows,
        ["l", "r", "r", "r", "r"])


def _baseline(baseline):
    if baseline is None:
        return {}
    if isinstance(baseline, numbers.Real) and not isinstance(baseline, bool):
        return {"accuracy": float(baseline)}
    if isinstance(baseline, dict):
        return {key: float(value) for key, value in baseline.items()
                if isinstance(value, numbers.Real) and not isinstance(value, bool)}
    raise ValueError(
        "`extra['baseline']` must be the accuracy before fine-tuning (a number) or a dict of "
        f"metrics such as `evaluate_classifier`'s. Received: {baseline!r}")


def _summary(evaluation, baseline, epochs, metrics):
    rows = []
    if evaluation is not None:
        rows.append(["Examples evaluated", str(evaluation.get("num_examples", "\u2013")),
                     None])
        rows.append(["Classes", str(evaluation.get("num_classes", "\u2013")), None])
        for key, label in _SUMMARY_METRICS:
            if key in evaluation:
                rows.append([label, evaluation[key], baseline.get(key)])
        if "expected_calibration_error" in evaluation:
            bins = len(evaluation.get("calibration_bins") or [])
            rows.append([f"Expected calibration error ({bins} bins)",
                         evaluation["expected_calibration_error"],
                         baseline.get("expected_calibration_error")])
    if epochs:
        rows.append(["Epochs trained", str(len(epochs)), None])
        for key, label in (("loss", "Final training loss"),
                           ("val_loss", "Final validation loss")):
            if metrics.get(key):
                rows.append([label, metrics[key][-1], None])
        accuracy = inputs.accuracy_key(metrics)
        if accuracy and metrics.get("val_" + accuracy):
            values = metrics["val_" + accuracy]
            best = max(range(len(values)), key=lambda i: values[i])
            rows.append([f"Best validation accuracy (epoch {epochs[best]})", values[best],
                         None])
    if not rows:
        return "## Summary\n\nNo history or evaluation was given."
    if baseline:
        table = [[label, common.format_number(before), common.format_number(value),
                  _change(value, before)] for label, value, before in rows]
        return "## Summary\n\n" + common.markdown_table(
            ["Metric", "Before", "After", "Change"], table, ["l", "r", "r", "r"])
    table = [[label, common.format_number(value)] for label, value, _ in rows]
    return "## Summary\n\n" + common.markdown_table(["Metric", "Value"], table, ["l", "r"])


def _change(value, before):
    if before is None or not isinstance(value, numbers.Real):
        return "\u2013"
    return f"{value - before:+.4f}"


def _stages_section(stages):
    rows = []
    for stage in stages:
        start = (f"epoch {stage['position'] + 1}" if stage["unit"] == "epoch"
                 else f"step {stage['position']}")
        groups = stage["trainable_groups"]
        rows.append([str(stage["stage"]), start, str(len(groups)),
                     ", ".join(common.escape_markdown(g) for g in groups)])
    return "## Unfreezing stages\n\n" + common.markdown_table(
        ["Stage", "Starts at", "Trainable groups", "Groups (input side first)"], rows,
        ["r", "l", "r", "l"])


def _learning_rates_section(epochs, rates):
    rows = [[common.escape_markdown(name), _rate(values[0]), _rate(values[-1])]
            for name, values in rates.items()]
    return ("## Learning rates per group\n\n" + common.markdown_table(
        ["Group", f"Epoch {epochs[0]}", f"Epoch {epochs[-1]}"], rows, ["l", "r", "r"]))


def _rate(value):
    return "\u2013" if value != value else f"{value:.3g}"


def _per_class_section(evaluation):
    rows = [[common.escape_markdown(row["name"]), common.format_number(row["precision"]),
             common.format_number(row["recall"]), common.format_number(row["f1"]),
             str(row["support"])] for row in evaluation["per_class"]]
    return (f"## Per-class metrics\n\n![Per-class metrics]({PER_CLASS_FILE})\n\n"
            + common.markdown_table(["Class", "Precision", "Recall", "F1", "Support"], rows,
                                    ["l", "r", "r", "r", "r"]))


def _most_confused_section(evaluation):
    pairs = evaluation.get("most_confused") or []
    if not pairs:
        return "## Most confused pairs\n\nNo example was misclassified."
    rows = [[common.escape_markdown(p["true"]), common.escape_markdown(p["predicted"]),
             str(p["count"]), f"{p['fraction_of_true']:.1%}"]
            for p in pairs[:_MOST_CONFUSED_ROWS]]
    note = (f"\n\nShowing {_MOST_CONFUSED_ROWS} of {len(pairs)} pairs."
            if len(pairs) > _MOST_CONFUSED_ROWS else "")
    return "## Most confused pairs\n\n" + common.markdown_table(
        ["True class", "Predicted class", "Count", "Share of true class"], rows,
        ["l", "l", "r", "r"]) + note


def _worst_section(evaluation, examples, run_dir):
    worst = evaluation.get("worst_predictions") or []
    if not worst:
        return "## Worst predictions\n\nNone recorded."
    inputs = [_worst_input(w, examples, rank, run_dir) for rank, w in enumerate(worst, 1)]
    with_examples = any(cell for cell in inputs)
    header = ["Rank", "Index", "True", "Predicted", "P(predicted)", "P(true)"]
    align = ["r", "r", "l", "l", "r", "r"]
    if with_examples:
        header.append("Example")
        align.append("l")
    rows = []
    for rank, (w, cell) in enumerate(zip(worst, inputs), start=1):
        row = [str(rank), str(w["index"]), common.escape_markdown(w["true"]),
               common.escape_markdown(w["predicted"]) + ("" if not w["correct"] else " (correct)"),
               f"{w['confidence']:.3f}", f"{w['true_probability']:.3f}"]
        if with_examples:
            row.append(cell or "\u2013")
        rows.append(row)
    return ("## Worst predictions\n\nThe examples whose true class got the lowest "
            "probability (the top losses).\n\n" + common.markdown_table(header, rows, align))


def _worst_input(entry, examples, rank, run_dir):
    """The Markdown cell showing a worst prediction's input ("" when there is none)."""
    example = _lookup(examples, entry["index"])
    if example is not None:
        text = _text(example)
        if text is not None:
            return common.escape_markdown(text, _EXAMPLE_CHARS)
        name = WORST_EXAMPLE_FILE.format(rank=rank)
        if save_thumbnail(example, os.path.join(run_dir, name)):
            return f"![example {entry['index']}]({name})"
    if "example" not in entry:
        return ""
    text = common.escape_markdown(entry["example"], _EXAMPLE_CHARS)
    return text if entry.get("example_type") != "array" else f"_{text}_"


def _lookup(examples, index):
    if examples is None:
        return None
    if isinstance(examples, dict):
        return examples.get(index)
    if not 0 <= index < len(examples):
        return None
    return examples[index]


def _text(example):
    if hasattr(example, "numpy") and not hasattr(example, "__array_interface__"):
        example = example.numpy()
    if getattr(example, "ndim", None) == 0 and hasattr(example, "item"):
        example = example.item()
    if isinstance(example, bytes):
        return example.decode("utf-8", "replace")
    if isinstance(example, (str, os.PathLike)):
        return os.fspath(example)
    return None


def _calibration_section(evaluation):
    bins = [b for b in evaluation.get("calibration_bins") or [] if b["count"]]
    if not bins:
        return "## Calibration\n\nNo calibration bins recorded."
    rows = [[f"({b['lower']:.2f}, {b['upper']:.2f}]", str(b["count"]),
             f"{b['accuracy']:.3f}", f"{b['confidence']:.3f}",
             f"{b['confidence'] - b['accuracy']:+.3f}"] for b in bins]
    ece = evaluation.get("expected_calibration_error")
    total = len(evaluation["calibration_bins"])
    lead = (f"Expected calibration error ({total} equal-width bins, Guo et al. 2017): "
            f"{ece:.4f}.\n\n" if ece is not None else "")
    return ("## Calibration\n\n" + lead
            + f"![Reliability diagram]({RELIABILITY_DIAGRAM_FILE})\n\n"
            + common.markdown_table(
                ["Confidence", "Examples", "Accuracy", "Mean confidence",
                 "Over-confidence"], rows, ["l", "r", "r", "r", "r"]))


def _detail(value):
    if isinstance(value, (str, numbers.Number)) or value is None:
        return common.format_number(value) if not isinstance(value, str) \
            else common.escape_markdown(value)
    text = json.dumps(value, sort_keys=True, default=str)
    return common.escape_markdown(text, 300)


def _code_block(text, language):
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}{language}\n{text}\n{fence}"
