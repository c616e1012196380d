import keras
import numpy as np
import tensorflow as tf

from keras_transfer.layers.hub_backbone import HubBackbone
from keras_transfer.recipes.fine_tune import fine_tune
from keras_transfer.regularizers.l2_sp import L2SP
from keras_transfer.schedules.slanted_triangular import SlantedTriangular
from keras_transfer.testing import TestCase
from tests import savedmodels


class FineTuneTest(TestCase):
    def _model(self):
        backbone = HubBackbone(savedmodels.image_feature_vector(self.temp_dir()), name="backbone")
        inputs = keras.Input((8, 8, 3))
        return keras.Model(inputs, keras.layers.Dense(2, name="head")(backbone(inputs)))

    def test_recipe_stages_rates_and_training(self):
        model = self._model()
        x, y = savedmodels.images(32), np.arange(32) % 2
        data = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)  # 4 steps per epoch
        initial = [v.numpy().copy() for v in model.get_layer("backbone").trainable_weights]
        self.assertEmpty(initial)  # frozen as built
        history = fine_tune(model, data, epochs=2, head_epochs=1, learning_rate=1e-2,
                            decay=2.0, verbose=0, plan="full")
        # 4 groups; 3 lower groups unfreeze over the first half (4 steps) of the 8
        # fine-tuning steps, right after the 4 head steps.
        self.assertEqual([(s["step"], s["stage"]) for s in history.stages],
                         [(0, 0), (4, 1), (5, 2), (6, 3)])
        self.assertEqual(history.stages[-1]["trainable_groups"],
                         ["backbone/block1", "backbone/block2", "backbone/top", "head"])
        # Per-group rates follow the same slanted triangular schedule, scaled.
        schedule = SlantedTriangular(1e-2, 12)
        first_epoch_mean = np.mean([float(schedule(s)) for s in range(4)])
        rates = history.group_learning_rates[0]
        self.assertAllClose(rates["head"], first_epoch_mean, rtol=1e-5)
        self.assertAllClose(rates["backbone/block1"], first_epoch_mean / 8, rtol=1e-5)
        self.assertLess(history.history["loss"][-1], history.history["loss"][0])
        self.assertLen(model.get_layer("backbone").trainable_weights, 8)

    def test_all_groups_at_once_without_gradual_unfreezing(self):
        model = self._model()
        x, y = savedmodels.images(32), np.arange(32) % 2
        data = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
        backbone = model.get_layer("backbone")
        history = fine_tune(model, data, epochs=1, head_epochs=1, learning_rate=1e-2,
                            gradual_unfreezing=False, verbose=0, plan="full")
        self.assertEqual([(s["step"], s["stage"]) for s in history.stages], [(0, 0), (4, 3)])
        self.assertLen(backbone.trainable_weights, 8)

    def test_groups_patterns_replace_the_derived_groups(self):
        inputs = keras.Input((4,))
        hidden = keras.layers.Dense(3, name="d1")(keras.layers.Dense(3, name="d0")(inputs))
        model = keras.Model(inputs, keras.layers.Dense(2, name="top")(hidden))
        x, y = np.random.default_rng(0).normal(size=(16, 4)), np.arange(16) % 2
        data = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)  # 4 steps per epoch
        history = fine_tune(model, data, epochs=2, head_epochs=1, learning_rate=1e-2,
                            decay=2.0, verbose=0, plan="full",
                            groups=[("low", "d0/|d1/"), ("head", "top/")])
        # Two groups, not one per Dense layer: one unfreezing step, after the head.
        self.assertEqual([(s["step"], s["trainable_groups"]) for s in history.stages],
                         [(0, ["head"]), (4, ["low", "head"])])
        self.assertEqual(sorted(history.group_learning_rates[0]), ["epoch", "head", "low"])

    def test_full_plan_under_a_strategy(self):
        # The recipe's optimizer must be created in the model's strategy scope
        # (it failed with "Mixing different tf.distribute.Strategy objects").
        strategy = self.mirrored_strategy()
        with strategy.scope():
            inputs = keras.Input((4,))
            hidden = keras.layers.Dense(3, name="d0")(inputs)
            model = keras.Model(inputs, keras.layers.Dense(2, name="top")(hidden))
        x, y = np.random.default_rng(0).normal(size=(16, 4)), np.arange(16) % 2
        data = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
        history = fine_tune(model, data, epochs=1, head_epochs=1, learning_rate=1e-2,
                            verbose=0, plan="full", groups=[("low", "d0/"), ("head", "top/")])
        self.assertLen(history.history["loss"], 2)
        self.assertIs(model.optimizer._distribution_strategy, strategy)

    def test_errors(self):
        model = self._model()
        data = tf.data.Dataset.from_tensor_slices((savedmodels.images(4), np.zeros(4))).batch(2)
        with self.assertRaisesRegex(ValueError, "`schedule` must be one of"):
            fine_tune(model, data, schedule="cosine")
        with self.assertRaisesRegex(ValueError, r"`epochs` must be an integer >= 0. Received: epochs=-1"):
            fine_tune(model, data, epochs=-1)
        with self.assertRaisesRegex(ValueError, "no known length"):
            fine_tune(model, data.repeat(), epochs=1)


