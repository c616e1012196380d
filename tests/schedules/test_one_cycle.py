import math
import os

import keras
import tensorflow as tf

from keras_transfer.schedules.one_cycle import OneCycle
from keras_transfer.testing import TestCase


def fastai_one_cycle(t, total_steps, lr_max, pct_start=0.25, div=25.0, div_final=1e5):
    """fastai's `combined_cos(pct_start, lr_max/div, lr_max, lr_max/div_final)`."""

    def sched_cos(start, end, pos):
        return start + (1 + math.cos(math.pi * (1 - pos))) * (end - start) / 2

    pos = min(t / total_steps, 1.0)
    if pos < pct_start:
        return sched_cos(lr_max / div, lr_max, pos / pct_start)
    return sched_cos(lr_max, lr_max / div_final, (pos - pct_start) / (1 - pct_start))


class OneCycleTest(TestCase):
    def test_matches_fastai_fit_one_cycle(self):
        schedule = OneCycle(max_learning_rate=1e-3, total_steps=400)
        steps = [0, 25, 50, 99, 100, 250, 399, 400]
        values = [float(schedule(step)) for step in steps]
        expected = [fastai_one_cycle(step, 400, 1e-3) for step in steps]
        self.assertAllClose(values, expected, rtol=1e-5, atol=0)
        # start, cosine warm-up at 1/4 of it, peak, middle of annealing, end.
        self.assertAllClose(
            [values[0], values[1], values[4], values[5], values[7]],
            [
                4e-5,
                4e-5 + 9.6e-4 * (1 - math.cos(math.pi / 4)) / 2,
                1e-3,
                5.00005e-4,
                1e-8,
            ],
            rtol=1e-5,
            atol=0,
        )

    def test_linear_warmup(self):
        schedule = OneCycle(max_learning_rate=1e-3, total_steps=400, warmup="linear")
        self.assertAllClose(
            [float(schedule(step)) for step in (0, 25, 50, 100, 250)],
            [4e-5, 2.8e-4, 5.2e-4, 1e-3, 5.00005e-4],
            rtol=1e-5,
            atol=0,
        )

    def test_no_warmup_and_past_total_steps(self):
        schedule = OneCycle(
            max_learning_rate=0.1,
            total_steps=100,
            warmup_frac=0.0,
            div_factor=10.0,
            final_div_factor=100.0,
        )
        self.assertAllClose(float(schedule(0)), 0.1, rtol=1e-6, atol=0)
        self.assertAllClose(float(schedule(50)), 0.001 + 0.099 / 2, rtol=1e-6, atol=0)
        self.assertAllClose(float(schedule(100)), 0.001, rtol=1e-6, atol=0)
        self.assertAllClose(float(schedule(10_000)), 0.001, rtol=1e-6, atol=0)

    def test_in_tf_function_with_int64_step(self):
        schedule = OneCycle(max_learning_rate=1e-3, total_steps=400)
        step = tf.Variable(0, dtype="int64")

        @tf.function
        def rate():
            return schedule(step)

        values = []
        for t in (0, 100, 250, 400, 600):
            step.assign(t)
            values.append(float(rate()))
        self.assertAllClose(
            values,
            [fastai_one_cycle(t, 400, 1e-3) for t in (0, 100, 250, 400, 600)],
            rtol=1e-5,
            atol=0,
        )

    def test_config_round_trip(self):
        schedule = OneCycle(
            max_learning_rate=2e-3,
            total_steps=300,
            warmup_frac=0.3,
            div_factor=10.0,
            final_div_factor=1e4,
            warmup="linear",
        )
        config = schedule.get_config()
        self.assertEqual(
            config,
            {
                "max_learning_rate": 2e-3,
                "total_steps": 300,
                "warmup_frac": 0.3,
                "div_factor": 10.0,
                "final_div_factor": 1e4,
                "warmup": "linear",
            },
        )
        restored = keras.saving.deserialize_keras_object(
            keras.saving.serialize_keras_object(schedule)
        )
        self.assertIsInstance(restored, OneCycle)
        self.assertEqual(restored.get_config(), config)
        self.assertEqual(float(restored(123)), float(schedule(123)))

    def test_keras_file_round_trip(self):
        schedule = OneCycle(max_learning_rate=1e-3, total_steps=400)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=schedule), loss="mse"
        )
        model.optimizer.build(model.trainable_variables)
        model.optimizer.iterations.assign(100)
        path = os.path.join(self.get_temp_dir(), "model.keras")
        model.save(path)

        loaded = keras.saving.load_model(path)
        lr_config = loaded.optimizer.get_config()["learning_rate"]
        self.assertEqual(lr_config["registered_name"], "keras_transfer>OneCycle")
        self.assertEqual(lr_config["config"], schedule.get_config())
        self.assertAllClose(
            float(loaded.optimizer.learning_rate), 1e-3, rtol=1e-6, atol=0
        )

    def test_invalid_arguments(self):
        cases = [
            (
                dict(max_learning_rate=-1.0, total_steps=10),
                "`max_learning_rate` must be a number > 0. "
                "Received: max_learning_rate=-1.0",
            ),
            (
                dict(max_learning_rate=1e-3, total_steps=0),
                "`total_steps` must be an integer >= 1. Received: total_steps=0",
            ),
            (
                dict(max_learning_rate=1e-3, total_steps=10, warmup_frac=1.0),
                "`warmup_frac` must be a number in [0, 1). Received: warmup_frac=1.0",
            ),
            (
                dict(max_learning_rate=1e-3, total_steps=10, div_factor=0),
                "`div_factor` must be a number > 0. Received: div_factor=0",
            ),
            (
                dict(max_learning_rate=1e-3, total_steps=10, final_div_factor=-5.0),
                "`final_div_factor` must be a number > 0. "
                "Received: final_div_factor=-5.0",
            ),
            (
                dict(max_learning_rate=1e-3, total_steps=10, warmup="exp"),
                "`warmup` must be one of ['cosine', 'linear']. Received: warmup='exp'",
            ),
        ]
        for kwargs, message in cases:
            with self.assertRaises(ValueError) as context:
                OneCycle(**kwargs)
            self.assertIn(message, str(context.exception))


if __name__ == "__main__":
    tf.test.main()
