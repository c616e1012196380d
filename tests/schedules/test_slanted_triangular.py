import math
import os

import keras
import tensorflow as tf

from keras_transfer.schedules.slanted_triangular import SlantedTriangular
from keras_transfer.testing import TestCase


def ulmfit_learning_rate(t, total_steps, max_lr, cut_frac=0.1, ratio=32):
    """Howard & Ruder (2018), eq. 3, in float64."""
    cut = math.floor(total_steps * cut_frac)
    if t < cut:
        p = t / cut
    else:
        p = 1 - (t - cut) / (cut * (1 / cut_frac - 1))
    return max_lr * (1 + p * (ratio - 1)) / ratio


class SlantedTriangularTest(TestCase):
    def test_matches_paper_formula_at_key_steps(self):
        schedule = SlantedTriangular(max_learning_rate=1e-2, total_steps=1000)
        self.assertEqual(schedule.cut, 100)
        steps = [0, 99, 100, 550, 1000]  # 0, cut - 1, cut, middle of decay, T
        values = [float(schedule(step)) for step in steps]
        expected = [ulmfit_learning_rate(step, 1000, 1e-2) for step in steps]
        self.assertAllClose(values, expected, rtol=1e-6, atol=0)
        self.assertAllClose(
            values,
            [0.0003125, 0.009903125, 0.01, 0.00515625, 0.0003125],
            rtol=1e-6,
            atol=0,
        )

    def test_other_cut_frac_and_ratio(self):
        schedule = SlantedTriangular(
            max_learning_rate=0.5, total_steps=200, cut_frac=0.25, ratio=10
        )
        steps = [0, 49, 50, 125, 200]
        values = [float(schedule(step)) for step in steps]
        expected = [
            ulmfit_learning_rate(step, 200, 0.5, cut_frac=0.25, ratio=10)
            for step in steps
        ]
        self.assertAllClose(values, expected, rtol=1e-6, atol=0)
        self.assertAllClose(values[2], 0.5, rtol=1e-6, atol=0)
        self.assertAllClose(values[3], 0.5 * (1 + 0.5 * 9) / 10, rtol=1e-6, atol=0)

    def test_never_below_the_floor(self):
        # Past `total_steps` the rate stays at max / ratio.
        schedule = SlantedTriangular(max_learning_rate=1e-2, total_steps=1000)
        self.assertAllClose(float(schedule(5000)), 1e-2 / 32, rtol=1e-6, atol=0)
        # T * cut_frac = 1.5 -> cut = 1: the paper's formula goes negative at
        # t = T (p = 1 - 14 / 9), the schedule holds at max / ratio instead.
        schedule = SlantedTriangular(max_learning_rate=1.0, total_steps=15)
        self.assertLess(ulmfit_learning_rate(15, 15, 1.0), 0)
        self.assertAllClose(float(schedule(15)), 1 / 32, rtol=1e-6, atol=0)
        self.assertAllClose(
            float(schedule(5)), ulmfit_learning_rate(5, 15, 1.0), rtol=1e-6, atol=0
        )

    def test_in_tf_function_with_int64_step(self):
        schedule = SlantedTriangular(max_learning_rate=1e-2, total_steps=1000)
        step = tf.Variable(0, dtype="int64")

        @tf.function
        def rate():
            return schedule(step)

        values = []
        for t in (0, 50, 100, 1000):
            step.assign(t)
            values.append(float(rate()))
        self.assertAllClose(
            values,
            [ulmfit_learning_rate(t, 1000, 1e-2) for t in (0, 50, 100, 1000)],
            rtol=1e-6,
            atol=0,
        )
        self.assertEqual(rate().dtype, tf.float32)

    def test_config_round_trip(self):
        schedule = SlantedTriangular(
            max_learning_rate=3e-3, total_steps=500, cut_frac=0.2, ratio=16
        )
        config = schedule.get_config()
        self.assertEqual(
            config,
            {
                "max_learning_rate": 3e-3,
                "total_steps": 500,
                "cut_frac": 0.2,
                "ratio": 16.0,
            },
        )
        restored = keras.saving.deserialize_keras_object(
            keras.saving.serialize_keras_object(schedule)
        )
        self.assertIsInstance(restored, SlantedTriangular)
        self.assertEqual(restored.get_config(), config)
        self.assertEqual(float(restored(77)), float(schedule(77)))

    def test_keras_file_round_trip(self):
        schedule = SlantedTriangular(max_learning_rate=1e-2, total_steps=1000)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=schedule), loss="mse"
        )
        model.optimizer.build(model.trainable_variables)
        model.optimizer.iterations.assign(100)
        path = os.path.join(self.get_temp_dir(), "model.keras")
        model.save(path)

        loaded = keras.saving.load_model(path)
        lr_config = loaded.optimizer.get_config()["learning_rate"]
        self.assertEqual(
            lr_config["registered_name"], "keras_transfer>SlantedTriangular"
        )
        self.assertEqual(lr_config["config"], schedule.get_config())
        self.assertEqual(int(loaded.optimizer.iterations.numpy()), 100)
        self.assertAllClose(
            float(loaded.optimizer.learning_rate), 0.01, rtol=1e-6, atol=0
        )

    def test_invalid_arguments(self):
        cases = [
            (
                dict(max_learning_rate=0.0, total_steps=10),
                "`max_learning_rate` must be a number > 0. "
                "Received: max_learning_rate=0.0",
            ),
            (
                dict(max_learning_rate=1e-3, total_steps=0),
                "`total_steps` must be an integer >= 1. Received: total_steps=0",
            ),
            (
                dict(max_learning_rate=1e-3, total_steps=10.5),
                "Received: total_steps=10.5",
            ),
            (
                dict(max_learning_rate=1e-3, total_steps=100, cut_frac=1.0),
                "`cut_frac` must be a number in (0, 1). Received: cut_frac=1.0",
            ),
            (
                dict(max_learning_rate=1e-3, total_steps=100, ratio=0.5),
                "`ratio` must be a number >= 1. Received: ratio=0.5",
            ),
            (
                dict(max_learning_rate=1e-3, total_steps=5),
                "`total_steps * cut_frac` must be at least 1",
            ),
        ]
        for kwargs, message in cases:
            with self.assertRaises(ValueError) as context:
                SlantedTriangular(**kwargs)
            self.assertIn(message, str(context.exception))


if __name__ == "__main__":
    tf.test.main()
