"""The learning rate range test (Smith 2015; fastai's `lr_find`)."""

import math
import numbers

import keras
import numpy as np
from keras import ops

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.callbacks import lr_suggestions
from keras_transfer.callbacks.lr_suggestions import RULES
from keras_transfer.utils.argument_validation import check_int, check_number, check_one_of


@keras_transfer_export("keras_transfer.LRFinder")
class LRFinder(keras.callbacks.Callback):
    """Sweeps the learning rate exponentially and records the loss.

    At batch `i` (counting from 0) the finder sets
    `model.optimizer.learning_rate` to

    ```
    min_learning_rate * (max_learning_rate / min_learning_rate) ** (i / (num_steps - 1))
    ```

    so consecutive rates differ by a constant factor and the last step uses
    exactly `max_learning_rate`. After each batch it records the rate and
    the loss of that batch, smoothed as fastai does: `avg = beta * avg +
    (1 - beta) * loss`, `smoothed = avg / (1 - beta ** (i + 1))`. Training
    stops (`model.stop_training = True`) after `num_steps` batches, or
    earlier when the smoothed loss is not finite or exceeds
    `divergence_factor` times the lowest smoothed loss so far.

    At the end of training the finder puts back exactly what it found at the
    start: the model weights (`model.get_weights()`), every optimizer
    variable (iterations, moments, ...) and the learning rate. The run is
    then only a measurement; fit the model afterwards with the rate from
    `suggestion()`.

    The batch loss is read from the compiled loss tracker (the `"loss"`
    metric in `model.metrics`): Keras 3 reports `logs["loss"]` as the mean
    over the epoch so far, so the finder takes the difference of the
    tracker's `total` and `count` around each batch. A model without that
    tracker (a custom `train_step`) must report the batch loss as
    `logs["loss"]`. With `steps_per_execution > 1`, one record covers one
    execution.

    The optimizer must hold a plain learning rate (a float, stored in a
    variable) that `model.optimizer.learning_rate = value` can set; any
    optimizer whose `learning_rate` property is settable works. The
    optimizer is built on `model.trainable_variables` at train begin if fit
    has not built it yet (on the TensorFlow backend without a distribution
    strategy, Keras builds it only when the train step is first traced).

    Args:
        min_learning_rate: float. First rate of the sweep, > 0. Defaults to
            `1e-7`.
        max_learning_rate: float. Last rate of the sweep, greater than
            `min_learning_rate`. Defaults to `10.0`.
        num_steps: int. Number of batches (rates) in the sweep, >= 2.
            100 to 300 is typical. Defaults to `100`.
        beta: float. Smoothing factor of the loss, in [0, 1). Defaults to
            `0.98`.
        divergence_factor: float. Training stops once the smoothed loss is
            more than this many times the best smoothed loss; > 1. Defaults
            to `4.0`.

    Raises:
        ValueError: if an argument is out of range, or (at train begin) if
            the model is not built.
        TypeError: at train begin, if `model.optimizer.learning_rate`
            cannot be set (the optimizer was created with a
            `LearningRateSchedule`, or is a stock
            `keras.optimizers.MultiOptimizer`).

    Example:

    ```python
    import keras
    import numpy as np
    from keras_transfer.callbacks.lr_finder import LRFinder

    x = np.random.rand(256, 8).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")

    finder = LRFinder.find(model, x, y=y, batch_size=16, num_steps=100)
    learning_rate = finder.suggestion("valley")
    finder.plot("lr_find.png")  # needs the `report` extra (matplotlib)
    model.optimizer.learning_rate = learning_rate
    model.fit(x, y, batch_size=16, epochs=5)
    ```
    """

    def __init__(
        self,
        min_learning_rate=1e-7,
        max_learning_rate=10.0,
        num_steps=100,
        beta=0.98,
        divergence_factor=4.0,
    ):
        super().__init__()
        check_number(min_learning_rate, "min_learning_rate", 0, min_open=True, finite=True)
        if (
            isinstance(max_learning_rate, bool)
            or not isinstance(max_learning_rate, numbers.Real)
            or not min_learning_rate < max_learning_rate < math.inf
        ):
            raise ValueError(
                "`max_learning_rate` must be a finite number greater than "
                f"`min_learning_rate`. Received: max_learning_rate="
                f"{max_learning_rate!r}, min_learning_rate={min_learning_rate!r}"
            )
        check_int(num_steps, "num_steps", minimum=2)
        check_number(beta, "beta", 0, 1, max_open=True)
        check_number(divergence_factor, "divergence_factor", 1, min_open=True)
        self.min_learning_rate = float(min_learning_rate)
        self.max_learning_rate = float(max_learning_rate)
        self.num_steps = int(num_steps)
        self.beta = float(beta)
        self.divergence_factor = float(divergence_factor)
        self.learning_rates = []
        self.losses = []

    @classmethod
    def find(
        cls,
        model,
        data,
        *,
        num_steps=100,
        min_learning_rate=1e-7,
        max_learning_rate=10.0,
        beta=0.98,
        divergence_factor=4.0,
        **fit_kwargs,
    ):
        """Runs the sweep with `model.fit` and returns the finder.

        Calls `model.fit(data, epochs=num_steps, callbacks=[..., finder],
        verbose=0, **fit_kwargs)`. `epochs=num_steps` is only an upper
        bound (every epoch has at least one batch): the finder stops
        training after `num_steps` batches, so short datasets are simply
        iterated again. The model must be compiled with an optimizer whose
        learning rate is a float. Weights and optimizer state are restored
        when it returns.

        Args:
            model: `keras.Model`. A compiled, built model.
            data: The `x` argument of `model.fit` (a `tf.data.Dataset`,
                `keras.utils.PyDataset`, arrays, ...).
            num_steps: int. Number of batches in the sweep. Defaults to
                `100`.
            min_learning_rate: float. Defaults to `1e-7`.
            max_learning_rate: float. Defaults to `10.0`.
            beta: float. Defaults to `0.98`.
            divergence_factor: float. Defaults to `4.0`.
            **fit_kwargs: passed on to `model.fit` (`y`, `batch_size`,
                `callbacks`, which run before the finder, or overrides of
                `epochs` and `verbose`).

        Returns:
            The `LRFinder`, holding `learning_rates` and `losses`.
        """
        finder = cls(
            min_learning_rate=min_learning_rate,
            max_learning_rate=max_learning_rate,
            num_steps=num_steps,
            beta=beta,
            divergence_factor=divergence_factor,
        )
        callbacks = list(fit_kwargs.pop("callbacks", None) or []) + [finder]
        fit_kwargs.setdefault("epochs", num_steps)
        fit_kwargs.setdefault("verbose", 0)
        model.fit(data, callbacks=callbacks, **fit_kwargs)
        return finder

    def on_train_begin(self, logs=None):
        model = self.model
        if not model.built:
            raise ValueError(
                f"LRFinder needs a built model, to snapshot its weights. The "
                f"model {model.name!r} is not built yet: call it on a batch or "
                "`model.build(input_shape)` before fitting."
            )
        optimizer = model.optimizer
        try:
            learning_rate = float(ops.convert_to_numpy(optimizer.learning_rate))
        except (TypeError, AttributeError) as error:
            raise self._not_settable_error(optimizer, error) from error
        if not optimizer.built:
            optimizer.build(model.trainable_variables)
        # Snapshot first: setting the rate below may already touch variables
        # (an optimizer that derives per-group rates from it, for example).
        self._initial_learning_rate = learning_rate
        self._initial_weights = model.get_weights()
        self._initial_optimizer_values = [
            np.array(ops.convert_to_numpy(variable), copy=True)
            for variable in optimizer.variables
        ]
        try:
            optimizer.learning_rate = learning_rate
        except (TypeError, AttributeError) as error:
            raise self._not_settable_error(optimizer, error) from error
        self._loss_tracker = next(
            (
                metric
                for metric in model.metrics
                if metric.name == "loss"
                and hasattr(metric, "total")
                and hasattr(metric, "count")
            ),
            None,
        )
        self.learning_rates = []
        self.losses = []
        self._step = 0
        self._average = 0.0
        self._best = math.inf

    def on_train_batch_begin(self, batch, logs=None):
        exponent = min(self._step, self.num_steps - 1) / (self.num_steps - 1)
        self._learning_rate = (
            self.min_learning_rate
            * (self.max_learning_rate / self.min_learning_rate) ** exponent
        )
        self.model.optimizer.learning_rate = self._learning_rate
        if self._loss_tracker is not None:
            self._tracker_before = self._read_tracker()

    def on_train_batch_end(self, batch, logs=None):
        if self._loss_tracker is not None:
            total_before, count_before = self._tracker_before
            total, count = self._read_tracker()
            loss = (
                (total - total_before) / (count - count_before)
                if count > count_before
                else math.nan
            )
        else:
            loss = float((logs or {}).get("loss", math.nan))
        self._step += 1
        self._average = self.beta * self._average + (1.0 - self.beta) * loss
        smoothed = self._average / (1.0 - self.beta**self._step)
        self.learning_rates.append(self._learning_rate)
        self.losses.append(smoothed)

        if math.isfinite(smoothed) and smoothed < self._best:
            self._best = smoothed
        if (
            not math.isfinite(smoothed)
            or smoothed > self.divergence_factor * self._best
            or self._step >= self.num_steps
        ):
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        optimizer = self.model.optimizer
        # The learning rate first (an optimizer may keep it outside its
        # variables), then every variable, which also restores the rate
        # variable bit for bit.
        optimizer.learning_rate = self._initial_learning_rate
        for variable, value in zip(optimizer.variables, self._initial_optimizer_values):
            variable.assign(value)
        self.model.set_weights(self._initial_weights)
        self._initial_weights = None
        self._initial_optimizer_values = None

    def suggestion(self, rule="valley"):
        """Suggests a learning rate from the recorded curve.

        As fastai's `lr_find`, the rules look at the smoothed loss without
        the first `num_steps // 10` and the last 5 steps (both kept when
        fewer than 2 steps would remain), and ignore non-finite losses.

        - `"valley"`: fastai's valley heuristic. It finds the longest
          stretch over which the loss keeps decreasing (the longest strictly
          decreasing subsequence, computed exactly as fastai's `valley`)
          and returns the rate about halfway along it
          (`start + int(n / 3) + int(n / 6)` for a stretch of `n` steps).
          fastai's default; robust to noisy curves.
        - `"steepest"`: the rate at the most negative slope of the smoothed
          loss against `log(learning_rate)`, i.e. `learning_rates[i]` for
          the `i` minimizing `(loss[i + 1] - loss[i]) / (log lr[i + 1] -
          log lr[i])`.
        - `"minimum"`: the rate with the lowest smoothed loss, divided by
          10 (the lowest point is already too high to train at).

        Args:
            rule: str. One of `"valley"`, `"steepest"`, `"minimum"`.
                Defaults to `"valley"`.

        Returns:
            The suggested learning rate, a float.

        Raises:
            ValueError: if `rule` is unknown or fewer than 2 steps with a
                finite loss were recorded.
        """
        check_one_of(rule, "rule", RULES)
        return lr_suggestions.suggest(*self._curve(), rule=rule)

    def plot(self, path, rule="valley"):
        """Writes the loss against the learning rate to a PNG file.

        The smoothed loss (over the range `suggestion` uses) is drawn against
        the learning rate on a log axis, with the suggestion of `rule`
        marked. Uses matplotlib's Agg canvas directly, so it neither needs a
        display nor changes pyplot's backend.

        Args:
            path: str or path-like. Where to write the PNG.
            rule: str. The suggestion rule to mark. Defaults to `"valley"`.

        Returns:
            `path`.

        Raises:
            ImportError: if matplotlib is not installed.
            ValueError: as `suggestion`.
        """
        from keras_transfer.report.build_lr_finder_figure import build_lr_finder_figure

        suggested = self.suggestion(rule)
        figure = build_lr_finder_figure(*self._curve(), suggested, rule)
        figure.savefig(path, format="png")
        return path

    def get_config(self):
        return {
            "min_learning_rate": self.min_learning_rate,
            "max_learning_rate": self.max_learning_rate,
            "num_steps": self.num_steps,
            "beta": self.beta,
            "divergence_factor": self.divergence_factor,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @staticmethod
    def _not_settable_error(optimizer, error):
        return TypeError(
            "LRFinder sets `model.optimizer.learning_rate` at every batch, "
            f"but it cannot be set on this optimizer "
            f"({type(optimizer).__name__}): {error} Compile the model with a "
            "float learning rate for the sweep, e.g. "
            "`keras.optimizers.Adam(learning_rate=1e-3)`, then compile again "
            "with your schedule, using the suggested rate as its peak."
        )

    def _read_tracker(self):
        return (
            float(ops.convert_to_numpy(self._loss_tracker.total)),
            float(ops.convert_to_numpy(self._loss_tracker.count)),
        )

    def _curve(self):
        """The finite part of the records, trimmed as fastai does."""
        return lr_suggestions.trim_curve(self.learning_rates, self.losses,
                                         skip_start=self.num_steps // 10)
