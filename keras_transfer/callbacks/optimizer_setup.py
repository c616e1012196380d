"""Shared optimizer plumbing for the fine-tuning callbacks (not public)."""

import contextlib

import keras

from keras_transfer.optimizers.discriminative_optimizer import DiscriminativeOptimizer


def inner_optimizer(optimizer):
    """The optimizer inside a `LossScaleOptimizer`, or the optimizer itself."""
    return getattr(optimizer, "inner_optimizer", optimizer)


def strategy_scope(model):
    strategy = getattr(model, "distribute_strategy", None)
    return strategy.scope() if strategy is not None else contextlib.nullcontext()


def optimizer_steps(optimizer):
    return int(keras.ops.convert_to_numpy(optimizer.iterations))


def known_variable_ids(optimizer):
    """Ids of the variables an optimizer was built on (None when unknown)."""
    optimizer = inner_optimizer(optimizer)
    if isinstance(optimizer, DiscriminativeOptimizer):
        return getattr(optimizer, "_known", None)
    # Keras 3 optimizers keep the list they were built on.
    built_on = getattr(optimizer, "_trainable_variables", None)
    return None if built_on is None else {id(v) for v in built_on}


def ensure_optimizer_covers(model, variables):
    """Builds the model's optimizer on `variables`, or checks it already covers them.

    Raises:
        ValueError: if the optimizer was built on fewer variables, with advice.
    """
    optimizer = model.optimizer
    if optimizer is None:
        raise ValueError("The model is not compiled: call `model.compile(...)` before `fit`.")
    if not optimizer.built:
        with strategy_scope(model):
            optimizer.build(list(variables))
        return
    known = known_variable_ids(optimizer)
    if known is None:
        return
    missing = [v.path for v in variables if id(v) not in known]
    if missing:
        raise ValueError(
            f"The optimizer was built before these variables could train, e.g. "
            f"{missing[:3]} ({len(missing)} in all), so it cannot update them later. "
            "Compile the model with every layer group trainable (ProgressiveUnfreezing "
            "freezes them itself at the start of fit), or compile with a fresh optimizer."
        )
