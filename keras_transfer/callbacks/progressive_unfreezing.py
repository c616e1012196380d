"""`ProgressiveUnfreezing`: gradual unfreezing of layer groups inside one `model.fit`."""

import os

import keras

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.groups.model_groups import get_layer_groups
from keras_transfer.optimizers.optimizer_setup import (
    ensure_optimizer_covers, restore_training_state)
from keras_transfer.utils.argument_validation import check_int, check_one_of
from keras_transfer.utils.messages import say
from keras_transfer.utils.walk_layers import walk_layers

_UNITS = ("epoch", "step")


@keras_transfer_export("keras_transfer.ProgressiveUnfreezing")
class ProgressiveUnfreezing(keras.callbacks.Callback):
    """Unfreezes a model's layer groups one at a time, from the top down.

    Training starts with only the top `initial_groups` groups trainable (by
    default the head); every `every` epochs (or steps), or at the epochs/steps
    listed in `unfreeze_at`, the next group down becomes trainable (ULMFiT's
    gradual unfreezing, fastai's `freeze_to`), all inside one `model.fit`.

    Flipping `trainable` during `fit` is normally ignored (the train function
    is already traced) and forcing a retrace fails because the optimizer only
    knows the variables it was built on. This callback makes both work: when
    `fit` starts it makes every group trainable and builds the optimizer on
    all of them (so optimizer state of variables already training is kept
    across stages), then freezes the lower groups and forces a retrace at each
    stage change.

    BatchNorm: a frozen group runs in inference mode (Keras semantics). With
    `train_batchnorm=False` (the default, as the Keras fine-tuning guide
    advises) BatchNormalization layers stay in inference mode even after their
    group is unfrozen; a `HubBackbone` whose SavedModel holds BatchNorm
    statistics (`moving_mean` / `moving_variance` variables) is then called
    with `training=False` for the whole fit (its inside is one graph, so BN
    and dropout switch together). A `HubBackbone` without BatchNorm (a BERT
    encoder) keeps `training=True` once unfrozen, so its dropout works.

    The stage is a pure function of the epoch (or global step), so resuming
    with `keras.callbacks.BackupAndRestore` restores exactly the right
    trainable set. To resume from a full-model `.keras` checkpoint written
    mid-unfreezing (`keras.callbacks.ModelCheckpoint`), load it, pass its path
    as `resume_from` and `initial_epoch` to `fit`: `keras.saving.load_model`
    rebuilds the optimizer on the groups that were trainable when the file
    was written only, dropping the saved state of the others, so this
    callback rebuilds the optimizer on every group and reloads the file's
    weights and optimizer state into it.

    Args:
        every: int. Unfreeze one more group every this many epochs (or steps).
            Defaults to 1.
        unfreeze_at: list of int. Alternatively, the epochs (or steps) at which
            one more group is unfrozen, ascending. Defaults to `None`.
        unit: str. `"epoch"` or `"step"`. Defaults to `"epoch"`.
        initial_groups: int. How many top groups train from the start.
            Defaults to 1.
        groups: list of regexes or `(name, regex)` pairs, input side first;
            a variable joins the first whose regex `re.search`es its
            `variable.path` (the rule of `DiscriminativeOptimizer` too). Defaults to `None`
            (`keras_transfer.get_layer_groups(model)`).
        train_batchnorm: bool. Whether unfrozen BatchNorm layers train.
            Defaults to `False`.
        verbose: int. 1 prints each stage. Defaults to 1.
        resume_from: str. A `.keras` file (or `.weights.h5`) written during an
            earlier fit with this callback, whose weights and optimizer state
            are reloaded when `fit` starts. Defaults to `None`.

    Example:

    ```python
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(train, epochs=4,
              callbacks=[keras_transfer.ProgressiveUnfreezing(every=1)])
    # Later, from the checkpoint written after epoch 2:
    model = keras.saving.load_model("ckpt.keras")
    model.fit(train, epochs=4, initial_epoch=2, callbacks=[
        keras_transfer.ProgressiveUnfreezing(every=1, resume_from="ckpt.keras")])
    ```
    """

    def __init__(self, every=1, unfreeze_at=None, unit="epoch", initial_groups=1, groups=None,
                 train_batchnorm=False, verbose=1, resume_from=None):
        super().__init__()
        check_one_of(unit, "unit", _UNITS)
        if unfreeze_at is None:
            check_int(every, "every", minimum=1)
        if unfreeze_at is not None:
            unfreeze_at = [int(x) for x in unfreeze_at]
            if unfreeze_at != sorted(unfreeze_at) or any(x < 0 for x in unfreeze_at):
                raise ValueError(
                    "`unfreeze_at` must be non-negative and ascending. "
                    f"Received: unfreeze_at={unfreeze_at!r}")
        check_int(initial_groups, "initial_groups", minimum=1)
        self.every = every
        self.unfreeze_at = unfreeze_at
        self.unit = unit
        self.initial_groups = initial_groups
        self.groups = groups
        self.train_batchnorm = bool(train_batchnorm)
        self.verbose = verbose
        if resume_from is not None:
            resume_from = os.fspath(resume_from)
            if not resume_from.endswith((".keras", ".weights.h5")) or not os.path.isfile(
                    resume_from):
                raise ValueError(
                    "`resume_from` must be an existing `.keras` or `.weights.h5` file. "
                    f"Received: resume_from={resume_from!r}")
        self.resume_from = resume_from
        self.stage = None
        self.stages = []
        self._epoch = 0

    # ------------------------------------------------------------ schedule
    def stage_at(self, position):
        """How many groups below the initial ones are unfrozen at `position`."""
        if self.unfreeze_at is not None:
            stage = sum(1 for at in self.unfreeze_at if at <= position)
        else:
            stage = position // self.every
        return min(stage, len(self.layer_groups) - self.initial_groups)

    def trainable_group_names(self, stage=None):
        """Names of the groups that train at `stage` (default: the current one)."""
        stage = self.stage if stage is None else stage
        count = min(len(self.layer_groups), self.initial_groups + stage)
        return [g.name for g in self.layer_groups[len(self.layer_groups) - count:]]

    # ------------------------------------------------------------- set-up
    def set_model(self, model):
        super().set_model(model)
        self.layer_groups = get_layer_groups(model, self.groups)
        if len(self.layer_groups) < 2:
            raise ValueError(
                f"Model {model.name!r} has {len(self.layer_groups)} layer group(s); "
                "progressive unfreezing needs at least 2. Pass `groups=` patterns.")
        for group in self.layer_groups:
            group.set_trainable(True, train_batchnorm=self.train_batchnorm)
        if self.resume_from is not None:
            restore_training_state(model, self.resume_from)
        else:
            ensure_optimizer_covers(model, model.trainable_variables)
        self._hub_modes = {}
        if not self.train_batchnorm:
            for layer in walk_layers(model):
                if (hasattr(layer, "inference_mode") and hasattr(layer, "layer_groups")
                        and _has_batchnorm_statistics(layer)):
                    self._hub_modes[id(layer)] = (layer, layer.inference_mode)
                    layer.inference_mode = True
        self.stage = None

    def _apply(self, stage, position):
        if stage == self.stage:
            return
        names = set(self.trainable_group_names(stage))
        for group in self.layer_groups:
            group.set_trainable(group.name in names, train_batchnorm=self.train_batchnorm)
        first = self.stage is None
        self.stage = stage
        self.stages.append({self.unit: position, "stage": stage,
                            "trainable_groups": self.trainable_group_names(stage)})
        if not first or self.model.train_function is not None:
            self.model.make_train_function(force=True)
        say(f"ProgressiveUnfreezing: {self.unit} {position}: training "
            f"{len(names)}/{len(self.layer_groups)} groups "
            f"(lowest: {self.trainable_group_names(stage)[0]})", self.verbose)

    # ----------------------------------------------------------- callbacks
    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        if self.unit == "epoch":
            self._apply(self.stage_at(epoch), epoch)
        else:
            self._apply(self.stage_at(self._global_step(0)), self._global_step(0))

    def on_train_batch_begin(self, batch, logs=None):
        if self.unit == "step":
            step = self._global_step(batch)
            self._apply(self.stage_at(step), step)

    def on_train_end(self, logs=None):
        for layer, mode in self._hub_modes.values():
            layer.inference_mode = mode

    def _global_step(self, batch):
        steps = self.params.get("steps") if self.params else None
        if steps is None:
            raise ValueError(
                "`unit='step'` needs a known number of steps per epoch; pass "
                "`steps_per_epoch` to fit or use a dataset with a known length.")
        return self._epoch * steps + batch

    def get_config(self):
        return {"every": self.every, "unfreeze_at": self.unfreeze_at, "unit": self.unit,
                "initial_groups": self.initial_groups, "groups": self.groups,
                "train_batchnorm": self.train_batchnorm, "verbose": self.verbose,
                "resume_from": self.resume_from}

    @classmethod
    def from_config(cls, config):
        return cls(**config)



def _has_batchnorm_statistics(layer):
    """Whether a (SavedModel-wrapping) layer holds BatchNorm moving statistics."""
    return any("moving_mean" in v.path or "moving_variance" in v.path
               for v in layer.weights)
