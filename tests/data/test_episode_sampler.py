import numpy as np
import tensorflow as tf

from keras_transfer.data.episode_sampler import EpisodeSampler
from keras_transfer.testing import TestCase


def _source(num_classes=6, per_class=10):
    y = np.repeat(np.arange(num_classes), per_class)
    # x[i] = [i, label]: every example is identifiable and carries its label.
    x = np.stack([np.arange(len(y)), y], axis=1).astype("float32")
    return x, y


class EpisodeSamplerTest(TestCase):
    def test_shapes_labels_and_disjoint_support_query(self):
        x, y = _source()
        sampler = EpisodeSampler(x, y, num_ways=4, num_shots=3, num_queries=5, seed=7)
        for episode in sampler.episodes(50):
            self.assertEqual(episode.support_x.shape, (12, 2))
            self.assertEqual(episode.query_x.shape, (20, 2))
            self.assertAllEqual(episode.support_y, np.repeat(np.arange(4), 3))
            self.assertAllEqual(episode.query_y, np.repeat(np.arange(4), 5))
            self.assertEqual(episode.support_y.dtype, np.int32)
            self.assertLen(set(episode.classes.tolist()), 4)
            # Episode label i is source class classes[i], in support and query.
            self.assertAllEqual(episode.support_x[:, 1], episode.classes[episode.support_y])
            self.assertAllEqual(episode.query_x[:, 1], episode.classes[episode.query_y])
            self.assertAllEqual(episode.support_x[:, 0], episode.support_indices)
            all_indices = np.concatenate([episode.support_indices, episode.query_indices])
            self.assertLen(set(all_indices.tolist()), 32)

    def test_deterministic_per_seed_and_index(self):
        x, y = _source()
        a = EpisodeSampler(x, y, num_ways=3, num_shots=2, num_queries=2, seed=1)
        b = EpisodeSampler(x, y, num_ways=3, num_shots=2, num_queries=2, seed=1)
        c = EpisodeSampler(x, y, num_ways=3, num_shots=2, num_queries=2, seed=2)
        self.assertAllEqual(a.sample(5).support_indices, b.sample(5).support_indices)
        self.assertAllEqual(list(a.episodes(3, start=4))[1].query_indices,
                            b.sample(5).query_indices)
        # Different episodes, and a different seed, give different draws.
        draws = {tuple(a.sample(i).support_indices) for i in range(20)}
        self.assertGreater(len(draws), 15)
        self.assertFalse(all(np.array_equal(a.sample(i).support_indices,
                                            c.sample(i).support_indices) for i in range(5)))

    def test_every_class_and_example_is_used(self):
        x, y = _source(num_classes=5, per_class=4)
        sampler = EpisodeSampler(x, y, num_ways=2, num_shots=1, num_queries=1, seed=0)
        seen = set()
        for episode in sampler.episodes(200):
            seen.update(episode.support_indices.tolist() + episode.query_indices.tolist())
        self.assertEqual(seen, set(range(20)))

    def test_classes_restricts_the_draw(self):
        x, y = _source()
        sampler = EpisodeSampler(x, y, num_ways=2, num_shots=1, num_queries=1,
                                 classes=[4, 1, 5])
        self.assertAllEqual(sampler.classes, [1, 4, 5])
        drawn = set()
        for episode in sampler.episodes(30):
            drawn.update(episode.classes.tolist())
        self.assertEqual(drawn, {1, 4, 5})

    def test_errors_name_small_classes_and_arguments(self):
        x, y = _source()
        y = y.copy()
        y[:7] = 9  # class 0 keeps 3 examples, class 9 has 7
        with self.assertRaisesRegex(
                ValueError, r"at least num_shots \+ num_queries = 8 examples.*: 0 \(3\), 9 \(7\)"):
            EpisodeSampler(x, y, num_ways=2, num_shots=3, num_queries=5)
        # Leaving the small classes out works.
        EpisodeSampler(x, y, num_ways=2, num_shots=3, num_queries=5, classes=[1, 2, 3])
        with self.assertRaisesRegex(ValueError, r"classes have fewer.*: 7 \(0\)"):
            EpisodeSampler(x, y, num_ways=2, num_shots=1, num_queries=1, classes=[1, 7])
        with self.assertRaisesRegex(ValueError, r"`num_ways` must be at most the number of "
                                                r"classes \(2: \[1, 2\]\).*num_ways=3"):
            EpisodeSampler(x, y, num_ways=3, classes=[1, 2], num_queries=2)
        with self.assertRaisesRegex(ValueError, "`num_shots` must be an integer >= 1. "
                                                "Received: num_shots=0"):
            EpisodeSampler(x, y, num_shots=0)
        with self.assertRaisesRegex(ValueError, "`num_ways` must be an integer >= 2"):
            EpisodeSampler(x, y, num_ways=1)
        with self.assertRaisesRegex(ValueError, "`y` must hold integer class labels"):
            EpisodeSampler(x, y.astype("float32"))
        with self.assertRaisesRegex(ValueError, "as many examples"):
            EpisodeSampler(x[:5], y, num_queries=1)
        with self.assertRaisesRegex(ValueError, "`y` .* is required"):
            EpisodeSampler(x)

    def test_tf_data_sources_batched_or_not(self):
        x, y = _source()
        reference = EpisodeSampler(x, y, num_ways=3, num_shots=2, num_queries=3, seed=3)
        for dataset in (tf.data.Dataset.from_tensor_slices((x, y)),
                        tf.data.Dataset.from_tensor_slices((x, y)).batch(7)):
            sampler = EpisodeSampler(dataset, num_ways=3, num_shots=2, num_queries=3, seed=3)
            self.assertAllEqual(sampler.sample(4).query_x, reference.sample(4).query_x)
        with self.assertRaisesRegex(ValueError, "must be a finite tf.data.Dataset"):
            EpisodeSampler(tf.data.Dataset.from_tensor_slices((x, y)).repeat())
        with self.assertRaisesRegex(ValueError, "must be None when `x` is a tf.data.Dataset"):
            EpisodeSampler(tf.data.Dataset.from_tensor_slices((x, y)), y)

    def test_as_dataset_yields_the_episodes(self):
        x, y = _source()
        sampler = EpisodeSampler(x, y, num_ways=3, num_shots=2, num_queries=4, seed=5)
        dataset = sampler.as_dataset(num_episodes=3, start=2)
        self.assertEqual(int(dataset.cardinality()), 3)
        elements = list(dataset.as_numpy_iterator())
        self.assertLen(elements, 3)
        inputs, query_y = elements[1]
        expected = sampler.sample(3)
        self.assertAllEqual(inputs["support"], expected.support_x)
        self.assertAllEqual(inputs["support_labels"], expected.support_y)
        self.assertAllEqual(inputs["query"], expected.query_x)
        self.assertAllEqual(query_y, expected.query_y)
        endless = sampler.as_dataset()
        self.assertEqual(int(endless.cardinality()), int(tf.data.INFINITE_CARDINALITY))
        self.assertLen(list(endless.take(5).as_numpy_iterator()), 5)
