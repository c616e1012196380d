import numpy as np
import tensorflow as tf

from keras_transfer.data.domain_adaptation_dataset import domain_adaptation_dataset
from keras_transfer.testing import TestCase


def arrays():
    # Source rows hold 0..9 (value = row), target rows 100..106: every row is traceable.
    source_x = np.arange(10, dtype="float32")[:, None] * np.ones((1, 3), "float32")
    source_y = np.arange(10, dtype="int32") % 3 + 1  # never 0, unlike the padding
    target_x = (100 + np.arange(7, dtype="float32"))[:, None] * np.ones((1, 3), "float32")
    return source_x, source_y, target_x


class DomainAdaptationDatasetTest(TestCase):
    def test_batches_labels_and_weights_exact(self):
        source_x, source_y, target_x = arrays()
        data = domain_adaptation_dataset((source_x, source_y), target_x, batch_size=4,
                                         target_batch_size=2, shuffle=False)
        self.assertEqual(int(data.cardinality()), 2)  # 10 source rows, batches of 4
        batches = list(data.as_numpy_iterator())
        self.assertLen(batches, 2)
        seen_target = []
        for index, (x, y, weights) in enumerate(batches):
            self.assertEqual(x.shape, (6, 3))
            self.assertAllEqual(x[:4, 0], np.arange(4 * index, 4 * index + 4))
            self.assertAllEqual(y["label"], np.r_[source_y[4 * index:4 * index + 4], 0, 0])
            self.assertEqual(y["label"].dtype, np.int32)
            self.assertAllEqual(y["domain"], [0, 0, 0, 0, 1, 1])
            self.assertEqual(y["domain"].dtype, np.float32)
            self.assertAllEqual(weights["label"], [1, 1, 1, 1, 0, 0])
            self.assertAllEqual(weights["domain"], np.ones(6))
            seen_target += list(x[4:, 0])
        self.assertAllEqual(seen_target, [100, 101, 102, 103])
        # More target rows than there are: the target repeats within the epoch.
        data = domain_adaptation_dataset((source_x, source_y), target_x, batch_size=2,
                                         target_batch_size=3, shuffle=False)
        rows = np.concatenate([x[2:, 0] for x, _, _ in data.as_numpy_iterator()])
        self.assertAllEqual(rows, np.r_[100:107, 100:107, 100])

    def test_shuffles_both_sides_every_epoch_reproducibly(self):
        source_x, source_y, target_x = arrays()
        data = domain_adaptation_dataset((source_x, source_y), target_x, batch_size=5,
                                         target_batch_size=7, seed=3)
        first = [batch for batch in data.as_numpy_iterator()]
        second = [batch for batch in data.as_numpy_iterator()]
        again = [batch for batch in domain_adaptation_dataset(
            (source_x, source_y), target_x, batch_size=5, target_batch_size=7,
            seed=3).as_numpy_iterator()]
        for (x, y, _), (x2, _, _) in zip(first, again):
            self.assertAllEqual(x, x2)
            # Labels still travel with their rows.
            self.assertAllEqual(y["label"][:5], source_y[x[:5, 0].astype(int)])
        self.assertAllEqual(sorted(np.concatenate([x[:5, 0] for x, _, _ in first])),
                            np.arange(10))
        self.assertAllEqual(sorted(first[0][0][5:, 0]), 100 + np.arange(7))
        self.assertFalse(np.array_equal(first[0][0], second[0][0]))

    def test_dict_inputs_and_datasets(self):
        source_x, source_y, target_x = arrays()
        words = np.arange(10, dtype="int32")[:, None] * np.ones((1, 2), "int32")
        data = domain_adaptation_dataset(
            ({"a": source_x, "b": words}, source_y),
            {"a": target_x, "b": -words[:7]}, batch_size=3, shuffle=False)
        x, y, _ = next(iter(data))
        self.assertEqual(sorted(x), ["a", "b"])
        self.assertAllEqual(x["b"][:, 0], [0, 1, 2, 0, -1, -2])
        self.assertAllEqual(y["label"][3:], [0, 0, 0])
        # Datasets: the target's labels are dropped, labels of any shape are padded.
        one_hot = np.eye(3, dtype="float32")[source_y - 1]
        sources = tf.data.Dataset.from_tensor_slices((source_x, one_hot))
        targets = tf.data.Dataset.from_tensor_slices((target_x, np.full(7, 9)))
        x, y, weights = next(iter(domain_adaptation_dataset(
            sources, targets, batch_size=2, shuffle=False)))
        self.assertAllEqual(x[:, 0], [0, 1, 100, 101])
        self.assertAllEqual(y["label"], np.r_[one_hot[:2], np.zeros((2, 3))])
        self.assertAllEqual(weights["label"], [1, 1, 0, 0])

    def test_rejects_bad_input(self):
        source_x, source_y, target_x = arrays()
        with self.assertRaisesRegex(ValueError, r"`source` must be an `\(x, y\)` pair.*"
                                                r"Received: ndarray"):
            domain_adaptation_dataset(source_x, target_x)
        with self.assertRaisesRegex(ValueError, r"one row per input row. Received 10 input "
                                                r"rows and labels of shape \(9,\)"):
            domain_adaptation_dataset((source_x, source_y[:9]), target_x)
        with self.assertRaisesRegex(ValueError, r"`source` has 10 rows, fewer than "
                                                r"batch_size=32"):
            domain_adaptation_dataset((source_x, source_y), target_x)
        with self.assertRaisesRegex(ValueError, r"`target` has 7 rows, fewer than "
                                                r"target_batch_size=8"):
            domain_adaptation_dataset((source_x, source_y), target_x, batch_size=4,
                                      target_batch_size=8)
        with self.assertRaisesRegex(ValueError, r"same structure, dtype and per-row shape. "
                                                r"Received: source \('float32', \(3,\)\), "
                                                r"target \('float32', \(4,\)\)"):
            domain_adaptation_dataset((source_x, source_y), np.ones((7, 4), "float32"),
                                      batch_size=2)
        with self.assertRaisesRegex(ValueError, r"`batch_size` must be an integer >= 1"):
            domain_adaptation_dataset((source_x, source_y), target_x, batch_size=0)
