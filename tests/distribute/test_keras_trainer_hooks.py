import logging

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.distribute import keras_trainer_hooks as hooks
from keras_transfer.testing import TestCase


class KerasTrainerHooksTest(TestCase):
    def test_scalar_logs_become_length_one_vectors(self):
        step = hooks._vector_logs(lambda data: {"loss": tf.constant(2.5),
                                                "per_class": tf.constant([1.0, 2.0])})
        logs = step(None)
        self.assertEqual(logs["loss"].shape, (1,))
        self.assertAllClose(logs["loss"], [2.5])
        self.assertEqual(logs["per_class"].shape, (2,))

    def test_build_gets_the_first_local_replica_batch(self):
        # MirroredStrategy over two logical CPUs: the same DistributedValues
        # type MultiWorkerMirroredStrategy yields, without a cluster.
        strategy = self.mirrored_strategy()
        x = np.arange(16, dtype="float32").reshape(8, 2)
        dataset = strategy.experimental_distribute_dataset(
            tf.data.Dataset.from_tensor_slices((x, x[:, :1])).batch(4))
        seen = {}

        def original(iterator=None, data_batch=None):
            seen["iterator"], seen["batch"] = iterator, data_batch

        build = hooks._local_batch_build(original, strategy)
        build(iterator=[(0, 0, iter(dataset))])
        self.assertIsNone(seen["iterator"])
        features, labels = seen["batch"]
        self.assertAllEqual(features, x[:2])  # replica 0's half of the batch of 4
        self.assertAllEqual(labels, x[:2, :1])
        build(data_batch=("given",))  # train_on_batch passes its batch through
        self.assertEqual(seen["batch"], ("given",))

    def test_install_is_idempotent_and_per_instance(self):
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        other = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        self.assertTrue(hooks.install(model))
        wrapped = model.train_step
        self.assertFalse(hooks.install(model))
        self.assertIs(model.train_step, wrapped)
        self.assertEqual(model.train_step.__wrapped__, other.train_step.__func__.__get__(model))
        self.assertNotIn("train_step", vars(other))
        self.assertIn("_maybe_symbolic_build", vars(model))

    def test_version_check(self):
        original = keras.version
        try:
            keras.version = lambda: "2.15.0"
            with self.assertRaisesRegex(ValueError, "written for Keras 3. Received: "
                                                    "keras.version\\(\\)='2.15.0'"):
                hooks.check_keras_version()
            keras.version = lambda: "3.99.0rc1"
            self.assertEqual(hooks.keras_version(), (3, 99))
            hooks.check_keras_version.warned = False
            with self.assertLogs(hooks.logger, logging.WARNING) as logs:
                hooks.check_keras_version()
            self.assertIn("newer than the last version", logs.output[0])
        finally:
            keras.version = original
            hooks.check_keras_version.warned = False
        self.assertLessEqual(hooks.keras_version(), hooks.TESTED_KERAS[1])
