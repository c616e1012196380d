"""DiscriminativeLR: installs per-group rates in `set_model`, leaves a chosen optimizer alone."""

import json
import sys

import keras
import numpy as np

from keras_transfer.callbacks.discriminative_lr import DiscriminativeLR
from keras_transfer.optimizers.discriminative import discriminative_optimizer
from keras_transfer.optimizers.discriminative_optimizer import DiscriminativeOptimizer
from keras_transfer.testing import TestCase


def three_group_model(optimizer):
    """Groups `block1`, `block2`, `top` (the `predictions` head), compiled."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,))
    x = keras.layers.Dense(8, name="block1_dense")(inputs)
    x = keras.layers.Dense(8, name="block2_dense")(x)
    outputs = keras.layers.Dense(2, name="predictions")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer, "sparse_categorical_crossentropy")
    return model


def data():
    rng = np.random.default_rng(0)
    return rng.random((8, 6), dtype=np.float32), np.arange(8) % 2


class DiscriminativeLRTest(TestCase):
    def test_set_model_installs_per_group_rates_by_decay(self):
        model = three_group_model(keras.optimizers.SGD(0.1, momentum=0.5))
        DiscriminativeLR(decay=2.0, verbose=0).set_model(model)
        optimizer = model.optimizer
        self.assertIsInstance(optimizer, DiscriminativeOptimizer)
        self.assertAllClose(optimizer.group_learning_rates(),
                            {"block1": 0.025, "block2": 0.05, "top": 0.1, "default": 0.1})
        # Every group copies the compiled optimizer's class and settings.
        for name, group in optimizer.get_group_optimizers().items():
            self.assertIsInstance(group, keras.optimizers.SGD, name)
            self.assertAllClose(group.momentum, 0.5)

    def test_learning_rates_and_lr_range(self):
        model = three_group_model(keras.optimizers.Adam(1.0))
        DiscriminativeLR(learning_rates=[1e-4, 1e-3, 1e-2], verbose=0).set_model(model)
        self.assertAllClose(model.optimizer.group_learning_rates(),
                            {"block1": 1e-4, "block2": 1e-3, "top": 1e-2, "default": 1e-2})
        model = three_group_model(keras.optimizers.Adam(1.0))
        DiscriminativeLR(lr_range=(1e-5, 1e-3), verbose=0).set_model(model)
        self.assertAllClose(model.optimizer.group_learning_rates(),
                            {"block1": 1e-5, "block2": 1e-4, "top": 1e-3, "default": 1e-3})

    def test_fit_applies_the_rates_and_records_them(self):
        model = three_group_model(keras.optimizers.SGD(0.1))
        before = {name: model.get_layer(name).kernel.numpy().copy()
                  for name in ("block1_dense", "block2_dense", "predictions")}
        callback = DiscriminativeLR(learning_rates=[0.0, 0.05, 0.1], verbose=0)
        model.fit(*data(), epochs=2, batch_size=8, verbose=0, callbacks=[callback])
        moved = {name: float(np.abs(model.get_layer(name).kernel.numpy() - old).max())
                 for name, old in before.items()}
        self.assertEqual(moved["block1_dense"], 0.0)  # its group's rate is 0
        self.assertGreater(moved["block2_dense"], 0.0)
        self.assertGreater(moved["predictions"], 0.0)
        self.assertEqual([entry["epoch"] for entry in callback.history], [0, 1])
        self.assertAllClose(callback.history[-1], {"epoch": 1, "block1": 0.0, "block2": 0.05,
                                                   "top": 0.1, "default": 0.1})

    def test_explicit_groups_and_loss_scaling_are_kept(self):
        model = three_group_model(
            keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1)))
        DiscriminativeLR(decay=10.0, groups=[("body", "block"), ("head", "predictions")],
                         verbose=0).set_model(model)
        self.assertIsInstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
        inner = model.optimizer.inner_optimizer
        self.assertIsInstance(inner, DiscriminativeOptimizer)
        self.assertAllClose(inner.group_learning_rates(),
                            {"body": 0.01, "head": 0.1, "default": 0.1})

    def test_respects_a_discriminative_optimizer_already_compiled(self):
        model = three_group_model("sgd")
        chosen = discriminative_optimizer(model, keras.optimizers.SGD(0.2),
                                          learning_rates=[0.02, 0.1, 0.2])
        model.compile(chosen, "sparse_categorical_crossentropy")
        DiscriminativeLR(decay=2.0, verbose=0).set_model(model)
        self.assertIs(model.optimizer, chosen)
        self.assertAllClose(chosen.group_learning_rates(),
                            {"block1": 0.02, "block2": 0.1, "top": 0.2, "default": 0.2})

    def test_refuses_an_optimizer_that_has_taken_steps(self):
        model = three_group_model(keras.optimizers.SGD(0.1))
        x, y = data()
        model.train_on_batch(x, y)
        with self.assertRaisesRegex(ValueError, r"already taken 1 steps; DiscriminativeLR must "
                                                r"install its per-group optimizer before"):
            DiscriminativeLR(decay=2.0, verbose=0).set_model(model)

    def test_prints_the_rates_with_verbose(self):
        model = three_group_model(keras.optimizers.SGD(0.1))
        with self.captureWritesToStream(sys.stdout) as captured:
            DiscriminativeLR(decay=2.0).set_model(model)
        self.assertEqual(captured.contents(),
                         "DiscriminativeLR: block1=0.025, block2=0.05, top=0.1\n")

    def test_config_round_trip(self):
        callback = DiscriminativeLR(learning_rates=[0.01, 0.1],
                                    groups=[("body", "block"), ("head", "predictions")],
                                    verbose=0)
        config = callback.get_config()
        self.assertEqual(config, {"decay": None, "learning_rates": [0.01, 0.1], "lr_range": None,
                                  "groups": [("body", "block"), ("head", "predictions")],
                                  "verbose": 0})
        # Callbacks are not Keras-deserializable (`keras.callbacks.Callback` has
        # no `from_config`): the config is the init arguments, through JSON.
        rebuilt = DiscriminativeLR(**json.loads(json.dumps(config)))
        self.assertEqual(json.dumps(rebuilt.get_config()), json.dumps(config))
        # The rebuilt callback (groups now JSON lists) installs the same rates.
        model = three_group_model(keras.optimizers.SGD(0.5))
        rebuilt.set_model(model)
        self.assertAllClose(model.optimizer.group_learning_rates(),
                            {"body": 0.01, "head": 0.1, "default": 0.1})

    def test_bad_arguments_name_the_argument(self):
        with self.assertRaisesRegex(ValueError, r"Received: decay=0.5"):
            DiscriminativeLR(decay=0.5)
        with self.assertRaisesRegex(ValueError, r"Pass only one of `decay`, `learning_rates` or "
                                                r"`lr_range`"):
            DiscriminativeLR(decay=2.0, lr_range=(1e-4, 1e-3))
        model = three_group_model(keras.optimizers.SGD(0.1))
        with self.assertRaisesRegex(ValueError, r"`learning_rates` must have one rate per group "
                                                r"\(3: \['block1', 'block2', 'top'\]\)"):
            DiscriminativeLR(learning_rates=[0.1, 0.2], verbose=0).set_model(model)
