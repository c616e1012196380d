import math
import os
import sys
from unittest import mock

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.callbacks.lr_finder import LRFinder
from keras_transfer.schedules.slanted_triangular import SlantedTriangular
from keras_transfer.testing import TestCase

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def batch_data():
    """8 batches of 8; batch k has targets near 10 * (8 - k), so batch losses
    differ a lot (and an epoch-running mean is easy to tell from them) but
    fall within an epoch (so the sweep does not stop as diverging)."""
    rng = np.random.default_rng(0)
    x = rng.random((64, 4), dtype="float32")
    y = (
        np.repeat(10.0 * np.arange(8, 0, -1), 8)[:, None] + rng.random((64, 1))
    ).astype("float32")
    return x, y


def linear_model(optimizer):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse", jit_compile=False)
    return model


def optimizer_values(optimizer):
    return [np.array(variable.numpy()) for variable in optimizer.variables]


def synthetic_finder():
    """A finder holding a hand-made curve: 20 rates from 1e-4 to 1."""
    finder = LRFinder(min_learning_rate=1e-4, max_learning_rate=1.0, num_steps=20)
    finder.learning_rates = [1e-4 * 1e4 ** (i / 19) for i in range(20)]
    # The rules see steps 2..14 (num_steps // 10 = 2 at the start, 5 at the end).
    finder.losses = (
        [5.0, 5.0]
        + [4.0, 4.1, 3.9, 3.7, 3.5, 3.3, 1.5, 1.2, 1.1, 1.05, 1.3, 2.0, 4.0]
        + [9.0] * 5
    )
    return finder


