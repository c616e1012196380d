"""`CharacterErrorRate`: corpus CER of greedy CTC transcripts during fit."""

import keras

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.metrics import edit_distance


@keras_transfer_export(["keras_transfer.CharacterErrorRate",
                        "keras_transfer.metrics.CharacterErrorRate"])
class CharacterErrorRate(keras.metrics.Metric):
    """Character error rate of greedy CTC decoding, over all examples seen.

    Each batch's logits are decoded by best path (`keras.ops.ctc_decode`,
    greedy, blank 0); the Levenshtein distances between the decoded ids and
    the reference ids (the 0-padded labels) are summed, and so are the
    reference lengths. The result is `errors / reference characters` over
    everything since the last reset (a corpus rate, not a mean of per-example
    rates); it can exceed 1 when the model inserts characters. Spaces count
    as characters.

    Args:
        name: str. Defaults to `"cer"`.
        dtype: str. Defaults to `None`.

    Example:

    ```python
    model.compile(optimizer="adam", loss=keras_transfer.CTCLoss(),
                  metrics=[keras_transfer.metrics.CharacterErrorRate()])
    ```
    """

    def __init__(self, name="cer", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.errors = self.add_variable((), initializer="zeros", name="errors")
        self.units = self.add_variable((), initializer="zeros", name="units")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds one batch: `y_true` 0-padded ids, `y_pred` logits. `sample_weight` is ignored."""
        hypotheses = edit_distance.ragged_ids(edit_distance.greedy_ids(y_pred))
        errors, units = edit_distance.count_errors(hypotheses,
                                                   edit_distance.ragged_ids(y_true))
        self.errors.assign_add(errors)
        self.units.assign_add(units)

    def result(self):
        return self.errors / keras.ops.maximum(self.units, 1.0)

    def reset_state(self):
        self.errors.assign(0.0)
        self.units.assign(0.0)
