import os

import tensorflow as tf

from keras_transfer.distribute.chief import is_chief, worker_write_path
from keras_transfer.testing import TestCase


class _Strategy:
    """What `is_chief` reads from a strategy: its cluster resolver."""

    def __init__(self, cluster, task_type, task_id):
        self.cluster_resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
            tf.train.ClusterSpec(cluster), task_type=task_type, task_id=task_id)


WORKERS = {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}
WITH_CHIEF = {"chief": ["127.0.0.1:0"], "worker": ["127.0.0.1:1"]}


class ChiefTest(TestCase):
    def test_is_chief(self):
        self.assertTrue(is_chief())
        self.assertTrue(is_chief(tf.distribute.get_strategy()))
        self.assertTrue(is_chief(_Strategy(WORKERS, "worker", 0)))
        self.assertFalse(is_chief(_Strategy(WORKERS, "worker", 1)))
        self.assertTrue(is_chief(_Strategy(WITH_CHIEF, "chief", 0)))
        self.assertFalse(is_chief(_Strategy(WITH_CHIEF, "worker", 0)))

    def test_worker_write_path(self):
        path = os.path.join("out", "model.keras")
        self.assertEqual(worker_write_path(path), path)
        self.assertEqual(worker_write_path(path, _Strategy(WORKERS, "worker", 0)), path)
        self.assertEqual(worker_write_path(path, _Strategy(WORKERS, "worker", 1)),
                         os.path.join("out", "workertemp_1", "model.keras"))
        self.assertEqual(worker_write_path(path, _Strategy(WITH_CHIEF, "worker", 0)),
                         os.path.join("out", "workertemp_0", "model.keras"))
