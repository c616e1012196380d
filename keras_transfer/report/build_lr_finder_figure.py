"""`build_lr_finder_figure`: an LR finder's loss against the learning rate."""

import numpy as np


def build_lr_finder_figure(learning_rates, losses, suggested, rule):
    """Draws the smoothed loss against the learning rate, marking a suggestion.

    The rate axis is logarithmic; a dashed line and a dot mark `suggested`,
    labelled with `rule`. Uses matplotlib's Agg canvas directly, so it
    neither needs a display nor changes pyplot's backend.

    Not public API: `keras_transfer.LRFinder.plot` calls it.

    Args:
        learning_rates: sequence of float. The (trimmed) swept rates.
        losses: sequence of float. The smoothed loss at each rate.
        suggested: float. The suggested rate to mark.
        rule: str. The rule that gave `suggested`, for the legend.

    Returns:
        A `matplotlib.figure.Figure` (6.4 x 4.8 inches at 100 dpi).

    Raises:
        ImportError: if matplotlib is not installed.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            "`LRFinder.plot` needs matplotlib. Install the `report` extra: "
            "`pip install 'keras-transfer[report]'` (or `pip install "
            "matplotlib`)."
        ) from error
    figure = Figure(figsize=(6.4, 4.8), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.plot(learning_rates, losses, color="tab:blue")
    axes.set_xscale("log")
    axes.set_xlabel("Learning rate (log scale)")
    axes.set_ylabel("Smoothed loss")
    axes.set_title("Learning rate finder")
    axes.axvline(suggested, color="tab:red", linestyle="--")
    axes.plot(
        [suggested],
        [np.interp(np.log(suggested), np.log(learning_rates), losses)],
        marker="o",
        color="tab:red",
        label=f"{rule}: {suggested:.2e}",
    )
    axes.legend()
    figure.tight_layout()
    return figure
