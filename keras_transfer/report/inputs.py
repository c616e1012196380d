"""Validation of the training records the report draws: history, stages, learning rates.

Epochs are recorded 0-based by Keras callbacks (`History.epoch`,
`ProgressiveUnfreezing.stages`, `DiscriminativeLR.history`) and shown 1-based,
as Keras prints them ("Epoch 1/10").
"""

import numbers

import numpy as np


def history_dict(history):
    """`(epochs, metrics)`: 1-based epoch numbers and `{name: list of float}`."""
    if history is None:
        return [], {}
    epochs = None
    if hasattr(history, "history") and isinstance(history.history, dict):
        epochs = getattr(history, "epoch", None)
        history = history.history
    if not isinstance(history, dict):
        raise ValueError(
            "`history` must be a `keras.callbacks.History` or a dict of per-epoch metric "
            f"lists (`History.history`). Received: history of type {type(history).__name__}")
    metrics = {}
    for name, values in history.items():
        if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
            raise ValueError(
                f"`history[{name!r}]` must be a list of per-epoch values. "
                f"Received: {values!r}")
        metrics[str(name)] = [_as_float(value, f"history[{name!r}]") for value in values]
    lengths = {len(values) for values in metrics.values()}
    length = max(lengths) if lengths else 0
    if epochs is None or len(epochs) != length:
        epochs = list(range(length))
    return [int(epoch) + 1 for epoch in epochs], metrics


def accuracy_key(metrics):
    """The training accuracy metric's name in `metrics`, or `None`."""
    for name in metrics:
        if not name.startswith("val_") and (name in ("acc", "accuracy")
                                            or name.endswith("accuracy")):
            return name
    return None


def stage_list(stages):
    """Stages as dicts `unit`, `position` (0-based), `stage`, `trainable_groups`."""
    if stages is None:
        return []
    if isinstance(stages, (dict, str, bytes)) or not hasattr(stages, "__iter__"):
        raise ValueError(
            "`stages` must be a list of dicts such as `ProgressiveUnfreezing.stages`. "
            f"Received: stages={stages!r}")
    result = []
    for i, stage in enumerate(stages):
        unit = next((u for u in ("epoch", "step") if isinstance(stage, dict) and u in stage),
                    None)
        groups = stage.get("trainable_groups") if isinstance(stage, dict) else None
        if unit is None or isinstance(groups, (str, bytes)) or not hasattr(groups, "__len__"):
            raise ValueError(
                f"`stages[{i}]` must be a dict with an `epoch` (or `step`) and a "
                "`trainable_groups` list, as `ProgressiveUnfreezing.stages` records. "
                f"Received: {stage!r}")
        position = stage[unit]
        if isinstance(position, bool) or not isinstance(position, numbers.Integral) \
                or position < 0:
            raise ValueError(
                f"`stages[{i}][{unit!r}]` must be an integer >= 0. Received: {position!r}")
        result.append({"unit": unit, "position": int(position),
                       "stage": int(stage.get("stage", i)),
                       "trainable_groups": [str(g) for g in groups]})
    return result


def learning_rate_dict(group_learning_rates):
    """`(epochs, rates)`: 1-based epochs and `{group: list of float}` (input side first).

    The `"default"` entry of `DiscriminativeOptimizer.group_learning_rates()`
    (the base rate, equal to the top group's) is dropped when groups are named.
    """
    if group_learning_rates is None:
        return [], {}
    if isinstance(group_learning_rates, (dict, str, bytes)) \
            or not hasattr(group_learning_rates, "__iter__"):
        raise ValueError(
            "`group_learning_rates` must be a list of dicts `{'epoch': e, group: rate, ...}` "
            "such as `DiscriminativeLR.history`. Received: "
            f"group_learning_rates={group_learning_rates!r}")
    epochs, rates = [], {}
    entries = list(group_learning_rates)
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or "epoch" not in entry:
            raise ValueError(
                f"`group_learning_rates[{i}]` must be a dict with an `epoch` and one "
                f"learning rate per group. Received: {entry!r}")
        epochs.append(int(entry["epoch"]) + 1)
        for name, value in entry.items():
            if name != "epoch":
                rates.setdefault(str(name), [np.nan] * i)
        for name in rates:
            value = entry.get(name)
            rates[name].append(np.nan if value is None
                               else _as_float(value, f"group_learning_rates[{i}][{name!r}]"))
    if len(rates) > 1:
        rates.pop("default", None)
    return epochs, rates


def _as_float(value, where):
    try:
        return float(np.asarray(value))
    except (TypeError, ValueError) as error:
        raise ValueError(f"`{where}` values must be numbers. Received: {value!r}") from error
