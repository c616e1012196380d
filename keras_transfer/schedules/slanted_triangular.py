"""ULMFiT's slanted triangular learning rate schedule."""

import math

import keras
from keras import ops

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.recipes import defaults
from keras_transfer.utils.argument_validation import check_int, check_number, check_positive


@keras_transfer_export("keras_transfer.SlantedTriangular")
class SlantedTriangular(keras.optimizers.schedules.LearningRateSchedule):
    """Slanted triangular learning rates (ULMFiT, Howard & Ruder 2018, eq. 3).

    The rate rises linearly for a short `cut_frac` of the run, from
    `max_learning_rate / ratio` to `max_learning_rate`, then decays linearly
    back to `max_learning_rate / ratio` over the remaining steps. With
    `T = total_steps` and `t` the optimizer step (`optimizer.iterations`,
    starting at 0):

    ```
    cut = floor(T * cut_frac)
    p   = t / cut                                         if t < cut
    p   = 1 - (t - cut) / (cut * (1 / cut_frac - 1))      otherwise
    lr  = max_learning_rate * (1 + p * (ratio - 1)) / ratio
    ```

    These are the paper's formulas, unchanged. One guard is added: `p` is
    clipped at 0 from below, so the rate never drops under
    `max_learning_rate / ratio` (and never goes negative). This matters past
    `total_steps`, where the rate then stays at `max_learning_rate / ratio`,
    and when `T * cut_frac` is not a whole number, where the paper's decay
    denominator is shorter than `T - cut` and would reach `p = 0` early.

    Args:
        max_learning_rate: float. The peak rate, reached at step `cut`.
        total_steps: int. `T`, the number of optimizer steps of the run
            (epochs times batches per epoch).
        cut_frac: float. Fraction of `total_steps` spent increasing the rate,
            in (0, 1). Defaults to `0.1`.
        ratio: float. How much smaller the lowest rate is than the peak,
            at least 1. Defaults to `32`.

    Returns:
        When called with a step (int or scalar tensor), a float32 scalar
        tensor: the learning rate for that step.

    Raises:
        ValueError: if an argument is out of range, or if
            `total_steps * cut_frac < 1` (the increase would have no step).

    Example:

    ```python
    import keras
    from keras_transfer.schedules.slanted_triangular import SlantedTriangular

    schedule = SlantedTriangular(max_learning_rate=1e-2, total_steps=1000)
    optimizer = keras.optimizers.Adam(learning_rate=schedule)
    float(schedule(0))    # 0.0003125 = 1e-2 / 32
    float(schedule(100))  # 0.01, the peak (cut = 100)
    float(schedule(1000)) # 0.0003125
    ```
    """

    def __init__(self, max_learning_rate, total_steps,
                 cut_frac=defaults.SLANTED_TRIANGULAR_CUT_FRAC,
                 ratio=defaults.SLANTED_TRIANGULAR_RATIO):
        super().__init__()
        check_positive(max_learning_rate, "max_learning_rate")
        check_int(total_steps, "total_steps", minimum=1)
        check_number(cut_frac, "cut_frac", 0, 1, min_open=True, max_open=True)
        check_number(ratio, "ratio", minimum=1)
        if math.floor(total_steps * cut_frac) < 1:
            raise ValueError(
                "`total_steps * cut_frac` must be at least 1, so that the rate "
                "has at least one step to increase. Received: "
                f"total_steps={total_steps!r}, cut_frac={cut_frac!r}. "
                "Increase `total_steps` or `cut_frac`."
            )
        self.max_learning_rate = float(max_learning_rate)
        self.total_steps = int(total_steps)
        self.cut_frac = float(cut_frac)
        self.ratio = float(ratio)

    @property
    def cut(self):
        """The step at which the rate peaks: `floor(total_steps * cut_frac)`."""
        return math.floor(self.total_steps * self.cut_frac)

    def __call__(self, step):
        max_learning_rate = ops.convert_to_tensor(self.max_learning_rate)
        step = ops.cast(step, max_learning_rate.dtype)
        cut = float(self.cut)
        increasing = step / cut
        decreasing = 1.0 - (step - cut) / (cut * (1.0 / self.cut_frac - 1.0))
        p = ops.maximum(ops.where(step < cut, increasing, decreasing), 0.0)
        return max_learning_rate * (1.0 + p * (self.ratio - 1.0)) / self.ratio

    def get_config(self):
        # `LearningRateSchedule.get_config` raises NotImplementedError, so
        # there is no parent config to extend.
        return {
            "max_learning_rate": self.max_learning_rate,
            "total_steps": self.total_steps,
            "cut_frac": self.cut_frac,
            "ratio": self.ratio,
        }
