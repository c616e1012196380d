"""`build_per_class_figure`: per-class precision, recall and F1 as bars."""

import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.report import common
from keras_transfer.utils.argument_validation import check_int

_NAME_LIMIT = 28
_METRICS = (("precision", "Precision", "tab:blue"), ("recall", "Recall", "tab:orange"),
            ("f1", "F1", "tab:green"))


@keras_transfer_export(["keras_transfer.build_per_class_figure",
                        "keras_transfer.report.build_per_class_figure"])
def build_per_class_figure(evaluation, max_classes=50):
    """Draws each class's precision, recall and F1 as horizontal bars.

    Classes are listed top to bottom in class order, labelled with their
    support; a dotted line marks the macro F1. With more than `max_classes`
    classes only the `max_classes` with the lowest F1 are drawn, worst on top.

    Args:
        evaluation: dict. The result of `keras_transfer.evaluate_classifier`.
        max_classes: int. The most classes drawn. Defaults to 50.

    Returns:
        A `matplotlib.figure.Figure`.

    Raises:
        ImportError: if matplotlib is not installed.
        ValueError: if `evaluation` has no per-class results or `max_classes`
            is not a positive integer.

    Example:

    ```python
    result = keras_transfer.evaluate_classifier(y, probabilities, class_names)
    keras_transfer.build_per_class_figure(result).savefig("per_class.png")
    ```
    """
    if not isinstance(evaluation, dict) or not evaluation.get("per_class"):
        raise ValueError(
            "`evaluation` must be the dict returned by `keras_transfer.evaluate_classifier`. "
            f"Received: {type(evaluation).__name__} without `per_class` results.")
    check_int(max_classes, "max_classes", minimum=1)
    rows = list(evaluation["per_class"])
    title = "Per-class precision, recall and F1"
    if len(rows) > max_classes:
        rows = sorted(rows, key=lambda row: row["f1"])[:max_classes]
        title = f"Per-class metrics, the {max_classes} of {len(evaluation['per_class'])} " \
                "classes with the lowest F1"
    count = len(rows)
    height = float(np.clip(1.4 + 0.42 * count, 3.2, 26.0))
    figure = common.new_figure((9.0, height), "build_per_class_figure")
    axes = figure.add_subplot()
    positions = np.arange(count)
    bar = 0.26
    for offset, (key, label, color) in zip((-bar, 0.0, bar), _METRICS):
        axes.barh(positions + offset, [row[key] for row in rows], height=bar, label=label,
                  color=color)
    labels = [f"{common.shorten(row['name'], _NAME_LIMIT)} (n={row['support']})"
              for row in rows]
    axes.set_yticks(positions, labels, fontsize=9 if count <= 25 else 7)
    axes.set_xlim(0.0, 1.0)
    axes.set_ylim(count - 0.5, -0.5)
    macro_f1 = evaluation.get("macro_f1")
    if macro_f1 is not None:
        axes.axvline(macro_f1, color="0.3", linestyle=":", linewidth=1.2,
                     label=f"macro F1 = {macro_f1:.3f}")
    axes.set_xlabel("Score")
    axes.grid(True, axis="x", alpha=0.3)
    axes.set_title(title, fontsize=10)
    figure.legend(loc="outside lower center", ncol=4, fontsize=8, frameon=False)
    return figure