class LRFinderTest(TestCase):
    def test_sweep_records_batch_losses_and_restores_everything(self):
        x, y = batch_data()
        model = linear_model(keras.optimizers.Adam(learning_rate=1e-3))
        model.train_on_batch(x[:8], y[:8])  # non-zero moments, iterations = 1
        weights_before = model.get_weights()
        optimizer_before = optimizer_values(model.optimizer)
        self.assertEqual(len(optimizer_before), 6)  # iterations, lr, 2 x (m, v)

        seen_at_train_end = {}

        def capture(logs):
            seen_at_train_end["weights"] = model.get_weights()
            seen_at_train_end["iterations"] = int(model.optimizer.iterations.numpy())

        finder = LRFinder.find(
            model,
            x,
            y=y,
            batch_size=8,
            shuffle=False,
            num_steps=20,
            min_learning_rate=1e-7,
            max_learning_rate=1e-5,
            callbacks=[keras.callbacks.LambdaCallback(on_train_end=capture)],
        )

        # 20 steps over 3 epochs of 8 batches, then stopped.
        self.assertLen(finder.learning_rates, 20)
        self.assertLen(finder.losses, 20)
        self.assertEqual(seen_at_train_end["iterations"], 21)
        self.assertFalse(
            np.array_equal(seen_at_train_end["weights"][0], weights_before[0])
        )

        # Exponential sweep: first and last rates exact, constant ratio.
        self.assertEqual(finder.learning_rates[0], 1e-7)
        self.assertAllClose(finder.learning_rates[-1], 1e-5, rtol=1e-12, atol=0)
        self.assertAllClose(
            np.diff(np.log(finder.learning_rates)),
            np.full(19, math.log(100.0) / 19),
            rtol=1e-9,
            atol=0,
        )

        # Smoothed per-batch losses (not Keras' epoch-running mean), with the
        # rates this small the weights barely move from their start values.
        kernel, bias = weights_before
        batch_losses = [
            float(
                np.mean(
                    (x[k * 8 : k * 8 + 8] @ kernel + bias - y[k * 8 : k * 8 + 8]) ** 2
                )
            )
            for k in range(8)
        ]
        average, expected = 0.0, []
        for step in range(20):
            average = 0.98 * average + 0.02 * batch_losses[step % 8]
            expected.append(average / (1 - 0.98 ** (step + 1)))
        self.assertAllClose(finder.losses, expected, rtol=1e-3, atol=0)
        self.assertAllClose(finder.losses[0], batch_losses[0], rtol=1e-5, atol=0)

        # Everything is back, bit for bit.
        weights_after = model.get_weights()
        self.assertLen(weights_after, len(weights_before))
        for after, before in zip(weights_after, weights_before):
            self.assertTrue(np.array_equal(after, before))
        optimizer_after = optimizer_values(model.optimizer)
        self.assertLen(optimizer_after, len(optimizer_before))
        for after, before in zip(optimizer_after, optimizer_before):
            self.assertEqual(after.dtype, before.dtype)
            self.assertTrue(np.array_equal(after, before))
        self.assertEqual(int(model.optimizer.iterations.numpy()), 1)
        self.assertEqual(model.optimizer.learning_rate.numpy(), np.float32(1e-3))

        for rule in ("valley", "steepest", "minimum"):
            suggestion = finder.suggestion(rule)
            self.assertBetween(suggestion, 1e-8, 1e-5)

    def test_stops_early_when_the_loss_diverges(self):
        x, y = batch_data()
        model = linear_model(keras.optimizers.SGD(learning_rate=0.01))
        weights_before = model.get_weights()
        optimizer_before = optimizer_values(model.optimizer)

        finder = LRFinder.find(
            model,
            x,
            y=y,
            batch_size=8,
            num_steps=100,
            min_learning_rate=1e-3,
            max_learning_rate=1e6,
        )

        self.assertLess(len(finder.losses), 100)
        self.assertGreater(len(finder.losses), 5)
        last = finder.losses[-1]
        best = min(loss for loss in finder.losses if math.isfinite(loss))
        self.assertTrue(not math.isfinite(last) or last > 4 * best)
        self.assertTrue(all(loss <= 4 * best for loss in finder.losses[:-1]))
        for after, before in zip(model.get_weights(), weights_before):
            self.assertTrue(np.array_equal(after, before))
        for after, before in zip(optimizer_values(model.optimizer), optimizer_before):
            self.assertTrue(np.array_equal(after, before))
        self.assertBetween(finder.suggestion(), 1e-3, 1e6)

    def test_works_with_a_settable_learning_rate_property(self):
        class ScaledGroups(keras.optimizers.MultiOptimizer):
            """`learning_rate` is the rate of the first group; setting it sets
            every group to `value * multiplier`."""

            multipliers = (1.0, 0.1)

            @property
            def learning_rate(self):
                return self.optimizers[0].learning_rate

            @learning_rate.setter
            def learning_rate(self, value):
                for optimizer, multiplier in zip(self.optimizers, self.multipliers):
                    optimizer.learning_rate = value * multiplier

        x, y = batch_data()
        first, second = keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-4)
        optimizer = ScaledGroups(
            keras.optimizers.OptimizerMap(
                default_optimizer=second, optimizer_map={".*kernel": first}
            )
        )
        self.assertEqual(optimizer.optimizers, [first, second])
        model = linear_model(optimizer)
        optimizer.build(model.trainable_variables)
        optimizer_before = optimizer_values(optimizer)
        rates_at_train_end = []

        def capture(logs):
            rates_at_train_end.extend(
                float(o.learning_rate.numpy()) for o in (first, second)
            )

        finder = LRFinder.find(
            model,
            x,
            y=y,
            batch_size=8,
            num_steps=5,
            min_learning_rate=1e-6,
            max_learning_rate=1e-2,
            callbacks=[keras.callbacks.LambdaCallback(on_train_end=capture)],
        )

        self.assertLen(finder.learning_rates, 5)
        self.assertAllClose(rates_at_train_end, [1e-2, 1e-3], rtol=1e-6, atol=0)
        optimizer_after = optimizer_values(optimizer)
        self.assertLen(optimizer_after, len(optimizer_before))
        for after, before in zip(optimizer_after, optimizer_before):
            self.assertTrue(np.array_equal(after, before))
        self.assertEqual(
            [o.learning_rate.numpy() for o in (first, second)],
            [np.float32(1e-3), np.float32(1e-4)],
        )

    def test_schedule_optimizer_is_rejected(self):
        x, y = batch_data()
        schedule = SlantedTriangular(max_learning_rate=1e-2, total_steps=100)
        model = linear_model(keras.optimizers.Adam(learning_rate=schedule))
        with self.assertRaises(TypeError) as context:
            LRFinder.find(model, x, y=y, batch_size=8, num_steps=10)
        message = str(context.exception)
        self.assertIn(
            "LRFinder sets `model.optimizer.learning_rate` at every batch", message
        )
        self.assertIn("(Adam)", message)
        self.assertIn("LearningRateSchedule", message)
        self.assertIn("Compile the model with a float learning rate", message)

    def test_stock_multi_optimizer_is_rejected(self):
        model = linear_model(
            keras.optimizers.MultiOptimizer(
                keras.optimizers.OptimizerMap(default_optimizer=keras.optimizers.SGD())
            )
        )
        finder = LRFinder()
        finder.set_model(model)
        with self.assertRaises(TypeError) as context:
            finder.on_train_begin()
        self.assertIn("(MultiOptimizer)", str(context.exception))
        self.assertIn("cannot be accessed on a MultiOptimizer", str(context.exception))

    def test_unbuilt_model_is_rejected(self):
        model = keras.Sequential([keras.layers.Dense(1)], name="unbuilt")
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        finder = LRFinder()
        finder.set_model(model)
        with self.assertRaises(ValueError) as context:
            finder.on_train_begin()
        self.assertIn(
            "The model 'unbuilt' is not built yet: call it on a batch or "
            "`model.build(input_shape)` before fitting.",
            str(context.exception),
        )

    def test_suggestion_rules_on_a_known_curve(self):
        finder = synthetic_finder()
        rates = finder.learning_rates
        # Longest decreasing run 4.0 > 3.9 > ... > 1.05 (steps 2..11, fastai
        # counts its start at step 2 - 0 + 0): middle is step 2 + 3 + 1 = 6.
        self.assertEqual(finder.suggestion("valley"), rates[6])
        self.assertEqual(finder.suggestion(), rates[6])
        # Largest drop per log-rate: 3.3 -> 1.5, between steps 7 and 8.
        self.assertEqual(finder.suggestion("steepest"), rates[7])
        # Lowest loss 1.05 at step 11 (the 9.0 tail and 5.0 head are trimmed).
        self.assertAlmostEqual(finder.suggestion("minimum"), rates[11] / 10, delta=0)

    def test_short_curve_is_not_trimmed_and_non_finite_is_ignored(self):
        finder = LRFinder(min_learning_rate=1e-3, max_learning_rate=1.0, num_steps=4)
        finder.learning_rates = [1e-3, 1e-2, 1e-1, 1.0]
        finder.losses = [3.0, 2.5, 1.0, float("nan")]
        self.assertEqual(finder.suggestion("minimum"), 0.1 / 10)
        self.assertEqual(finder.suggestion("steepest"), 1e-2)

    def test_suggestion_errors(self):
        finder = synthetic_finder()
        with self.assertRaises(ValueError) as context:
            finder.suggestion("lowest")
        self.assertIn(
            "`rule` must be one of ['valley', 'steepest', 'minimum']. "
            "Received: rule='lowest'",
            str(context.exception),
        )
        with self.assertRaises(ValueError) as context:
            LRFinder().suggestion()
        self.assertIn(
            "needs at least 2 recorded steps with a finite loss", str(context.exception)
        )
        self.assertIn("it has 0", str(context.exception))

    def test_plot_writes_a_png(self):
        path = os.path.join(self.get_temp_dir(), "lr_find.png")
        self.assertEqual(synthetic_finder().plot(path, rule="steepest"), path)
        with open(path, "rb") as file:
            content = file.read()
        self.assertEqual(content[:8], PNG_MAGIC)
        self.assertGreater(len(content), 1024)

    def test_plot_without_matplotlib_names_the_extra(self):
        hidden = {
            "matplotlib": None,
            "matplotlib.figure": None,
            "matplotlib.backends.backend_agg": None,
        }
        with mock.patch.dict(sys.modules, hidden):
            with self.assertRaises(ImportError) as context:
                synthetic_finder().plot(os.path.join(self.get_temp_dir(), "x.png"))
        self.assertIn("keras-transfer[report]", str(context.exception))

    def test_config_round_trip(self):
        finder = LRFinder(
            min_learning_rate=1e-6,
            max_learning_rate=1.0,
            num_steps=200,
            beta=0.9,
            divergence_factor=5.0,
        )
        config = finder.get_config()
        self.assertEqual(
            config,
            {
                "min_learning_rate": 1e-6,
                "max_learning_rate": 1.0,
                "num_steps": 200,
                "beta": 0.9,
                "divergence_factor": 5.0,
            },
        )
        self.assertEqual(LRFinder.from_config(config).get_config(), config)

    def test_invalid_arguments(self):
        cases = [
            (
                dict(min_learning_rate=0.0),
                "`min_learning_rate` must be a finite number > 0. "
                "Received: min_learning_rate=0.0",
            ),
            (
                dict(min_learning_rate=1.0, max_learning_rate=0.1),
                "`max_learning_rate` must be a finite number greater than "
                "`min_learning_rate`. Received: max_learning_rate=0.1, "
                "min_learning_rate=1.0",
            ),
            (
                dict(num_steps=1),
                "`num_steps` must be an integer >= 2. Received: num_steps=1",
            ),
            (dict(beta=1.0), "`beta` must be a number in [0, 1). Received: beta=1.0"),
            (
                dict(divergence_factor=1.0),
                "`divergence_factor` must be a number > 1. "
                "Received: divergence_factor=1.0",
            ),
        ]
        for kwargs, message in cases:
            with self.assertRaises(ValueError) as context:
                LRFinder(**kwargs)
            self.assertIn(message, str(context.exception))


if __name__ == "__main__":
    tf.test.main()
