import math

import keras
import numpy as np

from keras_transfer.data.episode_sampler import EpisodeSampler
from keras_transfer.evaluation.evaluate_episodes import evaluate_episodes
from keras_transfer.heads.prototypical_head import PrototypicalHead
from keras_transfer.testing import TestCase


def _noisy(num_classes=8, per_class=20, dim=6, noise=1.2, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(num_classes, dim))
    y = np.repeat(np.arange(num_classes), per_class)
    return (centers[y] + noise * rng.normal(size=(len(y), dim))).astype("float32"), y


class EvaluateEpisodesTest(TestCase):
    def test_mean_and_confidence_interval_match_numpy(self):
        x, y = _noisy()
        result = evaluate_episodes(None, x, y, num_ways=5, num_shots=1, num_queries=3,
                                   num_episodes=50, seed=4)
        accuracies = np.asarray(result["episode_accuracies"])
        self.assertLen(accuracies, 50)
        self.assertGreater(accuracies.std(), 0)  # the episodes do differ
        self.assertAllClose(result["accuracy"], accuracies.mean())
        self.assertAllClose(result["std"], np.std(accuracies, ddof=1))
        self.assertAllClose(result["ci95"], 1.96 * np.std(accuracies, ddof=1) / math.sqrt(50))
        self.assertEqual({k: result[k] for k in ("num_episodes", "num_ways", "num_shots",
                                                 "num_queries", "method")},
                         {"num_episodes": 50, "num_ways": 5, "num_shots": 1,
                          "num_queries": 3, "method": "prototypical"})
        # Each episode's accuracy is the head's, on the sampler's episode.
        sampler = EpisodeSampler(x, y, num_ways=5, num_shots=1, num_queries=3, seed=4)
        episode = sampler.sample(7)
        head = PrototypicalHead(5)
        head.set_prototypes(episode.support_x, episode.support_y)
        predicted = np.argmax(keras.ops.convert_to_numpy(head(episode.query_x)), -1)
        self.assertAllClose(accuracies[7], np.mean(predicted == episode.query_y))

    def test_methods_differ_where_they_should(self):
        # Classes point the same way and differ only in length: cosine
        # similarity cannot tell them apart, Euclidean distance can.
        rng = np.random.default_rng(0)
        direction = rng.normal(size=8)
        y = np.repeat(np.arange(5), 20)
        x = ((1.0 + 2.0 * y)[:, None] * direction
             + 0.05 * rng.normal(size=(100, 8))).astype("float32")
        kwargs = dict(num_ways=5, num_shots=1, num_queries=5, num_episodes=20)
        cosine = evaluate_episodes(None, x, y, method="prototypical", **kwargs)
        centroid = evaluate_episodes(None, x, y, method="nearest_centroid", **kwargs)
        euclidean_head = evaluate_episodes(
            None, x, y, method=PrototypicalHead(5, distance="euclidean", normalize=False),
            **kwargs)
        self.assertLess(cosine["accuracy"], 0.5)
        self.assertEqual(centroid["accuracy"], 1.0)
        self.assertEqual(centroid["ci95"], 0.0)
        self.assertEqual(euclidean_head["episode_accuracies"], centroid["episode_accuracies"])
        self.assertEqual(euclidean_head["method"], "PrototypicalHead(euclidean)")

    def test_feature_extractor_runs_in_batches(self):
        x, y = _noisy(per_class=10)
        extractor = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4)])
        direct = evaluate_episodes(None, extractor.predict(x, verbose=0), y, num_episodes=10,
                                   num_queries=5)
        extracted = evaluate_episodes(extractor, x, y, num_episodes=10, num_queries=5,
                                      batch_size=7)
        self.assertAllClose(direct["episode_accuracies"], extracted["episode_accuracies"])

    def test_errors(self):
        x, y = _noisy()
        with self.assertRaisesRegex(ValueError, r"`method` must be one of \['prototypical', "
                                                r"'nearest_centroid'\].*method='svm'"):
            evaluate_episodes(None, x, y, method="svm")
        with self.assertRaisesRegex(ValueError, r"head's `num_classes` \(3\) must equal "
                                                r"`num_ways`. Received: num_ways=5"):
            evaluate_episodes(None, x, y, method=PrototypicalHead(3))
        with self.assertRaisesRegex(ValueError, r"shape \(n, features\).*\(160, 2, 3\)"):
            evaluate_episodes(None, x.reshape(-1, 2, 3), y)
        with self.assertRaisesRegex(ValueError, "`num_episodes` must be an integer >= 2"):
            evaluate_episodes(None, x, y, num_episodes=1)
