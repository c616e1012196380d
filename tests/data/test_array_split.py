"""Tests of ArraySplit."""

import numpy as np

from keras_transfer.data.array_split import ArraySplit


def test_unpacks_and_counts_classes():
    split = ArraySplit(np.zeros((4, 2)), np.array([1, 1, 0, 1], np.int32),
                       ("no", "yes"))
    x, y, names = split
    assert x.shape == (4, 2) and names == ("no", "yes")
    assert split.class_counts() == {"no": 1, "yes": 3}
