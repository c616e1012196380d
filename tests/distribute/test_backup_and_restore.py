"""`keras_transfer.distribute.BackupAndRestore`: resume a killed run where it stood.

The run is `fit_worker.py`'s tiny Dense model, 4 epochs of 4 steps, with
`ProgressiveUnfreezing(every=1)` over three groups and a
`DiscriminativeOptimizer` whose base rate is a `SlantedTriangular` schedule:
both the trainable set and every group's rate change from epoch to epoch.
A run killed in the middle of epoch 2 (after the backup of epoch 1's end)
and started again must train epochs 2 and 3 only, at the same unfreezing
stage and the same learning rates as the uninterrupted run, and end with the
same weights. In one process the replay is bit-identical (checked with
`ATOL = 0`); across workers the tolerance is the one of the multi-worker
tests (float32 summation order).
"""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.distribute.backup_and_restore import BackupAndRestore
from keras_transfer.testing import TestCase
from keras_transfer.testing.workers import run_workers
from tests.distribute import fit_worker
from tests.distribute.test_chief import WORKERS, _Strategy
from tests.distribute.test_multi_worker import ATOL as MULTI_WORKER_ATOL

WORKER = os.path.join(os.path.dirname(__file__), "fit_worker.py")
EPOCHS = 4
KILL_AT_STEP = 9  # epoch 2, batch 1 (4 steps per epoch): mid-epoch
RESUMED_EPOCH = 2  # the backup of epoch 1's end
FIT = dict(optimizer="discriminative_schedule", unfreezing=True)


def reference():
    """The uninterrupted run in this process: `(weights, per-epoch record)`."""
    model, _, record = fit_worker.train(tf.distribute.get_strategy(), EPOCHS, **FIT)
    return model.get_weights(), np.asarray(record)


