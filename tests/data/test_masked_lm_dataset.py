"""Tests of `masked_lm_dataset`: masks re-drawn every epoch, reproducible by seed."""

import numpy as np

from keras_transfer.data.masked_lm_dataset import masked_lm_dataset
from keras_transfer.testing import TestCase
from tests.data.test_mask_tokens import MASK, SPECIAL, VOCAB, batch


def epoch(dataset):
    """{row's original ids: its masked positions} over one pass."""
    out = {}
    for inputs, labels, weights in dataset:
        np.testing.assert_array_equal(weights.numpy(), (labels.numpy() >= 0).astype("float32"))
        for row, positions, label in zip(inputs["input_word_ids"].numpy(),
                                         inputs["masked_positions"].numpy(), labels.numpy()):
            original = row.copy()
            original[positions[label >= 0]] = label[label >= 0]
            out[original.tobytes()] = tuple(positions[label >= 0])
    return out


class MaskedLmDatasetTest(TestCase):
    def make(self, seed=0):
        return masked_lm_dataset(batch(rows=40, length=16), VOCAB, MASK, SPECIAL,
                                 batch_size=8, seed=seed, max_predictions=4)

    def test_masks_change_each_epoch_and_repeat_with_the_seed(self):
        dataset = self.make()
        first, second = epoch(dataset), epoch(dataset)
        self.assertEqual(len(first), 40)
        self.assertEqual(set(first), set(second))  # every row once per epoch
        changed = sum(first[k] != second[k] for k in first)
        self.assertGreater(changed, 30)
        again = epoch(self.make())
        self.assertEqual(first, again)
        other = epoch(self.make(seed=1))
        self.assertGreater(sum(first[k] != other[k] for k in first), 30)

    def test_shapes(self):
        inputs, labels, weights = next(iter(self.make()))
        self.assertEqual(labels.shape, (8, 4))
        self.assertEqual(inputs["masked_positions"].shape, (8, 4))
        self.assertEqual(inputs["input_word_ids"].shape, (8, 16))

    def test_bad_features(self):
        features = batch(rows=4, length=6)
        features["input_mask"] = features["input_mask"][:, :5]
        with self.assertRaisesRegex(ValueError, "one shape"):
            masked_lm_dataset(features, VOCAB, MASK)
        with self.assertRaisesRegex(ValueError, "batch_size"):
            masked_lm_dataset(batch(rows=4), VOCAB, MASK, batch_size=0)
