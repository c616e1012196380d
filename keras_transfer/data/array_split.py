"""`ArraySplit`: what every offline dataset loader returns."""

from typing import NamedTuple

import numpy as np


class ArraySplit(NamedTuple):
    """One split of an offline dataset, as NumPy arrays.

    A named tuple, so it unpacks (`x, y, class_names = split`) and can be
    passed to `keras_transfer.data.from_arrays(*split)`.

    Args:
        x: `np.ndarray`. The examples: uint8 images `(n, height, width)` or
            `(n, height, width, 3)`, `str` arrays `(n,)` for text, float32
            waveforms `(n, samples)` for audio.
        y: `np.ndarray`. int32 class indices of shape `(n,)`.
        class_names: tuple of str. `class_names[i]` names class `i`.

    Example:

    ```python
    split = keras_transfer.data.load_dataset("mnist_5k", split="test")
    split.x.shape, split.class_names[:3]  # (1000, 28, 28), ('0', '1', '2')
    ```
    """

    x: np.ndarray
    y: np.ndarray
    class_names: tuple

    def class_counts(self):
        """Returns the number of examples of each class, as a dict."""
        counts = np.bincount(self.y, minlength=len(self.class_names))
        return {name: int(c) for name, c in zip(self.class_names, counts)}