class ResumeTest(TestCase):
    def _check_resumed(self, record, history_loss, expected_record):
        # Epochs 2 and 3 only, at the stage and the rates of the uninterrupted run.
        self.assertLen(history_loss, EPOCHS - RESUMED_EPOCH)
        np.testing.assert_array_equal(record[:, :2], expected_record[RESUMED_EPOCH:, :2])
        np.testing.assert_allclose(record[:, 2:], expected_record[RESUMED_EPOCH:, 2:],
                                   rtol=1e-6)
        # The stages and rates really differ between epochs 1, 2 and 3.
        self.assertEqual(list(expected_record[:, 1]), [2, 4, 6, 6])
        self.assertEqual(len(set(expected_record[:, 4])), EPOCHS)

    def test_single_process_resume_restores_stage_rate_and_weights(self):
        expected_weights, expected_record = reference()
        backup = os.path.join(self.temp_dir(), "backup")
        with self.assertRaisesRegex(RuntimeError, "killed"):
            fit_worker.train(tf.distribute.get_strategy(), EPOCHS, **FIT, backup=backup,
                             kill_at_step=KILL_AT_STEP, kill_by_raising=True)
        with open(os.path.join(backup, "training_metadata.json")) as file:
            self.assertEqual(json.load(file)["epoch"], RESUMED_EPOCH)

        model, history, record = fit_worker.train(tf.distribute.get_strategy(), EPOCHS, **FIT,
                                                  backup=backup)
        self._check_resumed(np.asarray(record), history["loss"], expected_record)
        self.assertEqual(int(model.optimizer.iterations), EPOCHS * 4)
        for weight, expected in zip(model.get_weights(), expected_weights):
            np.testing.assert_array_equal(weight, expected)
        self.assertFalse(os.path.exists(backup))  # deleted once fit completes

    def test_non_chief_writes_a_temporary_copy_and_reads_the_chiefs(self):
        root = self.temp_dir()
        backup = os.path.join(root, "backup")
        written = []

        class Model:  # what Keras' BackupAndRestore uses of a model
            built, optimizer, _initial_epoch = True, None, None

            def __init__(self, strategy):
                self.distribute_strategy = strategy

            def save_weights(self, filepath, overwrite=True):
                written.append(filepath)
                os.makedirs(os.path.dirname(filepath), exist_ok=True)
                open(filepath, "w").close()

            def load_weights(self, filepath):
                written.append(("loaded", filepath))

        chief, worker = Model(_Strategy(WORKERS, "worker", 0)), Model(_Strategy(WORKERS, "worker", 1))
        callbacks = {}
        for name, model in (("chief", chief), ("worker", worker)):
            callbacks[name] = BackupAndRestore(backup)
            callbacks[name].set_model(model)
            callbacks[name].on_train_begin()  # nothing to restore yet
        for callback in callbacks.values():
            callback.on_epoch_end(0)
        temp = os.path.join(root, "workertemp_1", "backup")
        self.assertEqual(callbacks["worker"].write_dir, temp)
        self.assertEqual(written, [os.path.join(backup, "latest.weights.h5"),
                                   os.path.join(temp, "latest.weights.h5")])
        self.assertEqual(sorted(os.listdir(root)), ["backup"])  # the worker's copy is gone

        # A restart: both read the chief's files and start at its epoch.
        for name, model in (("chief", chief), ("worker", worker)):
            callbacks[name] = BackupAndRestore(backup)
            callbacks[name].set_model(model)
            callbacks[name].on_train_begin()
            self.assertEqual(model._initial_epoch, 1)
        self.assertEqual(written[2:], [("loaded", os.path.join(backup, "latest.weights.h5"))] * 2)
        callbacks["worker"].on_train_end()
        self.assertTrue(os.path.exists(backup))  # only the chief deletes the backup
        callbacks["chief"].on_train_end()
        self.assertFalse(os.path.exists(backup))

    def test_arguments(self):
        with self.assertRaisesRegex(ValueError, "`backup_dir` must be a folder path. "
                                                "Received: backup_dir=''"):
            BackupAndRestore("")
        with self.assertRaisesRegex(ValueError, "`save_freq` must be 'epoch' or an int >= 1. "
                                                "Received: save_freq=0"):
            BackupAndRestore("b", save_freq=0)
        callback = BackupAndRestore("b", save_freq=5, double_checkpoint=True)
        self.assertEqual(BackupAndRestore.from_config(callback.get_config()).get_config(),
                         {"backup_dir": "b", "save_freq": 5, "double_checkpoint": True,
                          "delete_checkpoint": True})

    @pytest.mark.large
    def test_two_workers_sigkill_mid_epoch_then_restart_all(self):
        out = self.temp_dir()
        backup = os.path.join(out, "backup")
        args = [WORKER, out, "--epochs", str(EPOCHS), "--optimizer", FIT["optimizer"],
                "--unfreezing", "--backup", backup]
        # Worker 1 SIGKILLs itself before global step 9; worker 0 then waits in
        # a collective op and is killed by run_workers, as a scheduler would.
        with self.assertRaisesRegex(AssertionError, "worker 1 of 2 exited with -9"):
            run_workers(args + ["--kill-at-step", str(KILL_AT_STEP)], 2, timeout=300)
        with open(os.path.join(backup, "training_metadata.json")) as file:
            self.assertEqual(json.load(file)["epoch"], RESUMED_EPOCH)
        self.assertEqual(sorted(os.listdir(out)), ["backup"])  # no worker copy left

        # Restart both workers (new ports): they resume from the chief's backup.
        run_workers(args, 2, timeout=300)
        expected_weights, expected_record = reference()
        results = [dict(np.load(os.path.join(out, f"result_{i}.npz"))) for i in range(2)]
        for result in results:
            self._check_resumed(result["record"], result["h_loss"], expected_record)
            for i, expected in enumerate(expected_weights):
                np.testing.assert_allclose(result[f"w{i}"], expected, atol=MULTI_WORKER_ATOL,
                                           rtol=0)
                np.testing.assert_array_equal(result[f"w{i}"], results[0][f"w{i}"])
        self.assertFalse(os.path.exists(backup))
