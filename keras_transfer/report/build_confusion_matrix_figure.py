"""`build_confusion_matrix_figure`: the row-normalized confusion matrix, with counts."""

import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.report import common
from keras_transfer.utils.argument_validation import check_int

_NAME_LIMIT = 24


@keras_transfer_export(["keras_transfer.build_confusion_matrix_figure",
                        "keras_transfer.report.build_confusion_matrix_figure"])
def build_confusion_matrix_figure(evaluation, max_classes=40):
    """Draws `evaluation["confusion_matrix"]` normalized by true class.

    Cell colour is the fraction of the true class (row) predicted as each
    class, so the diagonal is each class's recall. Up to 15 classes, cells
    show the count and the percentage of the row (empty cells a grey 0); up
    to 30, the non-zero counts; beyond, no text, which would not be readable.
    With more than `max_classes` classes, only the `max_classes` classes with
    the most errors (missed or wrongly predicted) are drawn; fractions still
    use the full rows.

    Args:
        evaluation: dict. The result of `keras_transfer.evaluate_classifier`.
        max_classes: int. The most classes drawn. Defaults to 40.

    Returns:
        A `matplotlib.figure.Figure`.

    Raises:
        ImportError: if matplotlib is not installed.
        ValueError: if `evaluation` has no confusion matrix or `max_classes`
            is not a positive integer.

    Example:

    ```python
    result = keras_transfer.evaluate_classifier(y, probabilities, class_names)
    keras_transfer.build_confusion_matrix_figure(result).savefig("cm.png")
    ```
    """
    if not isinstance(evaluation, dict) or "confusion_matrix" not in evaluation:
        raise ValueError(
            "`evaluation` must be the dict returned by `keras_transfer.evaluate_classifier`. "
            f"Received: {type(evaluation).__name__} without a `confusion_matrix`.")
    check_int(max_classes, "max_classes", minimum=2)
    confusion = np.asarray(evaluation["confusion_matrix"], dtype=np.int64)
    names = list(evaluation.get("class_names") or range(len(confusion)))
    support = confusion.sum(axis=1)
    fractions = np.divide(confusion, support[:, None], out=np.zeros(confusion.shape),
                          where=support[:, None] > 0)
    shown = np.arange(len(confusion))
    title = "Confusion matrix (normalized by true class)"
    if len(shown) > max_classes:
        errors = confusion.sum(axis=0) + confusion.sum(axis=1) - 2 * np.diag(confusion)
        shown = np.sort(np.argsort(-errors, kind="stable")[:max_classes])
        title = (f"Confusion matrix, the {max_classes} of {len(confusion)} classes "
                 "with the most errors (normalized by true class)")
    count = len(shown)
    side = float(np.clip(3.0 + 0.42 * count, 5.5, 18.0))
    figure = common.new_figure((side + 1.2, side), "build_confusion_matrix_figure")
    axes = figure.add_subplot()
    image = axes.imshow(fractions[np.ix_(shown, shown)], cmap="Blues", vmin=0.0, vmax=1.0,
                        interpolation="nearest")
    colorbar = figure.colorbar(image, ax=axes, shrink=0.8)
    colorbar.set_label("Fraction of the true class")

    labels = [common.shorten(names[i], _NAME_LIMIT) for i in shown]
    font = 9 if count <= 20 else 7 if count <= 40 else 6
    axes.set_xticks(range(count), labels, rotation=45, ha="right",
                    rotation_mode="anchor", fontsize=font)
    axes.set_yticks(range(count), labels, fontsize=font)
    axes.set_xlabel("Predicted class")
    axes.set_ylabel("True class")
    axes.set_title(title, fontsize=10)

    if count <= 30:
        for row, t in enumerate(shown):
            for column, p in enumerate(shown):
                value = confusion[t, p]
                if value == 0:
                    if count <= 15:
                        axes.text(column, row, "0", ha="center", va="center", fontsize=8,
                                  color="0.6")
                    continue
                text = str(value) if count > 15 else f"{value}\n{fractions[t, p]:.0%}"
                axes.text(column, row, text, ha="center", va="center",
                          fontsize=8 if count <= 15 else 6,
                          color="white" if fractions[t, p] > 0.55 else "0.1")
    return figure
