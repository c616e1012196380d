"""`WordErrorRate`: corpus WER of greedy CTC transcripts during fit."""

import keras

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.metrics import edit_distance
from keras_transfer.speech.character_vocabulary import DEFAULT_CHARACTERS


@keras_transfer_export(["keras_transfer.WordErrorRate",
                        "keras_transfer.metrics.WordErrorRate"])
class WordErrorRate(keras.metrics.Metric):
    """Word error rate of greedy CTC decoding, over all examples seen.

    As `CharacterErrorRate`, but the decoded ids and the reference ids are
    first turned into text with `characters` (id `i` is `characters[i - 1]`)
    and split on whitespace; distances count whole words.

    Args:
        characters: str. The vocabulary's characters, in id order
            (`CharacterVocabulary.characters`). Defaults to space, apostrophe
            and `a`-`z`.
        name: str. Defaults to `"wer"`.
        dtype: str. Defaults to `None`.

    Example:

    ```python
    vocabulary = keras_transfer.speech.CharacterVocabulary()
    metric = keras_transfer.metrics.WordErrorRate(vocabulary.characters)
    ```
    """

    def __init__(self, characters=DEFAULT_CHARACTERS, name="wer", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if not isinstance(characters, str) or not characters:
            raise ValueError("`characters` must be a non-empty str. "
                             f"Received: characters={characters!r}")
        self.characters = characters
        self.errors = self.add_variable((), initializer="zeros", name="errors")
        self.units = self.add_variable((), initializer="zeros", name="units")

    def _words(self, ids):
        text = edit_distance.ids_to_text(edit_distance.ragged_ids(ids), self.characters)
        return edit_distance.words(text)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds one batch: `y_true` 0-padded ids, `y_pred` logits. `sample_weight` is ignored."""
        errors, units = edit_distance.count_errors(
            self._words(edit_distance.greedy_ids(y_pred)), self._words(y_true))
        self.errors.assign_add(errors)
        self.units.assign_add(units)

    def result(self):
        return self.errors / keras.ops.maximum(self.units, 1.0)

    def reset_state(self):
        self.errors.assign(0.0)
        self.units.assign(0.0)

    def get_config(self):
        return {**super().get_config(), "characters": self.characters}
