import numpy as np
from sklearn import model_selection

from keras_transfer.evaluation.stratified_k_fold import stratified_k_fold
from keras_transfer.testing import TestCase

# 3 classes of 10, 7 and 5 examples, interleaved.
LABELS = np.array([0] * 10 + [1] * 7 + [2] * 5)[np.random.default_rng(3).permutation(22)]


class StratifiedKFoldTest(TestCase):
    def test_test_folds_partition_the_indices(self):
        splits = stratified_k_fold(LABELS, folds=5, seed=0)
        self.assertLen(splits, 5)
        tests = np.concatenate([test for _, test in splits])
        self.assertAllEqual(np.sort(tests), np.arange(22))  # each index exactly once
        for train, test in splits:
            self.assertEmpty(np.intersect1d(train, test))
            self.assertAllEqual(np.sort(np.concatenate([train, test])), np.arange(22))
            self.assertAllEqual(test, np.sort(test))
            self.assertEqual(train.dtype, np.int64)
        # Fold sizes differ by at most one: 22 = 5 + 5 + 4 + 4 + 4.
        self.assertEqual(sorted(len(test) for _, test in splits), [4, 4, 4, 5, 5])

    def test_class_proportions_are_kept(self):
        for _, test in stratified_k_fold(LABELS, folds=5, seed=1):
            counts = np.bincount(LABELS[test], minlength=3)
            # 10 / 5 = 2 each; 7 / 5 -> 1 or 2; 5 / 5 = 1 each.
            self.assertEqual(counts[0], 2)
            self.assertIn(counts[1], (1, 2))
            self.assertEqual(counts[2], 1)
        # Same per-class fold counts as scikit-learn's StratifiedKFold.
        ours = sorted(tuple(np.bincount(LABELS[t], minlength=3))
                      for _, t in stratified_k_fold(LABELS, 5, seed=0))
        theirs = sorted(tuple(np.bincount(LABELS[t], minlength=3)) for _, t in
                        model_selection.StratifiedKFold(5, shuffle=True, random_state=0)
                        .split(np.zeros(22), LABELS))
        self.assertEqual(ours, theirs)

    def test_deterministic_by_seed(self):
        first = stratified_k_fold(LABELS, folds=3, seed=7)
        again = stratified_k_fold(list(LABELS), folds=3, seed=7)
        other = stratified_k_fold(LABELS, folds=3, seed=8)
        for (a, b), (c, d) in zip(first, again):
            self.assertAllEqual(a, c)
            self.assertAllEqual(b, d)
        self.assertFalse(all(np.array_equal(a[1], b[1]) for a, b in zip(first, other)))

    def test_one_hot_labels(self):
        one_hot = np.eye(3)[LABELS]
        for (a, b), (c, d) in zip(stratified_k_fold(LABELS, 2), stratified_k_fold(one_hot, 2)):
            self.assertAllEqual(b, d)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, r"`folds` must be an integer >= 2. "
                                                r"Received: folds=1"):
            stratified_k_fold(LABELS, folds=1)
        with self.assertRaisesRegex(ValueError, r"smallest class \(5 examples of class 2\).*"
                                                r"Received: folds=6"):
            stratified_k_fold(LABELS, folds=6)
        with self.assertRaisesRegex(ValueError, "integer class indices"):
            stratified_k_fold(["a", "b"], folds=2)
        with self.assertRaisesRegex(ValueError, "integer class indices"):
            stratified_k_fold([0.5, 1.0, 0.0, 1.0], folds=2)
        with self.assertRaisesRegex(ValueError, "`seed` must be an integer"):
            stratified_k_fold(LABELS, folds=2, seed=0.5)
