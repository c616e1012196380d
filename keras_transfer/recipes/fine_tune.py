"""`fine_tune(...)`: the ULMFiT/fastai recipe in one call, from the same pieces."""

import math

import keras
import tensorflow as tf

from keras_transfer.callbacks.progressive_unfreezing import ProgressiveUnfreezing
from keras_transfer.groups.model_groups import get_layer_groups
from keras_transfer.optimizers.discriminative import discriminative_optimizer
from keras_transfer.recipes import defaults
from keras_transfer.schedules.one_cycle import OneCycle
from keras_transfer.schedules.slanted_triangular import SlantedTriangular
from keras_transfer.utils.argument_validation import check_int, check_one_of, check_positive

_SCHEDULES = ("one_cycle", "slanted_triangular", "constant")


def fine_tune(model, train_data, epochs=defaults.EPOCHS, head_epochs=defaults.HEAD_EPOCHS,
              learning_rate=defaults.HEAD_LEARNING_RATE, decay=defaults.DECAY,
              schedule=defaults.SCHEDULE, optimizer="adam", loss=None, metrics=("accuracy",),
              validation_data=None, steps_per_epoch=None, train_batchnorm=False,
              gradual_unfreezing=True, callbacks=None, verbose=1):
    """Fine-tunes a pretrained model: head first, then gradual unfreezing.

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

    Returns:
        The `keras.callbacks.History`, with `.stages` (when each group started
        training) and `.group_learning_rates` (per epoch) added.

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
    check_int(epochs, "epochs", minimum=0)
    check_int(head_epochs, "head_epochs", minimum=0)
    if epochs + head_epochs < 1:
        raise ValueError("`epochs + head_epochs` must be at least 1. "
                         f"Received: epochs={epochs!r}, head_epochs={head_epochs!r}")
    check_positive(learning_rate, "learning_rate")

    steps = steps_per_epoch or _known_length(train_data)
    if steps is None:
        raise ValueError("`train_data` has no known length; pass `steps_per_epoch`.")
    total_steps = steps * (epochs + head_epochs)
    rate = _schedule(schedule, learning_rate, total_steps)

    groups = get_layer_groups(model)
    for group in groups:  # the callback freezes them; the optimizer must see all
        group.set_trainable(True, train_batchnorm=train_batchnorm)
    if loss is None:
        loss = getattr(model, "loss", None) or "sparse_categorical_crossentropy"
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
    unfreezing = ProgressiveUnfreezing(unfreeze_at=unfreeze_at, unit="step",
                                       train_batchnorm=train_batchnorm, verbose=verbose)
    recorder = _GroupRateRecorder()
    # A tf.data.Dataset shuffles itself; Keras warns if fit is asked to.
    shuffle = not isinstance(train_data, tf.data.Dataset)
    history = model.fit(train_data, epochs=epochs + head_epochs, validation_data=validation_data,
                        steps_per_epoch=steps_per_epoch, verbose=verbose, shuffle=shuffle,
                        callbacks=[unfreezing, recorder] + list(callbacks or []))
    history.stages = unfreezing.stages
    history.group_learning_rates = recorder.rates
    return history


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
