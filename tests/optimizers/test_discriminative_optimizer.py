"""DiscriminativeOptimizer / discriminative_optimizer: exact per-group updates."""

import os
import warnings

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.groups.model_groups import get_layer_groups
from keras_transfer.optimizers.discriminative import discriminative_optimizer, group_multipliers
from keras_transfer.optimizers.discriminative_optimizer import DiscriminativeOptimizer
from keras_transfer.testing import TestCase


def three_layer_model(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(3, name="low"),
        keras.layers.Dense(3, name="mid"),
        keras.layers.Dense(2, name="top"),
    ])


def data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((8, 4), dtype=np.float32), rng.random((8, 2), dtype=np.float32)


def gradients(model, x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(keras.losses.mean_squared_error(y, model(x)))
    return tape.gradient(loss, model.trainable_variables)


class DiscriminativeOptimizerTest(TestCase):
    def test_sgd_step_moves_each_group_by_lr_times_decay_power(self):
        model = three_layer_model()
        x, y = data()
        before = self.weights_snapshot(model.trainable_variables)
        grads = [g.numpy() for g in gradients(model, x, y)]
        model.compile(discriminative_optimizer(model, keras.optimizers.SGD(0.1), decay=2.0), "mse")
        model.train_on_batch(x, y)
        factors = {"low": 0.1 / 4, "mid": 0.1 / 2, "top": 0.1}
        for old, var, grad in zip(before, model.trainable_variables, grads):
            expected = old - factors[var.path.split("/")[1]] * grad
            self.assertAllClose(var.numpy(), expected, atol=1e-7, rtol=1e-6)

    def test_adam_matches_separate_reference_optimizers(self):
        x, y = data(1)
        model = three_layer_model(3)
        reference = three_layer_model(3)
        rates = [1e-3, 3e-3, 1e-2]
        model.compile(discriminative_optimizer(model, "adam", learning_rates=rates), "mse")
        refs = [keras.optimizers.Adam(r) for r in rates]
        for _ in range(3):
            model.train_on_batch(x, y)
            grads = gradients(reference, x, y)
            variables = reference.trainable_variables
            for k, opt in enumerate(refs):
                opt.apply(grads[2 * k: 2 * k + 2], variables[2 * k: 2 * k + 2])
        for a, b in zip(model.trainable_variables, reference.trainable_variables):
            self.assertAllClose(a.numpy(), b.numpy(), atol=1e-6)
        # Plain gradient scaling would NOT match Adam (it is scale invariant).
        self.assertGreater(np.abs(model.layers[0].kernel.numpy() -
                                  three_layer_model(3).layers[0].kernel.numpy()).max(), 1e-4)

    def test_learning_rate_is_settable_and_reaches_every_group(self):
        model = three_layer_model()
        optimizer = discriminative_optimizer(model, keras.optimizers.SGD(0.1), decay=2.0)
        optimizer.learning_rate = 0.4
        self.assertAllClose(optimizer.group_learning_rates(),
                            {"low": 0.1, "mid": 0.2, "top": 0.4, "default": 0.4})

    def test_keras_lr_callbacks_keep_working(self):
        model = three_layer_model()
        x, y = data()
        model.compile(discriminative_optimizer(model, keras.optimizers.SGD(0.1), decay=2.0), "mse")
        model.fit(x, y, epochs=3, verbose=0, callbacks=[
            keras.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5 ** epoch)])
        self.assertAllClose(model.optimizer.group_learning_rates()["low"], 0.025 / 4)
        # mode="max" on a falling loss: epoch 1 is "no improvement" -> halve once.
        plateau = keras.callbacks.ReduceLROnPlateau(monitor="loss", mode="max", factor=0.5,
                                                    patience=0)
        model.fit(x, y, epochs=2, verbose=0, callbacks=[plateau])
        self.assertAllClose(float(model.optimizer.learning_rate), 0.0125)
        self.assertAllClose(model.optimizer.group_learning_rates()["low"], 0.0125 / 4)

    def test_schedule_is_shared_by_groups(self):
        model = three_layer_model()
        schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
        optimizer = discriminative_optimizer(model, "sgd", learning_rate=schedule, decay=2.0)
        model.compile(optimizer, "mse")
        x, y = data()
        model.fit(x, y, epochs=1, batch_size=4, verbose=0)  # 2 steps
        self.assertAllClose(optimizer.group_learning_rates(), {
            "low": 0.1 * 0.25 / 4, "mid": 0.1 * 0.25 / 2, "top": 0.025, "default": 0.025})
        with self.assertRaisesRegex(TypeError, "not settable"):
            optimizer.learning_rate = 0.3

    def test_keras_file_round_trip(self):
        model = three_layer_model()
        x, y = data()
        model.compile(discriminative_optimizer(model, "adam", learning_rate=1e-2, decay=2.6), "mse")
        model.fit(x, y, epochs=2, verbose=0)
        path = os.path.join(self.temp_dir(), "m.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
        self.assertIsInstance(loaded.optimizer, DiscriminativeOptimizer)
        self.assertAllClose(loaded.optimizer.group_learning_rates(),
                            model.optimizer.group_learning_rates())
        self.assertEqual(len(loaded.optimizer.variables), len(model.optimizer.variables))
        for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
            self.assertAllClose(a.numpy(), b.numpy())
        model.fit(x, y, epochs=1, verbose=0)
        loaded.fit(x, y, epochs=1, verbose=0)
        self.assertAllClose(model.get_weights()[0], loaded.get_weights()[0], atol=1e-6)

    def test_subset_of_variables_and_unknown_variable_error(self):
        model = three_layer_model()
        optimizer = discriminative_optimizer(model, keras.optimizers.SGD(0.1))
        optimizer.build(model.trainable_variables)
        top = model.layers[-1].trainable_variables
        optimizer.apply([tf.ones_like(v) for v in top], top)
        self.assertEqual(int(optimizer.iterations), 1)
        stranger = keras.Variable(np.ones(2, np.float32), name="stranger")
        with self.assertRaisesRegex(ValueError, "not known when the optimizer was built"):
            optimizer.apply([tf.ones(2)], [stranger])

    def test_argument_errors(self):
        with self.assertRaisesRegex(ValueError, "Pass only one of"):
            group_multipliers(3, decay=2.0, lr_range=(1e-4, 1e-2))
        with self.assertRaisesRegex(ValueError, r"`decay` must be a number >= 1 \(lower groups "
                                                r"train slower\)\. Received: decay=0.5"):
            group_multipliers(3, decay=0.5)
        with self.assertRaisesRegex(ValueError, "one rate per group"):
            group_multipliers(3, learning_rates=[1e-3, 1e-2])
        with self.assertRaisesRegex(ValueError, "0 < low <= high"):
            group_multipliers(3, lr_range=(1e-2, 1e-4))
        with self.assertRaisesRegex(ValueError, "one value per group"):
            DiscriminativeOptimizer("sgd", [("a", "a.*")], [1.0, 0.5])
        base, multipliers = group_multipliers(3, lr_range=slice(1e-4, 1e-2))
        self.assertAllClose([base * m for m in multipliers], [1e-4, 1e-3, 1e-2])

    def test_groups_of_a_sequential_stack(self):
        self.assertEqual([g.name for g in get_layer_groups(three_layer_model())],
                         ["low", "mid", "top"])


class ExportTest(TestCase):
    def test_model_with_scheduled_optimizer_exports(self):
        model = three_layer_model()
        schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
        model.compile(discriminative_optimizer(model, "adam", learning_rate=schedule), "mse")
        model.fit(*data(), epochs=1, verbose=0)
        path = os.path.join(self.temp_dir(), "export")
        model.export(path, verbose=False)
        reloaded = tf.saved_model.load(path)
        x, _ = data()
        self.assertAllClose(reloaded.serve(x), model.predict(x, verbose=0), atol=1e-6)


class SaveSizeTest(TestCase):
    def test_optimizer_variables_are_saved_once(self):
        import zipfile

        import h5py

        model = three_layer_model()
        model.compile(discriminative_optimizer(model, "adam"), "mse")
        model.fit(*data(), epochs=1, verbose=0)
        folder = self.temp_dir()
        path = os.path.join(folder, "m.keras")
        model.save(path)
        with zipfile.ZipFile(path) as archive:
            archive.extract("model.weights.h5", folder)
        names = []
        with h5py.File(os.path.join(folder, "model.weights.h5")) as f:
            f.visititems(lambda name, obj: names.append(name)
                         if isinstance(obj, h5py.Dataset) else None)
        optimizer_arrays = [n for n in names if n.startswith("optimizer")]
        # iteration + learning rate, then per group optimizer (3 groups + the
        # default) iteration + lr, and Adam's m and v for 6 variables.
        self.assertLen(optimizer_arrays, 2 + 4 * 2 + 6 * 2, optimizer_arrays)
        self.assertIn("optimizer/_group_optimizers/adam_2/vars/5", names)


def two_layer_model(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d0"),
                             keras.layers.Dense(2, name="d1")])


