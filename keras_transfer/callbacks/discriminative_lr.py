"""`DiscriminativeLR`: install per-group learning rates on a compiled model."""

import keras

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.groups.model_groups import get_layer_groups
from keras_transfer.optimizers.discriminative import group_multipliers, group_patterns
from keras_transfer.optimizers.discriminative_optimizer import DiscriminativeOptimizer
from keras_transfer.optimizers.optimizer_setup import (
    inner_optimizer,
    optimizer_steps,
    replace_optimizer,
    strategy_scope,
)
from keras_transfer.utils.messages import say


@keras_transfer_export("keras_transfer.DiscriminativeLR")
class DiscriminativeLR(keras.callbacks.Callback):
    """Gives each layer group its own learning rate, inside a plain `model.fit`.

    When `fit` starts, the callback replaces the compiled optimizer by a
    `DiscriminativeOptimizer` of the same class and settings: the top group
    (the head) keeps the compiled learning rate (or schedule), and each lower
    group trains at a fraction of it (ULMFiT's discriminative fine-tuning).
    Keras' own learning-rate callbacks keep working, since the new optimizer
    has a settable `learning_rate` that all groups follow.

    The swap happens before the first step (in `set_model`), so nothing is
    lost; an optimizer that has already taken steps is refused. To save the
    choice in the `.keras` file's compile config, compile with
    `keras_transfer.discriminative_optimizer(...)` instead; both behave the
    same during training.

    Args:
        decay: float. Each group below the top trains `decay` times slower
            than the one above it. Defaults to 2.6 (ULMFiT's;
            `keras_transfer.recipes.defaults.DISCRIMINATIVE_DECAY`) when no
            other way is given: the callback exists to make the rates differ.
            `keras_transfer.fine_tune` uses 1.0 (one rate for all groups),
            which measured better; see docs/concepts.md.
        learning_rates: list of float. Explicit per-group rates, input side
            first (the last one becomes the compiled rate). Defaults to `None`.
        lr_range: `(low, high)` or `slice(low, high)`: rates spread
            geometrically from the input side to the top; fastai's
            `slice(high)`: the top group at `high`, all others at `high / 10`.
            Defaults to `None`.
        groups: list of regexes or `(name, regex)` pairs, input side first;
            a variable joins the first whose regex `re.search`es its
            `variable.path` (the rule of `DiscriminativeOptimizer` too). Defaults to `None`
            (`keras_transfer.get_layer_groups(model)`).
        verbose: int. 1 prints the rates installed. Defaults to 1.

    Example:

    ```python
    model.fit(train, epochs=4, callbacks=[
        keras_transfer.DiscriminativeLR(decay=2.6),
        keras_transfer.ProgressiveUnfreezing(every=1)])
    ```
    """

    def __init__(self, decay=None, learning_rates=None, lr_range=None, groups=None, verbose=1):
        super().__init__()
        # Validates the combination early (count checked once groups are known).
        group_multipliers(1 if learning_rates is None else len(learning_rates),
                          decay, learning_rates, lr_range)
        self.decay = decay
        self.learning_rates = learning_rates
        self.lr_range = lr_range
        self.groups = groups
        self.verbose = verbose
        self.history = []

    def set_model(self, model):
        super().set_model(model)
        if model.optimizer is None or isinstance(inner_optimizer(model.optimizer),
                                                 DiscriminativeOptimizer):
            return
        self._install(model)

    def _install(self, model):
        old = model.optimizer
        template = inner_optimizer(old)
        if old.built and optimizer_steps(old) > 0:
            raise ValueError(
                f"The model's optimizer has already taken {optimizer_steps(old)} steps; "
                "DiscriminativeLR must install its per-group optimizer before training "
                "starts. Recompile the model, or compile with "
                "`keras_transfer.discriminative_optimizer(model, ...)`."
            )
        groups = get_layer_groups(model, self.groups)
        base, multipliers = group_multipliers(len(groups), self.decay, self.learning_rates,
                                              self.lr_range, [g.name for g in groups])
        with strategy_scope(model):
            new = DiscriminativeOptimizer(template, group_patterns(groups, model.name), multipliers,
                                          learning_rate=base)
            if old is not template:  # keep mixed_float16 loss scaling
                new = keras.optimizers.LossScaleOptimizer(new)
            if old.built:
                new.build(model.trainable_variables)
        replace_optimizer(model, new)
        rates = inner_optimizer(new).group_learning_rates()
        say("DiscriminativeLR: " + ", ".join(f"{name}={rate:.3g}" for name, rate in rates.items()
                                             if name != "default"), self.verbose)

    def on_epoch_end(self, epoch, logs=None):
        optimizer = inner_optimizer(self.model.optimizer)
        if isinstance(optimizer, DiscriminativeOptimizer):
            self.history.append({"epoch": epoch, **optimizer.group_learning_rates()})

    def get_config(self):
        lr_range = self.lr_range
        if isinstance(lr_range, slice):  # JSON has no slices; `from_config` rebuilds it
            lr_range = {"slice": [lr_range.start, lr_range.stop]}
        return {"decay": self.decay, "learning_rates": self.learning_rates,
                "lr_range": lr_range, "groups": self.groups, "verbose": self.verbose}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("lr_range"), dict) and "slice" in config["lr_range"]:
            config["lr_range"] = slice(*config["lr_range"]["slice"])
        return cls(**config)
