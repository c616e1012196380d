"""A learning rate schedule multiplied by a constant."""


import keras
from keras import ops

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.argument_validation import check_number


@keras_transfer_export("keras_transfer.ScaledSchedule")
class ScaledSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Another schedule, multiplied by a constant.

    `ScaledSchedule(schedule, multiplier)(step) == multiplier * schedule(step)`.
    This is how one schedule drives several parameter groups at different
    rates (discriminative fine-tuning): each group's optimizer gets the same
    base schedule scaled by its own multiplier, e.g. `1 / 2.6 ** depth` as in
    ULMFiT.

    Args:
        schedule: `keras.optimizers.schedules.LearningRateSchedule`. The
            schedule to scale. It is serialized with
            `keras.saving.serialize_keras_object`, so it must be a built-in
            or registered schedule for the result to be saved and loaded.
        multiplier: float. The constant factor, >= 0 (0 freezes the group
            while keeping its optimizer state).

    Returns:
        When called with a step (int or scalar tensor), a scalar tensor:
        `multiplier * schedule(step)`.

    Raises:
        ValueError: if `schedule` is not a `LearningRateSchedule` or
            `multiplier` is not a finite number >= 0.

    Example:

    ```python
    import keras
    from keras_transfer.schedules.scaled import ScaledSchedule
    from keras_transfer.schedules.slanted_triangular import SlantedTriangular

    base = SlantedTriangular(max_learning_rate=1e-2, total_steps=1000)
    encoder_schedule = ScaledSchedule(base, multiplier=1 / 2.6)
    optimizer = keras.optimizers.Adam(learning_rate=encoder_schedule)
    float(encoder_schedule(100))  # 0.01 / 2.6
    ```
    """

    def __init__(self, schedule, multiplier):
        super().__init__()
        if not isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
            raise ValueError(
                "`schedule` must be a "
                "`keras.optimizers.schedules.LearningRateSchedule`. Received: "
                f"schedule={schedule!r} (of type {type(schedule).__name__}). "
                "For a constant rate, pass `learning_rate * multiplier` to the "
                "optimizer instead."
            )
        check_number(multiplier, "multiplier", minimum=0, finite=True)
        self.schedule = schedule
        self.multiplier = float(multiplier)

    def __call__(self, step):
        return ops.convert_to_tensor(self.schedule(step)) * self.multiplier

    def get_config(self):
        # `LearningRateSchedule.get_config` raises NotImplementedError, so
        # there is no parent config to extend.
        return {
            "schedule": keras.saving.serialize_keras_object(self.schedule),
            "multiplier": self.multiplier,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["schedule"] = keras.saving.deserialize_keras_object(config["schedule"])
        return cls(**config)
