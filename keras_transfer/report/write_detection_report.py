"""`write_detection_report`: the Markdown report of a detection run, with its figures."""

import json
import os

from keras_transfer.report import common
from keras_transfer.report.build_detections_figure import build_detections_figure
from keras_transfer.report.build_learning_curves_figure import build_learning_curves_figure

REPORT_FILE = "report.md"
LEARNING_CURVES_FILE = "learning_curves.png"
DETECTIONS_FILE = "detections.png"


def write_detection_report(run_dir, history, evaluation, images, ground_truth, predictions,
                           title="Detection report", score_threshold=0.25, extra=None,
                           config=None):
    """Writes `report.md` for a detector: mAP, per-class AP, curves, boxes on photos.

    Sections: a summary (mAP@0.5, mAP@0.75, mAP@[.5:.95] from
    `keras_transfer.evaluation.evaluate_detections`, epochs, final loss),
    the learning curves (`learning_curves.png`), a per-class table (AP@0.5,
    AP@[.5:.95], true boxes), the first test photos with true and predicted
    boxes (`detections.png`, `build_detections_figure`), run details and
    the configuration.

    Args:
        run_dir: str or path. Created if missing.
        history: `keras.callbacks.History`, dict of per-epoch lists, or `None`.
        evaluation: dict from `evaluate_detections`.
        images: list of test photos (uint8 `[height, width, 3]`).
        ground_truth: list of `ImageBoxes`, one per photo.
        predictions: list of `ImageBoxes` with `scores`, one per photo.
        title: str. Defaults to `"Detection report"`.
        score_threshold: float. Predictions drawn from this score. Defaults
            to 0.25.
        extra: dict of run details. Defaults to `None`.
        config: dict. The run's configuration. Defaults to `None`.

    Returns:
        The path of `report.md`.

    Raises:
        ImportError: if matplotlib is not installed.
    """
    os.makedirs(run_dir, exist_ok=True)
    history = getattr(history, "history", history) or {}
    losses = history.get("loss") or []
    rows = [["mAP@0.5", common.format_number(evaluation.get("map_50"))],
            ["mAP@0.75", common.format_number(evaluation.get("map_75"))],
            ["mAP@[.5:.95]", common.format_number(evaluation.get("map"))],
            ["Test images", str(len(ground_truth))],
            ["Epochs", str(len(losses))]]
    if losses:
        rows.append(["Final training loss", common.format_number(float(losses[-1]))])
    sections = [f"# {common.escape_markdown(title)}",
                "## Summary\n\n" + common.markdown_table(["Metric", "Value"], rows, ["l", "r"])]
    figure = build_learning_curves_figure(history)
    if figure is not None:
        common.save_figure(figure, os.path.join(run_dir, LEARNING_CURVES_FILE))
        sections.append(f"## Learning curves\n\n![Learning curves]({LEARNING_CURVES_FILE})")
    sections.append(_per_class_section(evaluation))
    figure = build_detections_figure(images, ground_truth, predictions, score_threshold)
    if figure is not None:
        common.save_figure(figure, os.path.join(run_dir, DETECTIONS_FILE))
        sections.append(
            f"## Predicted boxes on test photos\n\nSolid red: predictions scoring at least "
            f"{score_threshold:g} (class and score); dashed green: true boxes.\n\n"
            f"![Predicted boxes]({DETECTIONS_FILE})")
    if extra:
        detail_rows = [[common.escape_markdown(key), common.format_number(value)]
                       for key, value in extra.items()]
        sections.append("## Run details\n\n" + common.markdown_table(["Item", "Value"],
                                                                     detail_rows))
    if config is not None:
        text = json.dumps(config, indent=2, sort_keys=True, default=str)
        fence = "```"
        while fence in text:
            fence += "`"
        sections.append(f"## Configuration\n\n{fence}json\n{text}\n{fence}")
    path = os.path.join(os.fspath(run_dir), REPORT_FILE)
    with open(path, "w", encoding="utf-8") as file:
        file.write("\n\n".join(sections) + "\n")
    return path


def _per_class_section(evaluation):
    at_50 = evaluation.get("per_class_50") or {}
    rows = [[common.escape_markdown(name), common.format_number(at_50.get(name)),
             common.format_number(evaluation["per_class"].get(name)), str(count)]
            for name, count in evaluation.get("num_ground_truth", {}).items()]
    note = ("\n\nClasses without true boxes in the test split have no AP (left out of the "
            "means).")
    return ("## Per-class average precision\n\n"
            + common.markdown_table(["Class", "AP@0.5", "AP@[.5:.95]", "True boxes"], rows,
                                    ["l", "r", "r", "r"]) + note)