class _Snapshots(keras.callbacks.Callback):
    """Weights at the start of fit and after every epoch, with the epoch's logs."""

    def __init__(self):
        super().__init__()
        self.start, self.epochs = None, []

    def on_train_begin(self, logs=None):
        self.start = [w.copy() for w in self.model.get_weights()]

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(([w.copy() for w in self.model.get_weights()], dict(logs)))


class FineTunePlanTest(TestCase):
    def _model(self, seed=0):
        keras.utils.set_random_seed(seed)
        backbone = HubBackbone(savedmodels.image_feature_vector(self.temp_dir()), name="backbone")
        inputs = keras.Input((8, 8, 3))
        return keras.Model(inputs, keras.layers.Dense(2, name="head")(backbone(inputs)))

    def _data(self, n=32):
        x, y = savedmodels.images(n), np.arange(n) % 2
        return tf.data.Dataset.from_tensor_slices((x, y)).batch(8)

    def _backbone(self, model):
        return [v.numpy().copy() for v in model.get_layer("backbone").weights]

    def test_auto_plan_by_examples_per_class(self):
        model = self._model()
        history = fine_tune(model, self._data(4), probe_epochs=2, verbose=0)
        # 2 per class <= LINEAR_PROBE_MAX_PER_CLASS: probe only, nothing held out.
        self.assertEqual(history.plan["plan"], "linear_probe")
        self.assertEqual(history.plan["examples_per_class"], 2)
        self.assertEqual(history.plan["holdout"], 0)
        self.assertIn("2 examples per class", history.plan["reason"])
        history = fine_tune(self._model(), self._data(40), probe_epochs=2, epochs=1, verbose=0,
                            holdout=True)
        self.assertEqual(history.plan["plan"], "lp_ft")
        self.assertEqual(history.plan["holdout"], 8)  # round(0.2 * 20) = 4 per class
        self.assertIn("8 examples held out", history.plan["reason"])
        self.assertLen(history.stages[-1]["trainable_groups"], 4)  # fine-tuning unfroze all

    def test_lp_ft_starts_from_the_probed_head(self):
        probe_only = self._model()
        start = self._backbone(probe_only)
        fine_tune(probe_only, self._data(), plan="linear_probe", holdout=None, probe_epochs=5,
                  verbose=0)
        probed_head = [w.numpy() for w in probe_only.get_layer("head").weights]
        self.assertNotAllClose(probed_head[0], self._model().get_layer("head").weights[0])
        for before, after in zip(start, self._backbone(probe_only)):
            self.assertAllEqual(before, after)  # a probe never touches the backbone

        model = self._model()
        snapshots = _Snapshots()
        history = fine_tune(model, self._data(), plan="lp_ft", holdout=None, probe_epochs=5,
                            epochs=2, learning_rate=1e-2, callbacks=[snapshots], verbose=0)
        self.assertEqual(history.plan["plan"], "lp_ft")
        # When fine-tuning starts: the head is the probe's, the backbone pretrained.
        names = [v.path for v in model.weights]
        at_start = dict(zip(names, snapshots.start))
        head = model.get_layer("head")
        self.assertAllClose(at_start[head.kernel.path], probed_head[0], atol=1e-6)
        self.assertAllClose(at_start[head.bias.path], probed_head[1], atol=1e-6)
        backbone = model.get_layer("backbone")
        for variable, before in zip(backbone.weights, start):
            self.assertAllEqual(at_start[variable.path], before)
        changed = [not np.allclose(v.numpy(), before)
                   for v, before in zip(backbone.weights, start) if v.trainable]
        self.assertTrue(changed and all(changed))  # then fine-tuning moved every one

    def test_holdout_early_stopping_restores_the_best_weights(self):
        model = self._model()
        snapshots = _Snapshots()
        # A learning rate this high makes the held-out loss get worse.
        history = fine_tune(model, self._data(40), plan="lp_ft", probe_epochs=3, epochs=4,
                            holdout=0.2,
                            learning_rate=0.5, schedule="constant", callbacks=[snapshots],
                            verbose=0)
        losses = [logs["val_loss"] for _, logs in snapshots.epochs]
        self.assertEqual(history.plan["holdout"], 8)  # 20 per class: 4 each held out
        self.assertNotEqual(int(np.argmin(losses)), len(losses) - 1)  # it did get worse
        best = int(np.argmin(losses))
        if history.plan["kept"]:
            expected = snapshots.epochs[best][0]
        else:  # worse than the probe: the probed state comes back
            expected = snapshots.start
            self.assertGreater(losses[best], history.plan["probe"]["best_val_loss"])
        for value, want in zip(model.get_weights(), expected):
            self.assertAllClose(value, want)

    def test_holdout_argument_errors(self):
        with self.assertRaisesRegex(ValueError, "Received: holdout=1.5"):
            fine_tune(self._model(), self._data(8), holdout=1.5, verbose=0)

    def test_l2_sp_is_attached_for_the_run_only(self):
        model = self._model()
        backbone = model.get_layer("backbone")
        seen = []

        class Count(keras.callbacks.Callback):
            def on_train_end(self, logs=None):
                seen.append(sum(isinstance(v.regularizer, L2SP) for v in backbone.weights))
                seen.append(len(backbone.declared_trainable_variables))

        history = fine_tune(model, self._data(), plan="full", epochs=1, l2_sp=0.5,
                            callbacks=[Count()], verbose=0)
        self.assertEqual(history.plan["l2_sp"], 0.5)
        self.assertEqual(seen[0], seen[1])  # every trainable backbone variable, while fitting
        self.assertGreater(seen[0], 0)
        self.assertFalse([v for v in backbone.weights if v.regularizer is not None])

    def test_plan_errors(self):
        model = self._model()
        with self.assertRaisesRegex(ValueError, r"`plan` must be one of .* Received: plan='x'"):
            fine_tune(model, self._data(), plan="x")
        with self.assertRaisesRegex(ValueError, "Received: l2_sp=-1"):
            fine_tune(model, self._data(), l2_sp=-1)
        with self.assertRaisesRegex(ValueError, "needs `train_data` as a `tf.data.Dataset`"):
            fine_tune(model, [1, 2], plan="lp_ft")


