"""`GradientReversalScheduler`: sets every `GradientReversal` coefficient per batch."""

import keras

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.layers.gradient_reversal import GradientReversal
from keras_transfer.schedules.dann_coefficient import DANN_GAMMA, dann_coefficient
from keras_transfer.utils.argument_validation import check_int, check_number
from keras_transfer.utils.walk_layers import walk_layers


@keras_transfer_export("keras_transfer.GradientReversalScheduler")
class GradientReversalScheduler(keras.callbacks.Callback):
    """Raises the gradient reversal coefficient over one `fit` with DANN's schedule.

    Before every training batch, sets the coefficient of every
    `keras_transfer.GradientReversal` layer in the model (nested models
    included) to

    ```
    max_coefficient * keras_transfer.dann_coefficient(step / total_steps, gamma)
    ```

    where `step` counts the batches of this `fit` from 0 (`epoch *
    steps_per_epoch + batch`, so `initial_epoch` resumes at the right
    point) and `step / total_steps` is clipped to 1. The layers hold the
    coefficient in a variable, so the new value reaches the traced train
    step without retracing.

    Args:
        total_steps: int. The number of training steps the schedule spans.
            Defaults to `None`: `epochs * steps` from `fit` (the dataset must
            have a known length, or pass `steps_per_epoch`).
        gamma: float. See `keras_transfer.dann_coefficient`. Defaults to
            `10.0`.
        max_coefficient: float. The coefficient the schedule tends to,
            finite and >= 0. Defaults to `1.0` (DANN).

    Attributes:
        coefficient: float. The value set before the latest batch (`None`
            before training).

    Raises:
        ValueError: for a bad argument; when training starts, if the model has
            no `GradientReversal` layer, or if `total_steps` is `None` and
            `fit` does not know the number of steps.

    Example:

    ```python
    model = keras_transfer.build_domain_adaptation_model(features, num_classes=10)
    model.fit(dataset, epochs=20,
              callbacks=[keras_transfer.GradientReversalScheduler()])
    ```
    """

    def __init__(self, total_steps=None, gamma=DANN_GAMMA, max_coefficient=1.0):
        super().__init__()
        check_int(total_steps, "total_steps", minimum=1, allow_none=True)
        check_number(gamma, "gamma", 0, min_open=True, finite=True)
        check_number(max_coefficient, "max_coefficient", minimum=0, finite=True)
        self.total_steps = total_steps
        self.gamma = float(gamma)
        self.max_coefficient = float(max_coefficient)
        self.coefficient = None
        self._epoch = 0

    def on_train_begin(self, logs=None):
        self._layers = [layer for layer in walk_layers(self.model)
                        if isinstance(layer, GradientReversal)]
        if not self._layers:
            raise ValueError(
                f"GradientReversalScheduler found no GradientReversal layer in model "
                f"{self.model.name!r}. Add a `keras_transfer.GradientReversal` layer, or "
                "build the model with `keras_transfer.build_domain_adaptation_model`.")
        self._steps_per_epoch = (self.params or {}).get("steps")
        self._batches_seen = 0
        self._total = self.total_steps
        if self._total is None:
            epochs = (self.params or {}).get("epochs")
            if not self._steps_per_epoch or not epochs:
                raise ValueError(
                    "GradientReversalScheduler needs the number of training steps: pass "
                    "`total_steps=`, or `steps_per_epoch` to `fit`, or use a dataset of "
                    f"known length. Received from fit: epochs={epochs!r}, "
                    f"steps={self._steps_per_epoch!r}")
            self._total = epochs * self._steps_per_epoch

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if self._steps_per_epoch:
            step = self._epoch * self._steps_per_epoch + batch
        else:  # unknown epoch length, explicit `total_steps`: count the batches
            step = self._batches_seen
        self._batches_seen += 1
        self.set_coefficient(self.coefficient_at(step))

    def coefficient_at(self, step):
        """The coefficient before training step `step` (0-based).

        Args:
            step: int. The step, >= 0.

        Returns:
            float. `max_coefficient * dann_coefficient(min(step / total, 1))`.
        """
        return self.max_coefficient * dann_coefficient(
            min(step / self._total, 1.0), self.gamma)

    def set_coefficient(self, value):
        """Assigns `value` to every `GradientReversal` layer of the model."""
        self.coefficient = float(value)
        for layer in self._layers:
            layer.coefficient_variable.assign(self.coefficient)

    def get_config(self):
        return {"total_steps": self.total_steps, "gamma": self.gamma,
                "max_coefficient": self.max_coefficient}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
