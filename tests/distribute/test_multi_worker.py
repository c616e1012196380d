"""`enable_multi_worker_fit`: real clusters of worker processes on 127.0.0.1.

Each cluster test trains `fit_worker.py`'s tiny Dense model (fixed initial
weights, no dropout, one fixed `tf.data` order, global batch 12, Adam) in N
worker processes, and the same model in this process with the default
strategy. The final weights must agree within `ATOL`: the only difference
is the order of float32 sums (each worker's half-batch gradient is
all-reduced instead of one 12-row reduction), measured at <= 6e-8 on this
model. Every worker must end with bit-identical weights (mirrored variables
get the same all-reduced update).
"""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_transfer
from keras_transfer.distribute.multi_worker import is_multi_worker
from keras_transfer.testing import TestCase
from keras_transfer.testing.workers import run_workers
from tests.distribute import fit_worker

WORKER = os.path.join(os.path.dirname(__file__), "fit_worker.py")
ATOL = 1e-6  # float32 summation order; measured max difference 6e-8
RTOL_LOGS = 1e-5


class MultiWorkerFitTest(TestCase):
    def _cluster(self, num_workers, *flags, epochs=2, timeout=240):
        out = self.temp_dir()
        run_workers([WORKER, out, "--epochs", str(epochs), *flags], num_workers,
                    timeout=timeout)
        return out, [dict(np.load(os.path.join(out, f"result_{i}.npz")))
                     for i in range(num_workers)]

    def _check_against_single_process(self, results, epochs, **kwargs):
        model, history, _ = fit_worker.train(tf.distribute.get_strategy(), epochs, **kwargs)
        expected = model.get_weights()
        initial = fit_worker.build(tf.distribute.get_strategy(), "adam").get_weights()
        for result in results:
            self.assertEqual(int(result["replicas"]), len(results))
            for i, weight in enumerate(expected):
                # Training moved the weights, and the cluster moved them the same way.
                self.assertGreater(np.abs(weight - initial[i]).max(), 1e-3)
                np.testing.assert_allclose(result[f"w{i}"], weight, atol=ATOL, rtol=0)
                np.testing.assert_array_equal(result[f"w{i}"], results[0][f"w{i}"])
            for key, values in history.items():
                np.testing.assert_allclose(result[f"h_{key}"], values, rtol=RTOL_LOGS)
            np.testing.assert_allclose(
                result["evaluate"], model.evaluate(fit_worker.dataset(), verbose=0),
                rtol=RTOL_LOGS)

    def test_two_workers_match_one_process_and_only_chief_writes(self):
        out, results = self._cluster(2, "--save")
        self._check_against_single_process(results, epochs=2)
        self.assertEqual([bool(r["chief"]) for r in results], [True, False])
        chief_path = os.path.join(out, "model.keras")
        self.assertEqual(str(results[0]["saved_to"]), chief_path)
        self.assertEqual(str(results[1]["saved_to"]),
                         os.path.join(out, "workertemp_1", "model.keras"))
        loaded = keras.saving.load_model(chief_path)
        for i, weight in enumerate(loaded.get_weights()):
            np.testing.assert_array_equal(weight, results[0][f"w{i}"])

    @pytest.mark.large
    def test_three_workers_longer(self):
        _, results = self._cluster(3, epochs=4, timeout=400)
        self._check_against_single_process(results, epochs=4)

    @pytest.mark.large
    def test_discriminative_optimizer_and_progressive_unfreezing(self):
        _, results = self._cluster(2, "--optimizer", "discriminative", "--unfreezing",
                                   epochs=3)
        self._check_against_single_process(results, epochs=3, optimizer="discriminative",
                                           unfreezing=True)

    @pytest.mark.large
    def test_plain_keras_still_fails(self):
        # The day this passes, keras-team/keras#20585 is fixed and
        # keras_transfer.distribute.keras_trainer_hooks can go.
        with self.assertRaisesRegex(AssertionError, "PerReplica"):
            self._cluster(2, "--no-compat", epochs=1)


class EnableMultiWorkerFitTest(TestCase):
    def _model(self):
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile("sgd", "mse")
        return model

    def test_no_op_without_a_cluster(self):
        model = self._model()
        step = model.train_step
        self.assertIs(keras_transfer.enable_multi_worker_fit(model), model)
        self.assertEqual(model.train_step, step)
        self.assertFalse(hasattr(model, "_keras_transfer_multi_worker_hooks"))

    def test_no_op_under_mirrored_strategy(self):
        strategy = self.mirrored_strategy()
        self.assertFalse(is_multi_worker(strategy))
        with strategy.scope():
            model = self._model()
        keras_transfer.enable_multi_worker_fit(model)
        self.assertFalse(hasattr(model, "_keras_transfer_multi_worker_hooks"))
        history = model.fit(np.ones((8, 2), "float32"), np.ones((8, 1), "float32"),
                            batch_size=4, epochs=1, verbose=0)
        self.assertLen(history.history["loss"], 1)

    def test_rejects_non_models(self):
        with self.assertRaisesRegex(ValueError, r"`model` must be a `keras.Model`. Received: "
                                                r"model='dense'"):
            keras_transfer.enable_multi_worker_fit("dense")
