import os

import keras
import tensorflow as tf

from keras_transfer.schedules.scaled import ScaledSchedule
from keras_transfer.schedules.slanted_triangular import SlantedTriangular
from keras_transfer.testing import TestCase


class ScaledScheduleTest(TestCase):
    def test_scales_every_step(self):
        base = SlantedTriangular(max_learning_rate=1e-2, total_steps=1000)
        scaled = ScaledSchedule(base, multiplier=0.25)
        for step in (0, 99, 100, 550, 1000):
            self.assertAllClose(
                float(scaled(step)), 0.25 * float(base(step)), rtol=1e-6, atol=0
            )
        self.assertAllClose(float(scaled(100)), 0.0025, rtol=1e-6, atol=0)
        self.assertAllClose(float(ScaledSchedule(base, 0.0)(100)), 0.0, atol=0)

    def test_in_tf_function(self):
        scaled = ScaledSchedule(
            keras.optimizers.schedules.ExponentialDecay(
                1.0, decay_steps=1, decay_rate=0.5
            ),
            multiplier=3.0,
        )
        step = tf.Variable(0, dtype="int64")

        @tf.function
        def rate():
            return scaled(step)

        step.assign(2)
        self.assertAllClose(float(rate()), 0.75, rtol=1e-6, atol=0)

    def test_config_round_trip_of_nested_schedule(self):
        base = keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=100)
        scaled = ScaledSchedule(base, multiplier=0.5)
        config = scaled.get_config()
        self.assertEqual(config["multiplier"], 0.5)
        self.assertEqual(config["schedule"]["class_name"], "CosineDecay")
        restored = keras.saving.deserialize_keras_object(
            keras.saving.serialize_keras_object(scaled)
        )
        self.assertIsInstance(restored, ScaledSchedule)
        self.assertIsInstance(restored.schedule, keras.optimizers.schedules.CosineDecay)
        self.assertEqual(restored.get_config(), config)
        self.assertEqual(float(restored(40)), float(scaled(40)))

    def test_keras_file_round_trip(self):
        scaled = ScaledSchedule(
            SlantedTriangular(max_learning_rate=1e-2, total_steps=1000), multiplier=0.5
        )
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=scaled), loss="mse")
        model.optimizer.build(model.trainable_variables)
        model.optimizer.iterations.assign(100)
        path = os.path.join(self.get_temp_dir(), "model.keras")
        model.save(path)

        loaded = keras.saving.load_model(path)
        lr_config = loaded.optimizer.get_config()["learning_rate"]
        self.assertEqual(lr_config["registered_name"], "keras_transfer>ScaledSchedule")
        self.assertEqual(
            lr_config["config"]["schedule"]["registered_name"],
            "keras_transfer>SlantedTriangular",
        )
        self.assertAllClose(
            float(loaded.optimizer.learning_rate), 0.005, rtol=1e-6, atol=0
        )

    def test_invalid_arguments(self):
        with self.assertRaises(ValueError) as context:
            ScaledSchedule(0.01, multiplier=2.0)
        self.assertIn(
            "`schedule` must be a `keras.optimizers.schedules.LearningRateSchedule`. "
            "Received: schedule=0.01 (of type float)",
            str(context.exception),
        )
        base = SlantedTriangular(max_learning_rate=1e-2, total_steps=1000)
        for multiplier in (-1.0, float("nan"), True):
            with self.assertRaises(ValueError) as context:
                ScaledSchedule(base, multiplier=multiplier)
            self.assertIn(
                "`multiplier` must be a finite number >= 0. "
                f"Received: multiplier={multiplier!r}",
                str(context.exception),
            )


if __name__ == "__main__":
    tf.test.main()
