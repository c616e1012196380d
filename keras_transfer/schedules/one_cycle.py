"""The 1cycle learning rate schedule, with fastai's `fit_one_cycle` defaults."""

import math

import keras
from keras import ops

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.recipes import defaults
from keras_transfer.utils.argument_validation import (
    check_int,
    check_number,
    check_one_of,
    check_positive,
)

WARMUPS = ("cosine", "linear")


@keras_transfer_export("keras_transfer.OneCycle")
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """One cycle: warm up to a peak rate, then anneal with a cosine.

    The rate starts at `max_learning_rate / div_factor`, rises to
    `max_learning_rate` over the first `warmup_frac` of the run, then follows
    half a cosine down to `max_learning_rate / final_div_factor`. The defaults
    are those of fastai's `fit_one_cycle` (`pct_start=0.25`, `div=25`,
    `div_final=1e5`, cosine warm-up). With `T = total_steps`,
    `W = warmup_frac * T` (not rounded), `t` the optimizer step
    (`optimizer.iterations`, starting at 0), `start = max_learning_rate /
    div_factor` and `end = max_learning_rate / final_div_factor`:

    ```
    t < W, warmup="cosine":  lr = start + (max - start) * (1 - cos(pi * t / W)) / 2
    t < W, warmup="linear":  lr = start + (max - start) * t / W
    t >= W:                  q  = min((t - W) / (T - W), 1)
                             lr = end + (max - end) * (1 + cos(pi * q)) / 2
    ```

    The rate is `max_learning_rate` at `t = W` and `end` at `t = T`; past
    `total_steps` it stays at `end`.

    Args:
        max_learning_rate: float. The peak rate.
        total_steps: int. `T`, the number of optimizer steps of the run
            (epochs times batches per epoch).
        warmup_frac: float. Fraction of `total_steps` spent warming up, in
            [0, 1); 0 starts the annealing at the peak. Defaults to `0.25`.
        div_factor: float. The initial rate is `max_learning_rate /
            div_factor`; > 0. Defaults to `25.0`.
        final_div_factor: float. The final rate is `max_learning_rate /
            final_div_factor`; > 0. Defaults to `1e5`.
        warmup: str. Shape of the warm-up: `"cosine"` (fastai) or
            `"linear"`. Defaults to `"cosine"`.

    Returns:
        When called with a step (int or scalar tensor), a float32 scalar
        tensor: the learning rate for that step.

    Raises:
        ValueError: if an argument is out of range or `warmup` is unknown.

    Example:

    ```python
    import keras
    from keras_transfer.schedules.one_cycle import OneCycle

    schedule = OneCycle(max_learning_rate=1e-3, total_steps=400)
    optimizer = keras.optimizers.AdamW(learning_rate=schedule)
    float(schedule(0))    # 4e-05 = 1e-3 / 25
    float(schedule(100))  # 0.001, the peak (W = 100)
    float(schedule(400))  # 1e-08 = 1e-3 / 1e5
    ```
    """

    def __init__(
        self,
        max_learning_rate,
        total_steps,
        warmup_frac=defaults.ONE_CYCLE_WARMUP_FRAC,
        div_factor=defaults.ONE_CYCLE_DIV_FACTOR,
        final_div_factor=defaults.ONE_CYCLE_FINAL_DIV_FACTOR,
        warmup="cosine",
    ):
        super().__init__()
        for name, value in (
            ("max_learning_rate", max_learning_rate),
            ("div_factor", div_factor),
            ("final_div_factor", final_div_factor),
        ):
            check_positive(value, name)
        check_int(total_steps, "total_steps", minimum=1)
        check_number(warmup_frac, "warmup_frac", 0, 1, max_open=True)
        check_one_of(warmup, "warmup", WARMUPS)
        self.max_learning_rate = float(max_learning_rate)
        self.total_steps = int(total_steps)
        self.warmup_frac = float(warmup_frac)
        self.div_factor = float(div_factor)
        self.final_div_factor = float(final_div_factor)
        self.warmup = warmup

    def __call__(self, step):
        peak = ops.convert_to_tensor(self.max_learning_rate)
        step = ops.cast(step, peak.dtype)
        start = self.max_learning_rate / self.div_factor
        end = self.max_learning_rate / self.final_div_factor
        warmup_steps = self.warmup_frac * self.total_steps

        # Warm-up. With no warm-up (`warmup_steps == 0`) this branch is never
        # selected; the tiny denominator only keeps it finite.
        # (1 - cos(pi * x)) / 2 and (1 + cos(pi * x)) / 2 are computed as
        # sin(pi * x / 2) ** 2 and cos(pi * x / 2) ** 2: equal, but without
        # the float32 cancellation near the ends (1 + cos(pi) = 0).
        progress = ops.minimum(step / max(warmup_steps, 1e-12), 1.0)
        if self.warmup == "cosine":
            progress = ops.square(ops.sin(math.pi / 2.0 * progress))
        warming = start + (peak - start) * progress

        # Cosine annealing, held at `end` past `total_steps`.
        progress = ops.clip(
            (step - warmup_steps) / (self.total_steps - warmup_steps), 0.0, 1.0
        )
        annealing = end + (peak - end) * ops.square(ops.cos(math.pi / 2.0 * progress))

        return ops.where(step < warmup_steps, warming, annealing)

    def get_config(self):
        # `LearningRateSchedule.get_config` raises NotImplementedError, so
        # there is no parent config to extend.
        return {
            "max_learning_rate": self.max_learning_rate,
            "total_steps": self.total_steps,
            "warmup_frac": self.warmup_frac,
            "div_factor": self.div_factor,
            "final_div_factor": self.final_div_factor,
            "warmup": self.warmup,
        }
