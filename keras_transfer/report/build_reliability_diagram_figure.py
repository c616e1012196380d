"""`build_reliability_diagram_figure`: accuracy against confidence, per calibration bin."""

import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.report import common


@keras_transfer_export(["keras_transfer.build_reliability_diagram_figure",
                        "keras_transfer.report.build_reliability_diagram_figure"])
def build_reliability_diagram_figure(evaluation):
    """Draws the reliability diagram of `evaluation["calibration_bins"]`.

    The top panel is Guo et al.'s (2017) reliability diagram: one bar per
    non-empty confidence bin, as high as the accuracy of the bin's examples,
    with the gap to the bin's mean confidence shaded in red (above the bar:
    over-confident, inside it: under-confident), and the diagonal that a
    perfectly calibrated model follows. The title gives the expected
    calibration error. The bottom panel shows how many examples fall in each
    bin.

    Args:
        evaluation: dict. The result of `keras_transfer.evaluate_classifier`
            (or `keras_transfer.predict_and_evaluate`).

    Returns:
        A `matplotlib.figure.Figure` with two axes: the diagram and the
        histogram of confidences.

    Raises:
        ImportError: if matplotlib is not installed.
        ValueError: if `evaluation` has no calibration bins.

    Example:

    ```python
    result = keras_transfer.evaluate_classifier(y, probabilities)
    keras_transfer.build_reliability_diagram_figure(result).savefig("reliability.png")
    ```
    """
    if not isinstance(evaluation, dict) or not evaluation.get("calibration_bins"):
        raise ValueError(
            "`evaluation` must be the dict returned by `keras_transfer.evaluate_classifier`. "
            f"Received: {type(evaluation).__name__} without `calibration_bins`.")
    bins = evaluation["calibration_bins"]
    lower = np.array([b["lower"] for b in bins], dtype=np.float64)
    upper = np.array([b["upper"] for b in bins], dtype=np.float64)
    counts = np.array([b["count"] for b in bins], dtype=np.int64)
    accuracy = np.array([b["accuracy"] for b in bins], dtype=np.float64)
    confidence = np.array([b["confidence"] for b in bins], dtype=np.float64)
    filled = counts > 0
    width = upper - lower

    figure = common.new_figure((5.5, 6.2), "build_reliability_diagram_figure")
    diagram, histogram = figure.subplots(2, 1, sharex=True,
                                         gridspec_kw={"height_ratios": [3, 1]})
    diagram.bar(lower[filled], accuracy[filled], width=width[filled], align="edge",
                color="tab:blue", edgecolor="0.2", linewidth=0.6, label="Accuracy")
    gap_bottom = np.minimum(accuracy, confidence)[filled]
    diagram.bar(lower[filled], np.abs(confidence - accuracy)[filled], bottom=gap_bottom,
                width=width[filled], align="edge", color="tab:red", alpha=0.3,
                edgecolor="tab:red", hatch="//", linewidth=0.6, label="Gap to confidence")
    diagram.plot([0, 1], [0, 1], linestyle="--", color="0.4", linewidth=1.0,
                 label="Perfect calibration")
    diagram.set_xlim(0.0, 1.0)
    diagram.set_ylim(0.0, 1.0)
    diagram.set_ylabel("Accuracy")
    diagram.grid(True, alpha=0.3)
    diagram.legend(loc="upper left", fontsize=8)
    ece = evaluation.get("expected_calibration_error")
    title = f"Reliability diagram ({len(bins)} bins)"
    if ece is not None:
        title += f", ECE = {ece:.4f}"
    diagram.set_title(title, fontsize=10)

    histogram.bar(lower, counts, width=width, align="edge", color="0.55", edgecolor="0.2",
                  linewidth=0.6)
    histogram.set_xlabel("Confidence (highest predicted probability)")
    histogram.set_ylabel("Examples")
    histogram.grid(True, axis="y", alpha=0.3)
    return figure
