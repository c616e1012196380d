"""`fine_tune(...)`: the ULMFiT/fastai recipe in one call, from the same pieces."""

import math

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.callbacks.progressive_unfreezing import ProgressiveUnfreezing
from keras_transfer.distribute.multi_worker import enable_multi_worker_fit
from keras_transfer.groups.model_groups import get_layer_groups
from keras_transfer.optimizers.discriminative import discriminative_optimizer
from keras_transfer.optimizers.optimizer_setup import strategy_scope
from keras_transfer.features.feature_cache import FeatureCache
from keras_transfer.recipes import defaults
from keras_transfer.recipes.choose_plan import PLANS, choose_plan
from keras_transfer.regularizers.l2_sp import L2SP
from keras_transfer.schedules.one_cycle import OneCycle
from keras_transfer.schedules.slanted_triangular import SlantedTriangular
from keras_transfer.utils.argument_validation import (check_int, check_number, check_one_of,
                                                      check_positive)
from keras_transfer.utils.messages import say

_SCHEDULES = ("one_cycle", "slanted_triangular", "constant")


def fine_tune(model, train_data, epochs=defaults.EPOCHS, head_epochs=defaults.HEAD_EPOCHS,
              learning_rate=defaults.HEAD_LEARNING_RATE, decay=defaults.DECAY,
              schedule=defaults.SCHEDULE, optimizer="adam", loss=None, metrics=("accuracy",),
              validation_data=None, steps_per_epoch=None, train_batchnorm=False,
              gradual_unfreezing=True, callbacks=None, verbose=1, plan=defaults.PLAN,
              l2_sp=None, holdout=None, probe_epochs=None, groups=None):
    """Fine-tunes a pretrained model with a plan that fits the label budget.

    `plan` says how (see `keras_transfer.choose_plan`, which `"auto"` asks,
    counting the labels of `train_data` per class):

    - `"linear_probe"` (few labels): only the head trains, on backbone
      features computed once (`keras_transfer.FeatureCache`), Adam at
      `PROBE_LEARNING_RATE` (1e-2) for `probe_epochs`; the backbone never
      changes.
    - `"lp_ft"`: that probe, then the recipe below from the probed head
      with `head_epochs=0` (LP-FT, Kumar et al. 2022).
    - `"full"`: the recipe below from the model's head as it is (fine_tune's
      behaviour before plans existed).

    With `holdout` (off by default: it measured worse than training on every
    label; see `keras_transfer.recipes.defaults`), a stratified fraction of
    `train_data` is held out (the examples are then held in memory, so
    random augmentation in the pipeline is drawn once): the probe and the fine-tuning stop early
    on its loss and keep their best weights
    (`keras.callbacks.EarlyStopping(restore_best_weights=True)`), and
    fine-tuning is undone if its best held-out loss is worse than the
    probe's. `l2_sp` adds `keras_transfer.L2SP` to every backbone variable
    while fine-tuning. The plan, its reason and what each stage did are
    printed and returned in `history.plan`.

    The recipe (ULMFiT; fastai's `fine_tune`), built only from keras_transfer's
    public pieces, in ONE `model.fit`:

    1. For `head_epochs` epochs only the head trains (backbone frozen).
    2. Then the backbone's groups unfreeze one at a time, top down, spread
       evenly over the first half of the remaining `epochs`, so that every
       group trains for at least the last half (with
       `gradual_unfreezing=False`, all at once when the head phase ends).
    3. Throughout, each group has its own learning rate (`decay` per group,
       `DiscriminativeOptimizer`; one rate for all at the default
       `decay=1.0`), all following one schedule over the whole run: slanted
       triangular (ULMFiT), one-cycle (fastai), or constant.

    The model is (re)compiled here. BatchNorm stays in inference mode unless
    `train_batchnorm=True`. The defaults live in
    `keras_transfer.recipes.defaults`, with where each number comes from.

    Args:
        model: `keras.Model`. A built model with a backbone and a head (e.g.
            from `keras_transfer.build_image_classifier`).
        train_data: `tf.data.Dataset` of `(x, y)` batches (or anything
            `model.fit` accepts with a known length).
        epochs: int. Epochs after the head-only phase. Defaults to 3.
        head_epochs: int. Head-only epochs first. Defaults to 1.
        learning_rate: float. The head's peak learning rate. Defaults to 1e-3.
        decay: float. Each group trains `decay` times slower than the one
            above (discriminative rates). Defaults to 1.0: one rate for all
            groups. ULMFiT's 2.6 (set for a 3-layer LSTM) lost to 1.0 on
            all three offline benchmarks (text -4.7 points at 1.5, audio
            -26 points, image -1.4 points); see docs/concepts.md, "What each
            part of the recipe bought".
        schedule: str. "slanted_triangular", "one_cycle" or "constant".
            Defaults to "slanted_triangular".
        optimizer: str or optimizer. The base optimizer. Defaults to "adam".
        loss: loss for `compile`. Defaults to the model's compiled loss, else
            `"sparse_categorical_crossentropy"`.
        metrics: metrics for `compile`. Defaults to `("accuracy",)`.
        validation_data: passed to `fit`. Defaults to `None`.
        steps_per_epoch: int. Needed when `train_data` has no known length.
        train_batchnorm: bool. Let unfrozen BatchNorm layers train.
            Defaults to `False`.
        gradual_unfreezing: bool. Unfreeze the groups one at a time (ULMFiT);
            False unfreezes every group when the head-only phase ends (what
            BERT-style fine-tuning with layer-wise rates does). Defaults to
            `True`.
        callbacks: list. Extra callbacks. Defaults to `None`.
        verbose: int. Passed to `fit` and the callbacks. Defaults to 1.
        plan: str. `"auto"`, `"linear_probe"`, `"lp_ft"` or `"full"` (see
            above). Defaults to `"auto"`.
        l2_sp: float, bool or None. L2-SP strength on the backbone while
            fine-tuning; `True` means `L2_SP_ALPHA` (0.01). Defaults to
            `None` (off).
        holdout: float, bool or None. Fraction of `train_data` held out for
            early stopping (`True`: `HOLDOUT_FRACTION`, 0.2). Not used by
            `plan="full"`. Defaults to `None` (every example trains).
        probe_epochs: int. Epochs of the linear probe on cached features.
            Defaults to `None`: `PROBE_EPOCHS` (20), raised to at least
            `PROBE_MIN_STEPS` (200) optimizer steps.
        groups: list. Ordered regexes or `(name, regex)` pairs that define
            the layer groups instead of `keras_transfer.get_layer_groups`'
            derivation (its `patterns`); the last group is the head. For
            example `keras_transfer.language_models.CHAR_LM_GROUPS`.
            Defaults to `None`.

    Returns:
        The `keras.callbacks.History` of the last stage that ran, with
        `.plan` added (`plan`, `reason`, `examples_per_class`, `holdout`:
        held-out examples, `probe`: the probe's epochs and losses, `kept`:
        whether fine-tuning was kept, `l2_sp`) and, when fine-tuning ran,
        `.stages` (when each group started training) and
        `.group_learning_rates` (per epoch).

    Raises:
        ValueError: on bad arguments, or when the number of steps per epoch
            cannot be known.

    Example:

    ```python
    model = keras_transfer.build_text_classifier("minilm_l6", num_classes=2)
    history = keras_transfer.fine_tune(model, train_ds, epochs=3,
                                       validation_data=test_ds)
    ```
    """
    check_one_of(schedule, "schedule", _SCHEDULES)
    check_one_of(plan, "plan", PLANS)
    _check_run(epochs, head_epochs, learning_rate)
    if (steps_per_epoch or _known_length(train_data)) is None:
        raise ValueError("`train_data` has no known length; pass `steps_per_epoch`.")
    check_int(probe_epochs, "probe_epochs", minimum=1, allow_none=True)
    alpha = defaults.L2_SP_ALPHA if l2_sp is True else (None if l2_sp is False else l2_sp)
    check_number(alpha, "l2_sp", 0, finite=True, allow_none=True)
    fraction = defaults.HOLDOUT_FRACTION if holdout is True else (
        None if holdout is False else holdout)
    check_number(fraction, "holdout", 0, 1, max_open=True, allow_none=True)
    def full(info):
        history = _recipe(model, train_data, epochs, head_epochs, learning_rate, decay,
                          schedule, optimizer, loss, metrics, validation_data,
                          steps_per_epoch, train_batchnorm, gradual_unfreezing, callbacks,
                          verbose, alpha, groups)
        history.plan = {**info, "plan": "full", "holdout": 0, "l2_sp": alpha}
        say(f"Plan: full ({history.plan['reason']})", verbose)
        return history

    if plan == "full":
        return full({"reason": "plan='full' chosen by the caller"})
    if not isinstance(train_data, tf.data.Dataset):
        raise ValueError(f"plan={plan!r} needs `train_data` as a `tf.data.Dataset` of "
                         "(inputs, labels) batches (its labels are counted and its features "
                         "cached); pass plan='full' for other inputs. Received: "
                         f"train_data of type {type(train_data).__name__}")
    labels = np.concatenate([_label_ids(_labels_of(batch)) for batch in train_data])
    counts = np.bincount(labels)
    counts = counts[counts > 0]
    chosen = choose_plan(int(counts.min()), plan)
    if chosen["plan"] == "full":  # "auto" with many labels: no probe, no holdout
        return full({"reason": chosen["reason"],
                     "examples_per_class": chosen["examples_per_class"]})
    batch_size = int(tf.nest.flatten(next(iter(train_data)))[0].shape[0])
    train_index, held_index = _stratified_split(labels, fraction or 0.0)
    if len(held_index):  # few labels: small enough to hold in memory
        x, y = _collect(train_data)
        train_part = _batched(x, y, train_index, batch_size, shuffle=True)
        held_part = _batched(x, y, held_index, batch_size)
    else:
        train_part, held_part = train_data, None
    info = {"plan": chosen["plan"], "reason": chosen["reason"],
            "examples_per_class": chosen["examples_per_class"], "holdout": len(held_index),
            "l2_sp": alpha if chosen["plan"] == "lp_ft" else None}
    if len(held_index):
        info["reason"] += (f"; {len(held_index)} examples held out for early stopping "
                           "with best-weights restore")
    say(f"Plan: {info['plan']} ({info['reason']})", verbose)
    if loss is None:
        loss = getattr(model, "loss", None) or "sparse_categorical_crossentropy"

    layer_groups = get_layer_groups(model, groups)
    for group in layer_groups[:-1]:
        group.set_trainable(False, train_batchnorm=train_batchnorm)
    layer_groups[-1].set_trainable(True, train_batchnorm=train_batchnorm)
    probe = _probe(model, train_part, held_part, len(train_index), batch_size, loss, metrics,
                   probe_epochs, verbose)
    info["probe"] = {"epochs": len(probe.history.get("loss", [])),
                     "loss": probe.history.get("loss", [None])[-1],
                     "best_val_loss": (min(probe.history["val_loss"])
                                       if probe.history.get("val_loss") else None)}
    if chosen["plan"] == "linear_probe" or epochs < 1:
        probe.plan = info
        return probe

    probed = model.get_weights() if held_part is not None else None
    extra = list(callbacks or [])
    stopping = None
    if held_part is not None:
        stopping = keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=defaults.FINE_TUNING_PATIENCE,
            restore_best_weights=True, verbose=min(verbose, 1))
        extra.append(stopping)
    history = _recipe(model, train_part, epochs, 0, learning_rate, decay, schedule,
                      optimizer, loss, metrics,
                      held_part if held_part is not None else validation_data,
                      None, train_batchnorm, gradual_unfreezing, extra, verbose, alpha, groups)
    info["kept"] = True
    if stopping is not None:
        best = min(history.history["val_loss"])
        probe_best = info["probe"]["best_val_loss"]
        info["fine_tuning_best_val_loss"] = best
        if probe_best is not None and best > probe_best:
            model.set_weights(probed)
            info["kept"] = False
            say(f"Fine-tuning undone: its best held-out loss {best:.4f} is worse than the "
                f"probe's {probe_best:.4f}; the model keeps the probed head and the "
                "pretrained backbone", verbose)
    history.plan = info
    return history


