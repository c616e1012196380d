"""keras_transfer.backbones.registry: first-use conversion under a strategy scope."""

import tensorflow as tf

from keras_transfer.backbones import registry
from tests.test_case import TestCase


class OutsideStrategyScopeTest(TestCase):
    def test_runs_without_the_callers_strategy_and_reraises(self):
        seen = []

        def probe(value):
            seen.append(tf.distribute.has_strategy())
            return value * 2

        self.assertEqual(registry._outside_strategy_scope(probe, 3), 6)
        with self.mirrored_strategy().scope():
            self.assertEqual(registry._outside_strategy_scope(probe, 4), 8)
            self.assertTrue(tf.distribute.has_strategy())  # the caller's scope is kept

            def fail():
                raise ValueError("conversion failed")

            with self.assertRaisesRegex(ValueError, "conversion failed"):
                registry._outside_strategy_scope(fail)
        self.assertEqual(seen, [False, False])
