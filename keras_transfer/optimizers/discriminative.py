"""`discriminative_optimizer(model, ...)`: per-group learning rates from a model's groups."""

import re

import numpy as np

from keras_transfer.groups.model_groups import get_layer_groups
from keras_transfer.optimizers.discriminative_optimizer import DiscriminativeOptimizer
from keras_transfer.recipes import defaults
from keras_transfer.utils.argument_validation import check_number


def group_multipliers(num_groups, decay=None, learning_rates=None, lr_range=None,
                      group_names=None):
    """Per-group multipliers (input side first) and the base (top-group) rate.

    Exactly one of the three ways may be given; with none, `decay=2.6`
    (ULMFiT's value, `keras_transfer.recipes.defaults.DISCRIMINATIVE_DECAY`).

    Args:
        num_groups: int. How many groups.
        decay: float. Group k below the top gets `base / decay**k`. Must be >= 1.
        learning_rates: list of float. Absolute rates, one per group.
        lr_range: `(low, high)`, `slice(low, high)` or `slice(high)`.
            Rates spread geometrically from `low` (input side) to `high`
            (top), like fastai's `lr=slice(lo, hi)`; fastai's `slice(high)`
            gives the top group `high` and every other group `high / 10`.
        group_names: list of str. Only used in error messages.

    Returns:
        `(base_learning_rate or None, multipliers)`. The base rate is None for
        `decay` (the caller's rate is the top group's).

    Raises:
        ValueError: on several ways at once, a wrong count, or bad values.
    """
    given = [x is not None for x in (decay, learning_rates, lr_range)]
    if sum(given) > 1:
        raise ValueError("Pass only one of `decay`, `learning_rates` or `lr_range`. Received: "
                         f"decay={decay!r}, learning_rates={learning_rates!r}, lr_range={lr_range!r}")
    if num_groups < 1:
        raise ValueError(f"The model has no layer groups. Received: num_groups={num_groups}")
    if learning_rates is not None:
        rates = [float(r) for r in learning_rates]
        if len(rates) != num_groups:
            raise ValueError(
                f"`learning_rates` must have one rate per group ({num_groups}: "
                f"{group_names or ''}). Received {len(rates)}: {rates}")
        if not all(r >= 0 for r in rates) or rates[-1] <= 0:
            raise ValueError(f"`learning_rates` must be >= 0 with a positive top rate. Received: {rates}")
        return rates[-1], [r / rates[-1] for r in rates]
    if lr_range is not None:
        low, high = _lr_range_bounds(lr_range)
        if num_groups == 1:
            return high, [1.0]
        if low is None:
            # fastai's `slice(hi)`: the top group at `hi`, every other at `hi / 10`.
            return high, [0.1] * (num_groups - 1) + [1.0]
        rates = np.geomspace(low, high, num_groups)
        return high, [float(r / high) for r in rates]
    if decay is None:
        decay = defaults.DISCRIMINATIVE_DECAY
    decay = float(check_number(decay, "decay", minimum=1, note="lower groups train slower"))
    return None, [decay ** -(num_groups - 1 - k) for k in range(num_groups)]


def _lr_range_bounds(lr_range):
    """`(low or None, high)` from `(low, high)`, `slice(low, high)` or `slice(high)`."""
    usage = ("`lr_range` must be (low, high), slice(low, high) or slice(high) with "
             f"0 < low <= high. Received: lr_range={lr_range!r}")
    if isinstance(lr_range, slice):
        if lr_range.step is not None:
            raise ValueError(usage)
        bounds = (lr_range.start, lr_range.stop)
    elif isinstance(lr_range, (tuple, list)) and len(lr_range) == 2:
        bounds = tuple(lr_range)
    else:
        raise ValueError(usage)
    low, high = bounds
    for value, may_be_none in ((low, True), (high, False)):
        if value is None and may_be_none:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            raise ValueError(usage)
    high = float(high)
    low = None if low is None else float(low)
    if not (np.isfinite(high) and high > 0) or (low is not None and not 0 < low <= high):
        raise ValueError(usage)
    return low, high


def group_patterns(groups, model_name=None):
    """`(name, regex)` pairs that select exactly each group's variable paths.

    Under the library's one rule (`re.search`, see
    `keras_transfer.groups.naming.match_group`) the patterns are anchored:
    paths are matched exactly, except for any leading scopes: a model's
    variable paths may or may not start with the model's name (a `Sequential`
    built with an `Input` scopes its layers; the same model reloaded from a
    `.keras` file does not), so the patterns accept any prefix.
    """
    def tail(path):
        if model_name and path.startswith(model_name + "/"):
            return path[len(model_name) + 1:]
        return path

    return [(g.name, "(?:^|/)(?:" + "|".join(re.escape(tail(p)) for p in g.paths) + ")$")
            for g in groups]


def discriminative_optimizer(model, optimizer="adam", learning_rate=None, decay=None,
                             learning_rates=None, lr_range=None, groups=None):
    """Builds a `DiscriminativeOptimizer` for a model's layer groups.

    The top group (the head) trains at the base rate; each group below at a
    smaller one, by `decay`, explicit `learning_rates`, or a geometric
    `lr_range` (fastai's `slice(lo, hi)`).

    Args:
        model: `keras.Model`. A built model.
        optimizer: str or `keras.optimizers.Optimizer`. The base optimizer.
            Defaults to `"adam"`.
        learning_rate: float or `LearningRateSchedule`. The top group's rate
            (ignored with `learning_rates`/`lr_range`, which fix it).
            Defaults to the base optimizer's rate.
        decay: float. Per-group decay factor. Defaults to 2.6 (ULMFiT's;
            `keras_transfer.recipes.defaults.DISCRIMINATIVE_DECAY`) when no
            other way is given. `keras_transfer.fine_tune` passes its own
            `decay`, 1.0 by default.
        learning_rates: list of float. Explicit rates, input side first.
        lr_range: `(low, high)`, `slice(low, high)` or fastai's
            `slice(high)` (top group `high`, all others `high / 10`).
        groups: list of `LayerGroup`. Defaults to `get_layer_groups(model)`.

    Returns:
        A `DiscriminativeOptimizer`, ready for `model.compile`.

    Example:

    ```python
    model.compile(
        optimizer=keras_transfer.discriminative_optimizer(
            model, "adam", learning_rate=1e-3, decay=2.6),
        loss="sparse_categorical_crossentropy")
    ```
    """
    groups = get_layer_groups(model) if groups is None else list(groups)
    base, multipliers = group_multipliers(len(groups), decay, learning_rates, lr_range,
                                          [g.name for g in groups])
    if base is not None:
        learning_rate = base
    return DiscriminativeOptimizer(optimizer, group_patterns(groups, model.name), multipliers,
                                   learning_rate=learning_rate)