def _recipe(model, train_data, epochs, head_epochs, learning_rate, decay, schedule,
            optimizer, loss, metrics, validation_data, steps_per_epoch, train_batchnorm,
            gradual_unfreezing, callbacks, verbose, l2_sp, patterns=None):
    """The ULMFiT recipe in one `model.fit` (the `"full"` plan, and LP-FT's second stage)."""
    steps = steps_per_epoch or _known_length(train_data)
    if steps is None:
        raise ValueError("`train_data` has no known length; pass `steps_per_epoch`.")
    total_steps = steps * (epochs + head_epochs)
    rate = _schedule(schedule, learning_rate, total_steps)

    groups = get_layer_groups(model, patterns)
    for group in groups:  # the callback freezes them; the optimizer must see all
        group.set_trainable(True, train_batchnorm=train_batchnorm)
    attached = _attach_l2_sp(groups[:-1], l2_sp) if l2_sp else []
    if loss is None:
        loss = getattr(model, "loss", None) or "sparse_categorical_crossentropy"
    # In the model's strategy scope: a Keras optimizer belongs to the strategy
    # it was created under (MirroredStrategy, MultiWorkerMirroredStrategy).
    with strategy_scope(model):
        model.compile(optimizer=discriminative_optimizer(model, optimizer, learning_rate=rate,
                                                         decay=decay, groups=groups),
                      loss=loss, metrics=list(metrics or []))

    lower = len(groups) - 1
    head_steps = steps * head_epochs
    spread = max(1, (steps * epochs) // 2)
    if gradual_unfreezing:
        unfreeze_at = [head_steps + (i * spread) // max(1, lower) for i in range(lower)]
    else:
        unfreeze_at = [head_steps] * lower
    unfreezing = ProgressiveUnfreezing(unfreeze_at=unfreeze_at, unit="step", groups=patterns,
                                       train_batchnorm=train_batchnorm, verbose=verbose)
    recorder = _GroupRateRecorder()
    # A tf.data.Dataset shuffles itself; Keras warns if fit is asked to.
    shuffle = not isinstance(train_data, tf.data.Dataset)
    enable_multi_worker_fit(model)  # a no-op unless under multi-worker MWMS
    try:
        history = model.fit(train_data, epochs=epochs + head_epochs,
                            validation_data=validation_data, steps_per_epoch=steps_per_epoch,
                            verbose=verbose, shuffle=shuffle,
                            callbacks=[unfreezing, recorder] + list(callbacks or []))
    finally:
        for variable, previous in attached:
            variable.regularizer = previous
    history.stages = unfreezing.stages
    history.group_learning_rates = recorder.rates
    return history


def _check_run(epochs, head_epochs, learning_rate):
    check_int(epochs, "epochs", minimum=0)
    check_int(head_epochs, "head_epochs", minimum=0)
    if epochs + head_epochs < 1:
        raise ValueError("`epochs + head_epochs` must be at least 1. "
                         f"Received: epochs={epochs!r}, head_epochs={head_epochs!r}")
    check_positive(learning_rate, "learning_rate")


def _probe(model, train_part, held_part, num_train, batch_size, loss, metrics, epochs,
           verbose):
    """Linear probe: the head on cached features, early-stopped on the held-out part."""
    cache = FeatureCache(model)
    train_features = cache.extract(train_part, shuffle=True, seed=0)
    held_features = cache.extract(held_part) if held_part is not None else None
    if epochs is None:
        steps = max(1, math.ceil(num_train / batch_size))
        epochs = max(defaults.PROBE_EPOCHS, math.ceil(defaults.PROBE_MIN_STEPS / steps))
    with model.distribute_strategy.scope():
        cache.head_model.compile(
            optimizer=keras.optimizers.Adam(defaults.PROBE_LEARNING_RATE), loss=loss,
            metrics=list(metrics or []))
    stopping = []
    if held_features is not None:
        stopping = [keras.callbacks.EarlyStopping(monitor="val_loss",
                                                  patience=defaults.PROBE_PATIENCE,
                                                  restore_best_weights=True)]
    say(f"Linear probe: head on cached features, up to {epochs} epochs", verbose)
    return cache.fit(train_features, validation_data=held_features, epochs=epochs,
                     callbacks=stopping, verbose=0)


def _attach_l2_sp(backbone_groups, alpha):
    """Puts an `L2SP` on every variable the backbone groups may train (called
    while they are all unfrozen); returns (variable, previous) pairs."""
    attached = []
    for group in backbone_groups:
        for variable in group.trainable_variables:
            attached.append((variable, variable.regularizer))
            variable.regularizer = L2SP(alpha, variable)
    return attached


def _labels_of(batch):
    _, y, _ = keras.utils.unpack_x_y_sample_weight(batch)
    if y is None:
        raise ValueError("`train_data` yields inputs without labels; `fine_tune` needs "
                         "(inputs, labels) batches.")
    return np.asarray(y)


def _collect(dataset):
    """The dataset's (inputs, labels), concatenated into arrays (one pass)."""
    xs, ys = [], []
    for batch in dataset:
        x, y, _ = keras.utils.unpack_x_y_sample_weight(batch)
        if y is None:
            raise ValueError("`train_data` yields inputs without labels; `fine_tune` needs "
                             "(inputs, labels) batches.")
        xs.append(tf.nest.map_structure(np.asarray, x))
        ys.append(np.asarray(y))
    if not ys:
        raise ValueError("`train_data` is empty.")
    return (tf.nest.map_structure(lambda *parts: np.concatenate(parts), *xs),
            np.concatenate(ys))


def _label_ids(y):
    """Integer class ids of sparse or one-hot labels."""
    y = np.asarray(y)
    if y.ndim >= 2 and y.shape[-1] > 1:
        return np.argmax(y, axis=-1).reshape(-1)
    return y.reshape(-1).astype("int64")


def _stratified_split(labels, fraction, seed=0):
    """(train, held-out) indices: `fraction` of every class (>= 1 when it has >= 2)."""
    rng = np.random.default_rng(seed)
    held = []
    if fraction:
        for label in np.unique(labels):
            members = np.flatnonzero(labels == label)
            count = min(len(members) - 1, max(1, round(fraction * len(members))))
            held.extend(rng.choice(members, count, replace=False).tolist())
    held = np.sort(np.asarray(held, dtype="int64"))
    train = np.setdiff1d(np.arange(len(labels)), held)
    return train, held


def _batched(x, y, index, batch_size, shuffle=False, seed=0):
    data = (tf.nest.map_structure(lambda a: a[index], x), y[index])
    dataset = tf.data.Dataset.from_tensor_slices(data)
    if shuffle:
        dataset = dataset.shuffle(len(index), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size)


def _schedule(name, peak, total_steps):
    if name == "slanted_triangular":
        if math.floor(total_steps * defaults.SLANTED_TRIANGULAR_CUT_FRAC) < 1:
            return peak
        return SlantedTriangular(peak, total_steps)
    if name == "one_cycle":
        return OneCycle(peak, total_steps)
    return peak


def _known_length(data):
    if isinstance(data, tf.data.Dataset):
        length = int(data.cardinality())
        return length if length > 0 else None
    try:
        return len(data)
    except TypeError:
        return None


class _GroupRateRecorder(keras.callbacks.Callback):
    """Per-epoch learning rate of every group (the mean over the epoch's steps)."""

    def __init__(self):
        super().__init__()
        self.rates = []
        self._sums = {}
        self._count = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._sums, self._count = {}, 0

    def on_train_batch_begin(self, batch, logs=None):
        optimizer = getattr(self.model.optimizer, "inner_optimizer", self.model.optimizer)
        for name, value in optimizer.group_learning_rates().items():
            self._sums[name] = self._sums.get(name, 0.0) + value
        self._count += 1

    def on_epoch_end(self, epoch, logs=None):
        if self._count:
            self.rates.append({"epoch": epoch, **{k: v / self._count for k, v in self._sums.items()
                                                  if k != "default"}})
