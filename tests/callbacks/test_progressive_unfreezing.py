"""ProgressiveUnfreezing (+ DiscriminativeLR): stages inside one fit, state kept, resume."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.callbacks.discriminative_lr import DiscriminativeLR
from keras_transfer.callbacks.progressive_unfreezing import ProgressiveUnfreezing
from keras_transfer.groups.model_groups import get_layer_groups
from keras_transfer.layers.hub_backbone import HubBackbone
from keras_transfer.testing import TestCase
from tests import savedmodels

GROUPS = ["backbone/block1", "backbone/block2", "backbone/top", "head"]


def hub_model(root, trainable=False):
    backbone = HubBackbone(savedmodels.image_feature_vector(root), trainable=trainable,
                           name="backbone")
    inputs = keras.Input((8, 8, 3))
    outputs = keras.layers.Dense(2, name="head")(backbone(inputs))
    return keras.Model(inputs, outputs)


def data(n=16):
    return savedmodels.images(n), np.arange(n) % 2


class Recorder(keras.callbacks.Callback):
    """Snapshots every group's variables at each epoch end, and Adam state."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups
        self.snapshots = []
        self.trainable = []

    def on_epoch_begin(self, epoch, logs=None):
        self.trainable.append([g.name for g in self.groups if g.trainable])

    def on_epoch_end(self, epoch, logs=None):
        self.snapshots.append({g.name: [v.numpy().copy() for v in g.variables]
                               for g in self.groups})


def changed(before, after):
    return any(not np.array_equal(a, b) for a, b in zip(before, after))