class AutoFullPlanTest(TestCase):
    def test_auto_above_the_lp_ft_range_runs_the_full_plan_without_a_probe(self):
        from unittest import mock

        from keras_transfer.recipes import defaults

        # Before the fix, "auto" reported "full" but still trained a linear
        # probe and then fine-tuned from it (LP-FT), without the head phase.
        per_class = defaults.LP_FT_MAX_PER_CLASS + 1
        x = savedmodels.images(2 * per_class)
        y = np.arange(2 * per_class) % 2
        data = tf.data.Dataset.from_tensor_slices((x, y)).batch(101)  # 2 steps per epoch
        backbone = HubBackbone(savedmodels.image_feature_vector(self.temp_dir()),
                               name="backbone")
        inputs = keras.Input((8, 8, 3))
        model = keras.Model(inputs, keras.layers.Dense(2, name="head")(backbone(inputs)))
        with mock.patch("keras_transfer.recipes.fine_tune._probe",
                        side_effect=AssertionError("the full plan trains no probe")):
            history = fine_tune(model, data, epochs=1, head_epochs=1, learning_rate=1e-2,
                                verbose=0, holdout=True)
        self.assertEqual(history.plan["plan"], "full")
        self.assertEqual(history.plan["examples_per_class"], per_class)
        self.assertEqual(history.plan["holdout"], 0)
        self.assertIn(f"{per_class} examples per class > {defaults.LP_FT_MAX_PER_CLASS}",
                      history.plan["reason"])
        # The head phase ran first: only the head trained for the first 2 steps.
        self.assertEqual(history.stages[0], {**history.stages[0], "step": 0, "stage": 0})
        self.assertEqual(history.stages[0]["trainable_groups"], ["head"])
        self.assertGreater(history.stages[1]["step"], 0)
