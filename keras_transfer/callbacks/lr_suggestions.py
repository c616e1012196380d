"""Learning-rate suggestions from an LR finder curve (pure functions).

`keras_transfer.LRFinder` records the sweep; these functions read a curve
(learning rates and smoothed losses) and suggest a rate, as fastai's
`lr_find` does. They take plain sequences, so they also work on a curve
saved from an earlier run.

Not public API: use `LRFinder.suggestion(rule)`.
"""

import numpy as np

from keras_transfer.utils.argument_validation import check_one_of

RULES = ("valley", "steepest", "minimum")


def trim_curve(learning_rates, losses, skip_start):
    """The finite part of a curve, trimmed as fastai's `lr_find` does.

    Non-finite losses are dropped; then the first `skip_start` and the last
    5 points are left out, unless fewer than 2 points would remain.

    Args:
        learning_rates: sequence of float. The swept rates.
        losses: sequence of float. The smoothed loss at each rate.
        skip_start: int. Points to leave out at the start (`LRFinder` uses
            `num_steps // 10`).

    Returns:
        `(learning_rates, losses)`, float64 arrays.

    Raises:
        ValueError: if fewer than 2 points have a finite loss.
    """
    learning_rates = np.asarray(learning_rates, dtype="float64")
    losses = np.asarray(losses, dtype="float64")
    finite = np.isfinite(losses)
    learning_rates, losses = learning_rates[finite], losses[finite]
    if len(losses) < 2:
        raise ValueError(
            "LRFinder needs at least 2 recorded steps with a finite loss to "
            f"suggest a learning rate; it has {len(losses)}. Run "
            "`LRFinder.find(model, data)` or `model.fit(..., "
            "callbacks=[finder])` first, or lower `max_learning_rate` if "
            "the loss diverged at once."
        )
    start, stop = skip_start, len(losses) - 5
    if stop - start >= 2:
        learning_rates, losses = learning_rates[start:stop], losses[start:stop]
    return learning_rates, losses


def suggest(learning_rates, losses, rule="valley"):
    """Suggests a learning rate from a (trimmed) curve by one of `RULES`.

    - `"valley"`: fastai's valley heuristic: the rate about halfway along
      the longest strictly decreasing stretch of the loss (`valley_index`).
    - `"steepest"`: the rate at the most negative slope of the loss against
      `log(learning_rate)`.
    - `"minimum"`: the rate with the lowest loss, divided by 10.

    Args:
        learning_rates: sequence of float, at least 2.
        losses: sequence of finite float, one per rate.
        rule: str. One of `"valley"`, `"steepest"`, `"minimum"`. Defaults to
            `"valley"`.

    Returns:
        The suggested learning rate, a float.

    Raises:
        ValueError: if `rule` is unknown.
    """
    check_one_of(rule, "rule", RULES)
    learning_rates = np.asarray(learning_rates, dtype="float64")
    losses = np.asarray(losses, dtype="float64")
    if rule == "minimum":
        return float(learning_rates[np.argmin(losses)] / 10.0)
    if rule == "steepest":
        slopes = np.diff(losses) / np.diff(np.log(learning_rates))
        return float(learning_rates[np.argmin(slopes)])
    return float(learning_rates[valley_index(losses)])


def valley_index(losses):
    """Index given by fastai's `valley` suggestion (fastai.callback.schedule).

    `lds[i]` is the length of the longest strictly decreasing subsequence
    ending at `i`. The bookkeeping of `max_start` follows fastai line for
    line, so the result matches fastai on the same curve; the index is only
    clipped at 0.
    """
    n = len(losses)
    max_start, max_end = 0, 0
    lds = [1] * n
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    return max(max_start + int(sections) + int(sections / 2), 0)