def large_gradients(variables, seed=0):
    rng = np.random.default_rng(seed)
    return [tf.constant(rng.normal(0.0, 10.0, v.shape).astype("float32")) for v in variables]


def sgd_update(optimizer, variables, grads):
    """The change `optimizer.apply(grads, variables)` makes, per variable."""
    before = [np.array(v.numpy(), copy=True) for v in variables]
    optimizer.apply(grads, variables)
    return [v.numpy() - b for b, v in zip(before, variables)]


class ExactSemanticsTest(TestCase):
    """Issue 11, item 9: clipping, `apply(grads)`, regex rule, `lr_range`."""

    def _updates(self, clip, multipliers):
        """(discriminative update, reference update) for one SGD(lr=1) step."""
        model, reference = two_layer_model(), two_layer_model()
        grads = large_gradients(model.trainable_variables)
        optimizer = DiscriminativeOptimizer(keras.optimizers.SGD(1.0, **clip),
                                            [("d0", "d0/"), ("d1", "d1/")], multipliers)
        ours = sgd_update(optimizer, model.trainable_variables, grads)
        theirs = sgd_update(keras.optimizers.SGD(1.0, **clip), reference.trainable_variables,
                            grads)
        return ours, theirs

    def test_global_clipnorm_clips_over_all_groups_like_the_base_optimizer(self):
        ours, theirs = self._updates({"global_clipnorm": 1.0}, [1.0, 1.0])
        for a, b in zip(ours, theirs):
            self.assertAllClose(a, b, atol=1e-7, rtol=0)
        norm = np.sqrt(sum(float((u ** 2).sum()) for u in ours))
        self.assertAllClose(norm, 1.0, atol=1e-6)  # was sqrt(2) with per-group clipping
        # With decay: each group's update is its rate times the globally clipped gradient.
        ours, theirs = self._updates({"global_clipnorm": 1.0}, [0.25, 1.0])
        for a, b, m in zip(ours, theirs, [0.25, 0.25, 1.0, 1.0]):
            self.assertAllClose(a, m * b, atol=1e-7, rtol=0)

    def test_clipnorm_and_clipvalue_match_the_base_optimizer(self):
        for clip in ({"clipnorm": 0.5}, {"clipvalue": 0.3}):
            for multipliers in ([1.0, 1.0], [0.5, 1.0]):
                ours, theirs = self._updates(clip, multipliers)
                scale = [multipliers[0]] * 2 + [multipliers[1]] * 2
                for a, b, m in zip(ours, theirs, scale):
                    self.assertAllClose(a, m * b, atol=1e-7, rtol=0, msg=str(clip))

    def test_loss_scale_factor_is_undone_once_before_the_global_clip(self):
        model, reference = two_layer_model(), two_layer_model()
        grads = large_gradients(model.trainable_variables)
        settings = {"global_clipnorm": 1.0, "loss_scale_factor": 4.0}
        optimizer = DiscriminativeOptimizer(keras.optimizers.SGD(1.0, **settings),
                                            [("d0", "d0/")], [1.0])
        ours = sgd_update(optimizer, model.trainable_variables, grads)
        theirs = sgd_update(keras.optimizers.SGD(1.0, **settings),
                            reference.trainable_variables, grads)
        for a, b in zip(ours, theirs):
            self.assertAllClose(a, b, atol=1e-7, rtol=0)

    def test_apply_without_variables_uses_the_current_group_rates(self):
        model = two_layer_model()
        variables = model.trainable_variables
        optimizer = DiscriminativeOptimizer(keras.optimizers.SGD(0.1), [("d0", "d0/")], [0.25])
        optimizer.build(variables)
        optimizer.learning_rate = 0.8
        grads = large_gradients(variables)
        before = [np.array(v.numpy(), copy=True) for v in variables]
        optimizer.apply(grads)
        for b, v, g, rate in zip(before, variables, grads, [0.2, 0.2, 0.8, 0.8]):
            self.assertAllClose(v.numpy(), b - rate * g.numpy(), atol=1e-6, rtol=0)
        self.assertEqual(int(optimizer.iterations), 1)
        with self.assertRaisesRegex(ValueError, "one to one"):
            optimizer.apply(grads[:2])

    def test_d0_pattern_selects_layer_d0_everywhere(self):
        model = two_layer_model()
        self.assertEqual(model.layers[0].kernel.path, "sequential/d0/kernel")
        optimizer = DiscriminativeOptimizer(keras.optimizers.SGD(1.0), [("low", "d0/.*")], [0.1])
        optimizer.build(model.trainable_variables)
        names = [optimizer._optimizer_map(v).name for v in model.trainable_variables]
        self.assertEqual(names, ["discriminative_group_0"] * 2 + ["discriminative_default"] * 2)
        groups = get_layer_groups(model, [("low", "d0/.*"), ("top", ".*")])
        self.assertEqual([g.paths for g in groups],
                         [["sequential/d0/kernel", "sequential/d0/bias"],
                          ["sequential/d1/kernel", "sequential/d1/bias"]])

    def test_group_that_matches_nothing_warns_once(self):
        model = two_layer_model()
        optimizer = DiscriminativeOptimizer("sgd", [("typo", "^d0/"), ("mid", "d1/kernel")], [0.5, 1.0])
        with self.assertWarnsRegex(UserWarning, r"matched no variable: 'typo' \('\^d0/'\)"):
            optimizer.build(model.trainable_variables)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            optimizer.build(model.trainable_variables)  # already built: no second warning
            # A frozen group has no variable to build on: that is not a typo.
            frozen = DiscriminativeOptimizer("sgd", [("d0", "d0/"), ("d1", "d1/")], [0.5, 1.0])
            frozen.build(model.layers[1].trainable_variables)
        self.assertEqual(caught, [])

    def test_files_saved_with_fullmatch_patterns_keep_their_groups(self):
        legacy = DiscriminativeOptimizer.from_config({
            "optimizer": keras.optimizers.serialize(keras.optimizers.SGD(0.1)),
            "groups": [["low", "(?:.*/)?(?:d0/kernel|d0/bias)"]], "multipliers": [0.5],
            "learning_rate": 0.1, "name": "discriminative"})
        self.assertEqual(legacy.groups, [("low", "(?:^|/)(?:d0/kernel|d0/bias)$")])
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d0"),
                                  keras.layers.Dense(2, name="xd0")])
        legacy.build(model.trainable_variables)
        names = [legacy._optimizer_map(v).name for v in model.trainable_variables]
        self.assertEqual(names, ["discriminative_group_0"] * 2 + ["discriminative_default"] * 2)

    def test_fastai_slice_of_stop_only(self):
        base, multipliers = group_multipliers(3, lr_range=slice(1e-2))
        self.assertAllClose([base * m for m in multipliers], [1e-3, 1e-3, 1e-2])
        model = three_layer_model()
        optimizer = discriminative_optimizer(model, "sgd", lr_range=slice(1e-2))
        self.assertAllClose(optimizer.group_learning_rates(),
                            {"low": 1e-3, "mid": 1e-3, "top": 1e-2, "default": 1e-2})
        for bad in (slice(1e-3, 1e-2, 2), slice(None), slice("a"), (1e-2,), 1e-2,
                    (1e-2, 1e-3), (True, 1e-2), slice(-1.0)):
            with self.assertRaisesRegex(ValueError, r"`lr_range` must be .*Received: lr_range="):
                group_multipliers(3, lr_range=bad)
