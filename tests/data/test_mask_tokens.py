"""Tests of `mask_tokens`: BERT's 15% / 80-10-10 corruption, checked by counting."""

import numpy as np
import tensorflow as tf

from keras_transfer.data.mask_tokens import mask_tokens
from keras_transfer.testing import TestCase

CLS, SEP, PAD, MASK, VOCAB = 1, 2, 0, 3, 1000
SPECIAL = (PAD, CLS, SEP, MASK)


def batch(rows=2000, length=64, seed=0):
    """[CLS] words [SEP] then padding; real lengths 3..length."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(4, VOCAB, (rows, length)).astype("int32")
    lengths = rng.integers(3, length + 1, rows)
    mask = (np.arange(length)[None] < lengths[:, None]).astype("int32")
    ids[:, 0] = CLS
    ids[np.arange(rows), lengths - 1] = SEP
    ids[mask == 0] = PAD
    return {"input_word_ids": ids, "input_mask": mask,
            "input_type_ids": np.zeros_like(ids)}


def corrupt(features, seed=(1, 2), **kwargs):
    kwargs = dict(dict(vocabulary_size=VOCAB, mask_token_id=MASK,
                       special_token_ids=SPECIAL, max_predictions=20), **kwargs)
    inputs, labels = mask_tokens(
        {k: tf.constant(v) for k, v in features.items()}, tf.constant(seed), **kwargs)
    return {k: v.numpy() for k, v in inputs.items()}, labels.numpy()


class MaskTokensTest(TestCase):
    def test_proportions_and_special_tokens(self):
        features = batch()
        ids, real = features["input_word_ids"], features["input_mask"]
        inputs, labels = corrupt(features)
        positions, used = inputs["masked_positions"], labels >= 0
        # Exactly min(20, max(1, round(0.15 n))) of the n selectable tokens per row.
        selectable = (real == 1) & ~np.isin(ids, SPECIAL)
        n = selectable.sum(1)
        expected = np.where(n > 0, np.minimum(20, np.maximum(1, np.round(n * 0.15))), 0)
        np.testing.assert_array_equal(used.sum(1), expected)
        rows = np.nonzero(used)[0]
        chosen = positions[used]
        # Chosen positions are distinct, selectable, and labelled with the original id.
        self.assertTrue(selectable[rows, chosen].all())
        self.assertEqual(len(set(zip(rows, chosen))), len(chosen))
        np.testing.assert_array_equal(labels[used], ids[rows, chosen])
        self.assertTrue((labels[~used] == -1).all() and (positions[~used] == 0).all())
        # Only chosen positions change: specials and padding never do.
        changed = inputs["input_word_ids"] != ids
        was_chosen = np.zeros_like(changed)
        was_chosen[rows, chosen] = True
        self.assertFalse((changed & ~was_chosen).any())
        np.testing.assert_array_equal(inputs["input_mask"], real)
        # 80% [MASK], 10% random, 10% kept (within 4 standard errors; ~9.5k draws).
        new = inputs["input_word_ids"][rows, chosen]
        total = len(new)
        self.assertGreater(total, 9000)
        masked = np.mean(new == MASK)
        kept = np.mean(new == labels[used])
        random = 1 - masked - kept
        for share, p in ((masked, 0.8), (random, 0.1), (kept, 0.1)):
            self.assertLess(abs(share - p), 4 * np.sqrt(p * (1 - p) / total), (share, p))
        # Random tokens are uniform over [0, VOCAB): their mean, and how many
        # distinct ids k draws hit (VOCAB * (1 - (1 - 1/VOCAB)^k) expected).
        drawn = new[(new != MASK) & (new != labels[used])]
        k = len(drawn)
        self.assertLess(abs(drawn.mean() - (VOCAB - 1) / 2),
                        4 * np.sqrt((VOCAB ** 2 - 1) / 12 / k))
        distinct = VOCAB * (1 - (1 - 1 / VOCAB) ** k)
        self.assertLess(abs(len(np.unique(drawn)) - distinct), 0.05 * distinct)
        # The selection itself is uniform over positions: early and late
        # word positions are chosen alike.
        share_first = was_chosen[:, 1][selectable[:, 1]].mean()
        share_later = was_chosen[:, 20][selectable[:, 20]].mean()
        self.assertLess(abs(share_first - share_later), 0.05)

    def test_seeded(self):
        features = batch(rows=50)
        a, _ = corrupt(features, seed=(5, 6))
        b, _ = corrupt(features, seed=(5, 6))
        c, _ = corrupt(features, seed=(5, 7))
        np.testing.assert_array_equal(a["input_word_ids"], b["input_word_ids"])
        self.assertFalse(np.array_equal(a["masked_positions"], c["masked_positions"]))

    def test_short_rows_and_cap(self):
        # Only specials: nothing chosen. Sequence shorter than max_predictions.
        features = {"input_word_ids": np.array([[CLS, SEP, PAD], [CLS, 7, SEP]], "int32"),
                    "input_mask": np.array([[1, 1, 0], [1, 1, 1]], "int32"),
                    "input_type_ids": np.zeros((2, 3), "int32")}
        inputs, labels = corrupt(features)
        self.assertEqual(labels.shape, (2, 20))
        self.assertEqual(labels.tolist()[0], [-1] * 20)
        self.assertEqual(labels[1, 0], 7)
        self.assertEqual(inputs["masked_positions"][1, 0], 1)
        self.assertEqual((labels[1] >= 0).sum(), 1)
        # A cap: 2 predictions at most although 15% of 60 is 9.
        _, capped = corrupt(batch(rows=20), max_predictions=2)
        self.assertEqual(capped.shape, (20, 2))
        self.assertTrue(((capped >= 0).sum(1) <= 2).all())

    def test_bad_arguments(self):
        features = batch(rows=2)
        with self.assertRaisesRegex(ValueError, "mask_token_id` must be < `vocabulary_size"):
            corrupt(features, mask_token_id=VOCAB)
        with self.assertRaisesRegex(ValueError, "selection_rate"):
            corrupt(features, selection_rate=0.0)
        with self.assertRaisesRegex(ValueError, "lacks \\['input_mask'\\]"):
            mask_tokens({"input_word_ids": tf.zeros((1, 3), tf.int32),
                         "input_type_ids": tf.zeros((1, 3), tf.int32)},
                        tf.constant([0, 0]), VOCAB, MASK)
