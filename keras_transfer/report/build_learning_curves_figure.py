"""`build_learning_curves_figure`: loss, accuracy and per-group learning rates by epoch."""

import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.report import common
from keras_transfer.report import inputs

STAGE_SPAN_GID = "stage-span"
STAGE_BOUNDARY_GID = "stage-boundary"


@keras_transfer_export(["keras_transfer.build_learning_curves_figure",
                        "keras_transfer.report.build_learning_curves_figure"])
def build_learning_curves_figure(history, stages=None, group_learning_rates=None):
    """Draws the learning curves of a fine-tuning run as a matplotlib Figure.

    Panels, as data allows: the loss (train and `val_`), the accuracy (train
    and `val_`; the first history key ending in `accuracy`, or `acc`), side by
    side, and below them the learning rate of each layer group on a log axis
    (input side in dark colours, the head in light ones). Epochs are shown
    1-based, as Keras prints them.

    Each progressive-unfreezing stage is a shaded span (darker as more groups
    train) labelled with its number of trainable groups; a dashed vertical
    line marks where each later stage starts, on every panel. Spans have the
    gid `"stage-span"` and lines `"stage-boundary"`. Stages recorded per step
    (`unit="step"`) cannot be placed on the epoch axis and are not drawn.

    The figure uses the Agg canvas directly, never pyplot's global state.

    Args:
        history: `keras.callbacks.History`, dict of per-epoch lists
            (`History.history`), or `None` (no loss or accuracy panel).
        stages: list of dicts `{"epoch": e, "stage": s, "trainable_groups":
            [...]}` with 0-based epochs, as `ProgressiveUnfreezing.stages`
            records. Defaults to `None`.
        group_learning_rates: list of dicts `{"epoch": e, group: rate, ...}`
            with 0-based epochs, as `DiscriminativeLR.history` records.
            Defaults to `None`.

    Returns:
        A `matplotlib.figure.Figure`, or `None` when there is nothing to draw.

    Raises:
        ImportError: if matplotlib is not installed.
        ValueError: if an argument does not have the shape described.

    Example:

    ```python
    figure = keras_transfer.build_learning_curves_figure(
        history, stages=unfreezing.stages,
        group_learning_rates=discriminative_lr.history)
    figure.savefig("learning_curves.png")
    ```
    """
    epochs, metrics = inputs.history_dict(history)
    stage_entries = [s for s in inputs.stage_list(stages) if s["unit"] == "epoch"]
    lr_epochs, rates = inputs.learning_rate_dict(group_learning_rates)
    accuracy = inputs.accuracy_key(metrics)
    panels = []
    if "loss" in metrics or "val_loss" in metrics:
        panels.append(("loss", "Loss"))
    if accuracy is not None:
        panels.append((accuracy, "Accuracy"))
    if not panels and not rates:
        return None

    figure = common.new_figure((11, 7.5) if panels and rates else (11, 4.2),
                               "build_learning_curves_figure")
    grid = figure.add_gridspec(2 if panels and rates else 1, max(len(panels), 1),
                               height_ratios=[1.1, 1] if panels and rates else None)
    last_epoch = max(epochs + lr_epochs + [1])
    first_epoch = min(epochs + lr_epochs) if epochs or lr_epochs else 1
    axes_list = []
    for column, (key, label) in enumerate(panels):
        axes = figure.add_subplot(grid[0, column])
        for name, style in ((key, "-"), ("val_" + key, "--")):
            if name in metrics:
                values = metrics[name]
                axes.plot(epochs[: len(values)], values, style, marker="o", markersize=3,
                          label="validation" if name.startswith("val_") else "train",
                          color="tab:orange" if name.startswith("val_") else "tab:blue")
        axes.set_title(label if key in ("loss", "accuracy") else f"Accuracy ({key})")
        axes.set_ylabel(label)
        axes_list.append(axes)
    if rates:
        axes = figure.add_subplot(grid[-1, :] if panels else grid[0, 0])
        _plot_learning_rates(axes, lr_epochs, rates)
        axes_list.append(axes)

    for axes in axes_list:
        axes.set_xlabel("Epoch")
        axes.set_xlim(first_epoch - 0.6, last_epoch + 0.6)
        axes.grid(True, alpha=0.3)
        _integer_ticks(axes, first_epoch, last_epoch)
    for axes in axes_list[: len(panels)]:
        _headroom(axes)
        _mark_stages(axes, stage_entries, labels=True)
        axes.legend(loc="best", fontsize=8, framealpha=0.85)
    if rates:
        _mark_stages(axes_list[-1], stage_entries, labels=False)
    if stage_entries:
        figure.suptitle("Shaded: unfreezing stages, labelled with the number of "
                        "trainable layer groups", fontsize=9, color="0.3")
    return figure


def _plot_learning_rates(axes, epochs, rates):
    from matplotlib import colormaps

    colors = colormaps["viridis"](np.linspace(0.0, 0.85, len(rates)))
    for color, (name, values) in zip(colors, rates.items()):
        values = np.asarray(values, dtype=np.float64)
        values[~(values > 0)] = np.nan
        axes.plot(epochs, values, marker="o", markersize=3, color=color,
                  label=common.shorten(name, 28))
    axes.set_yscale("log")
    axes.set_title("Learning rate per layer group (log scale)")
    axes.set_ylabel("Learning rate")
    axes.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8,
                title="group (input side first)", title_fontsize=8, frameon=False)


def _integer_ticks(axes, first_epoch, last_epoch):
    from matplotlib.ticker import MaxNLocator

    if last_epoch - first_epoch < 12:
        axes.set_xticks(range(first_epoch, last_epoch + 1))
    else:
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))


def _headroom(axes):
    # Room above the curves for the stage labels.
    low, high = axes.get_ylim()
    axes.set_ylim(low, high + 0.18 * (high - low))


def _mark_stages(axes, stages, labels):
    from matplotlib import colormaps

    if not stages:
        return
    counts = [len(s["trainable_groups"]) for s in stages]
    shades = colormaps["Blues"](np.linspace(0.15, 0.55, max(counts) + 1))
    width_inches = axes.get_position().width * axes.figure.get_figwidth()
    low, high = axes.get_xlim()
    for i, stage in enumerate(stages):
        start = stage["position"] + 0.5
        if start < low + 0.6:
            start = low  # a stage from before the first epoch shown covers the margin
        end = stages[i + 1]["position"] + 0.5 if i + 1 < len(stages) else high
        start, end = max(start, low), min(end, high)
        if end <= start:
            continue
        axes.axvspan(start, end, color=shades[counts[i]], alpha=0.35, linewidth=0,
                     zorder=0, gid=STAGE_SPAN_GID)
        if stage["position"] > 0 and start > low:
            axes.axvline(start, color="0.35", linestyle="--", linewidth=1,
                         gid=STAGE_BOUNDARY_GID)
        if labels:
            count = counts[i]
            wide = (end - start) / (high - low) * width_inches > 0.55
            text = f"{count} group{'s' if count != 1 else ''}" if wide else str(count)
            axes.text((start + end) / 2, 0.97, text, transform=axes.get_xaxis_transform(),
                      ha="center", va="top", fontsize=8, color="0.15")
