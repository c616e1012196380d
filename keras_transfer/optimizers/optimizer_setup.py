"""Optimizer plumbing for the fine-tuning callbacks: swap, rebuild, restore (not public).

Lives next to `DiscriminativeOptimizer`, the optimizer it mostly sets up;
`DiscriminativeLR` and `ProgressiveUnfreezing` call it.
"""

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


def replace_optimizer(model, optimizer):
    """Makes `optimizer` the compiled model's optimizer (before any step).

    Keras keeps the compiled optimizer in two places: `model.optimizer` (used
    by the train step) and the compile config (saved in `.keras` files).
    """
    model.optimizer = optimizer
    compile_config = getattr(model, "_compile_config", None)
    if compile_config is not None and "optimizer" in getattr(compile_config, "config", {}):
        compile_config.config["optimizer"] = optimizer


def fresh_copy(optimizer):
    """An unbuilt optimizer with the same class and settings."""
    return keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))


def ensure_optimizer_covers(model, variables):
    """Builds the model's optimizer on `variables`, or checks it already covers them.

    An optimizer that Keras already built on fewer variables (it does so
    before the callbacks run under a distribution strategy) but that has
    taken no step is replaced by a fresh copy built on all of them.

    Raises:
        ValueError: if the optimizer has trained on fewer variables.
    """
    optimizer = model.optimizer
    if optimizer is None:
        raise ValueError("The model is not compiled: call `model.compile(...)` before `fit`.")
    variables = list(variables)
    if not optimizer.built:
        with strategy_scope(model):
            optimizer.build(variables)
        return
    known = known_variable_ids(optimizer)
    if known is None:
        return
    missing = [v.path for v in variables if id(v) not in known]
    if missing and optimizer_steps(optimizer) == 0:
        with strategy_scope(model):
            copy = fresh_copy(optimizer)
            copy.build(variables)
        replace_optimizer(model, copy)
        return
    if missing:
        raise ValueError(
            f"The optimizer has trained before these variables could, e.g. "
            f"{missing[:3]} ({len(missing)} in all), so it cannot update them later "
            "without losing its state. Compile the model with a fresh optimizer before "
            "the fit that unfreezes progressively (ProgressiveUnfreezing freezes the "
            "groups itself); to resume from a `.keras` checkpoint, pass its path as "
            "`ProgressiveUnfreezing(resume_from=...)`."
        )


def restore_training_state(model, path):
    """Rebuilds the optimizer on every trainable variable, then reloads `path` into it.

    `keras.saving.load_model` builds a checkpoint's optimizer on the variables
    trainable when the file was written, so the saved state of groups frozen
    at that moment is dropped (Keras warns "Skipping variable loading for
    optimizer"). With every group trainable, a fresh copy of the optimizer is
    built on all of them (the layout it was saved with) and the file's
    weights and optimizer state (step, moments, rates) are loaded again.
    """
    optimizer = model.optimizer
    if optimizer is None:
        raise ValueError("The model is not compiled: call `model.compile(...)` before `fit`.")
    with strategy_scope(model):
        copy = fresh_copy(optimizer)
        copy.build(model.trainable_variables)
    replace_optimizer(model, copy)
    model.load_weights(path)