class ProgressiveUnfreezingTest(TestCase):
    def _fit(self, model, callbacks, epochs=4, strategy=None):
        x, y = data()
        model.fit(x, y, epochs=epochs, batch_size=8, shuffle=False, verbose=0,
                  callbacks=callbacks)

    def test_groups_change_only_from_their_stage_and_adam_state_is_kept(self):
        model = hub_model(self.temp_dir())
        model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
        groups = get_layer_groups(model)
        self.assertEqual([g.name for g in groups], GROUPS)
        initial = {g.name: [v.numpy().copy() for v in g.variables] for g in groups}
        # Default train_batchnorm=False: the SavedModel runs in inference mode,
        # so its BN statistics (in block1) cannot move before block1 unfreezes.
        unfreezing = ProgressiveUnfreezing(every=1, verbose=0)
        recorder = Recorder(get_layer_groups(model))

        class AdamProbe(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                self.end = self._head_momentum()

            def on_epoch_begin(self, epoch, logs=None):
                if epoch == 1:
                    self.begin = self._head_momentum()

            def _head_momentum(self):
                optimizer = self.model.optimizer
                kernel = self.model.get_layer("head").kernel
                return optimizer._momentums[optimizer._get_variable_index(kernel)].numpy().copy()

        probe = AdamProbe()
        history = []

        class EndOfEpoch0(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                if epoch == 0:
                    history.append(probe.end.copy())

        self._fit(model, [unfreezing, recorder, probe, EndOfEpoch0()])
        self.assertEqual(recorder.trainable, [GROUPS[3:], GROUPS[2:], GROUPS[1:], GROUPS])
        self.assertEqual([s["stage"] for s in unfreezing.stages], [0, 1, 2, 3])
        for k, name in enumerate(GROUPS):
            unfrozen_at = 3 - k
            for epoch, snapshot in enumerate(recorder.snapshots):
                if epoch < unfrozen_at:
                    self.assertFalse(changed(initial[name], snapshot[name]),
                                     f"{name} changed at epoch {epoch}")
            self.assertTrue(changed(initial[name], recorder.snapshots[-1][name]), name)
        # The head's Adam moments carried over the retrace at the stage change.
        self.assertGreater(np.abs(history[0]).max(), 0)
        self.assertAllEqual(probe.begin, history[0])
        self.assertEqual(int(model.optimizer.iterations), 4 * 2)

    def test_batchnorm_stays_in_inference_mode_by_default(self):
        model = hub_model(self.temp_dir())
        model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
        backbone = model.get_layer("backbone")
        moving = [v for v in backbone.weights if "moving_mean" in v.path][0]
        unfreezing = ProgressiveUnfreezing(every=1, verbose=0)
        self._fit(model, [unfreezing])
        self.assertEqual(float(np.abs(moving.numpy()).max()), 0.0)
        self.assertFalse(backbone.inference_mode)  # restored after fit
        kernel = [v for v in backbone.weights if "block1_conv__kernel" in v.path][0]
        self.assertTrue(kernel.trainable)

    def test_backbone_without_batchnorm_keeps_training_mode_for_dropout(self):
        encoder = HubBackbone(savedmodels.bert_encoder(self.temp_dir(), num_layers=2),
                              output_key="pooled_output", name="backbone")
        inputs = {k: keras.Input((None,), dtype="int32", name=k)
                  for k in ("input_word_ids", "input_mask", "input_type_ids")}
        model = keras.Model(inputs, keras.layers.Dense(2, name="head")(encoder(inputs)))
        model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
        image = hub_model(self.temp_dir())
        image.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
        modes = []

        class Probe(keras.callbacks.Callback):
            def on_train_batch_begin(self, batch, logs=None):
                modes.append(self.model.get_layer("backbone").inference_mode)

        ids = np.ones((8, 5), "int32")
        x = {"input_word_ids": ids, "input_mask": ids, "input_type_ids": 0 * ids}
        model.fit(x, np.arange(8) % 2, epochs=2, batch_size=4, verbose=0,
                  callbacks=[ProgressiveUnfreezing(every=1, verbose=0), Probe()])
        self.assertEqual(modes, [False] * 4)  # no BatchNorm: dropout may run
        modes.clear()
        self._fit(image, [ProgressiveUnfreezing(every=1, verbose=0), Probe()], epochs=1)
        self.assertEqual(modes, [True] * 2)  # BatchNorm statistics stay frozen
        self.assertFalse(image.get_layer("backbone").inference_mode)  # restored

    def test_with_discriminative_lr_and_keras_layers(self):
        keras.utils.set_random_seed(3)
        inputs = keras.Input((6,))
        x = keras.layers.Dense(8, name="block1_dense")(inputs)
        x = keras.layers.BatchNormalization(name="block1_bn")(x)
        x = keras.layers.Dense(8, name="block2_dense")(x)
        outputs = keras.layers.Dense(2, name="predictions")(x)
        model = keras.Model(inputs, outputs)
        model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
        x_data = np.random.default_rng(0).random((16, 6), dtype=np.float32)
        y_data = np.arange(16) % 2
        dlr = DiscriminativeLR(decay=2.0, verbose=0)
        unfreezing = ProgressiveUnfreezing(unfreeze_at=[1, 2], verbose=0)
        bn = model.get_layer("block1_bn")
        model.fit(x_data, y_data, epochs=3, batch_size=8, verbose=0, callbacks=[dlr, unfreezing])
        self.assertEqual([s["trainable_groups"] for s in unfreezing.stages],
                         [["top"], ["block2", "top"], ["block1", "block2", "top"]])
        self.assertFalse(bn.trainable)
        self.assertTrue(model.get_layer("block1_dense").trainable)
        self.assertAllClose(dlr.history[-1], {"epoch": 2, "block1": 0.025, "block2": 0.05,
                                              "top": 0.1, "default": 0.1})

    def test_step_unit(self):
        model = hub_model(self.temp_dir())
        model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
        unfreezing = ProgressiveUnfreezing(unfreeze_at=[1, 3], unit="step", verbose=0)
        self._fit(model, [unfreezing], epochs=2)
        self.assertEqual([(s["step"], s["stage"]) for s in unfreezing.stages],
                         [(0, 0), (1, 1), (3, 2)])

    def test_resume_with_backup_and_restore_restores_the_stage(self):
        backup = os.path.join(self.temp_dir(), "backup")
        root = self.temp_dir()

        class Crash(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                if epoch == 1:
                    raise RuntimeError("killed")

        def run(callbacks):
            keras.utils.set_random_seed(5)
            model = hub_model(root + f"/{len(os.listdir(root))}")
            model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
            recorder = Recorder(get_layer_groups(model))
            unfreezing = ProgressiveUnfreezing(every=1, verbose=0)
            with self.assertRaisesRegex(RuntimeError, "killed") if callbacks else _nothing():
                self._fit(model, [DiscriminativeLR(verbose=0), unfreezing, recorder,
                                  keras.callbacks.BackupAndRestore(backup)] + callbacks)
            return model, unfreezing, recorder

        crashed, _, _ = run([Crash()])
        resumed, unfreezing, recorder = run([])
        self.assertEqual(unfreezing.stages[0]["epoch"], 2)
        self.assertEqual(recorder.trainable[0], GROUPS[1:])
        self.assertEqual(recorder.trainable, [GROUPS[1:], GROUPS])
        self.assertEqual(int(resumed.optimizer.iterations), 4 * 2)

    def _resume_from_keras_checkpoint(self, with_discriminative_lr):
        """Uninterrupted 4 epochs == crash after epoch 2 + load `.keras` + resume."""
        saved = savedmodels.image_feature_vector(self.temp_dir())
        checkpoint = os.path.join(self.temp_dir(), "ckpt.keras")

        def fresh_model():
            inputs = keras.Input((8, 8, 3))
            backbone = HubBackbone(saved, name="backbone")
            return keras.Model(inputs, keras.layers.Dense(2, name="head")(backbone(inputs)))

        class Crash(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                if epoch == 1:
                    raise RuntimeError("killed")

        def callbacks(**kwargs):
            extra = [DiscriminativeLR(verbose=0)] if with_discriminative_lr else []
            return extra + [ProgressiveUnfreezing(every=1, verbose=0, **kwargs)]

        keras.utils.set_random_seed(5)
        model = fresh_model()
        model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
        self._fit(model, callbacks())
        expected = [w.numpy() for w in model.weights]

        keras.utils.set_random_seed(5)
        model = fresh_model()
        model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
        with self.assertRaisesRegex(RuntimeError, "killed"):
            self._fit(model, callbacks() + [keras.callbacks.ModelCheckpoint(checkpoint),
                                            Crash()])
        resumed = keras.saving.load_model(checkpoint, safe_mode=False)
        x, y = data()
        resumed.fit(x, y, epochs=4, initial_epoch=2, batch_size=8, shuffle=False, verbose=0,
                    callbacks=callbacks(resume_from=checkpoint))
        self.assertEqual(int(resumed.optimizer.iterations), 4 * 2)
        for want, got in zip(expected, [w.numpy() for w in resumed.weights]):
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)

    def test_resume_from_keras_checkpoint_mid_unfreezing(self):
        self._resume_from_keras_checkpoint(with_discriminative_lr=False)

    def test_resume_from_keras_checkpoint_with_discriminative_lr(self):
        self._resume_from_keras_checkpoint(with_discriminative_lr=True)

    def test_resume_from_must_be_a_checkpoint_file(self):
        with self.assertRaisesRegex(ValueError, "`resume_from` must be an existing `.keras`"):
            ProgressiveUnfreezing(resume_from=os.path.join(self.temp_dir(), "none.keras"))

    def test_argument_and_setup_errors(self):
        with self.assertRaisesRegex(ValueError, r"`unit` must be one of.*unit='batch'"):
            ProgressiveUnfreezing(unit="batch")
        with self.assertRaisesRegex(ValueError, "`every` must be an integer >= 1"):
            ProgressiveUnfreezing(every=0)
        with self.assertRaisesRegex(ValueError, "ascending"):
            ProgressiveUnfreezing(unfreeze_at=[3, 1])
        model = hub_model(self.temp_dir(), trainable=False)
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(*data(), epochs=1, verbose=0)  # trains the head only
        with self.assertRaisesRegex(ValueError, "has trained before these variables could"):
            model.fit(*data(), epochs=1, verbose=0,
                      callbacks=[ProgressiveUnfreezing(verbose=0)])
        # Built on the head only but never stepped: replaced by a fresh copy.
        model = hub_model(self.temp_dir(), trainable=False)
        model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy")
        model.optimizer.build(model.trainable_variables)
        model.fit(*data(), epochs=2, verbose=0, callbacks=[ProgressiveUnfreezing(verbose=0)])
        self.assertEqual(int(model.optimizer.iterations), 2)  # 16 examples, batch 32
        self.assertAllClose(float(model.optimizer.learning_rate), 3e-3)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class MirroredTest(TestCase):
    def test_stages_under_mirrored_strategy(self):
        strategy = self.mirrored_strategy()
        with strategy.scope():
            model = hub_model(self.temp_dir())
            model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
        groups = get_layer_groups(model)
        initial = {g.name: [v.numpy().copy() for v in g.variables] for g in groups}
        recorder = Recorder(groups)
        dlr = DiscriminativeLR(decay=2.6, verbose=0)
        unfreezing = ProgressiveUnfreezing(every=1, verbose=0)
        x, y = data()
        model.fit(x, y, epochs=4, batch_size=8, verbose=0, callbacks=[dlr, unfreezing, recorder])
        self.assertEqual(recorder.trainable, [GROUPS[3:], GROUPS[2:], GROUPS[1:], GROUPS])
        for k, name in enumerate(GROUPS):
            for epoch, snapshot in enumerate(recorder.snapshots):
                if epoch < 3 - k:
                    self.assertFalse(changed(initial[name], snapshot[name]), (name, epoch))
        self.assertTrue(changed(initial["backbone/block1"],
                                recorder.snapshots[-1]["backbone/block1"]))


@pytest.mark.parametrize("decay", [1.0, 2.6])
def test_discriminative_lr_rates(tmp_path, decay):
    model = hub_model(str(tmp_path))
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    dlr = DiscriminativeLR(decay=decay, verbose=0)
    model.fit(*data(8), epochs=1, verbose=0, callbacks=[dlr])
    rates = dlr.history[-1]
    np.testing.assert_allclose([rates[g] for g in GROUPS],
                               [0.1 / decay ** 3, 0.1 / decay ** 2, 0.1 / decay, 0.1], rtol=1e-6)
