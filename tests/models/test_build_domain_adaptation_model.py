import shutil
import tempfile

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.callbacks.gradient_reversal_scheduler import GradientReversalScheduler
from keras_transfer.data.domain_adaptation_dataset import domain_adaptation_dataset
from keras_transfer.layers.gradient_reversal import GradientReversal
from keras_transfer.layers.hub_backbone import HubBackbone
from keras_transfer.losses.coral_loss import coral_loss
from keras_transfer.losses.mmd_loss import mmd_loss
from keras_transfer.models.build_domain_adaptation_model import build_domain_adaptation_model
from keras_transfer.models.extract_classifier import extract_classifier
from keras_transfer.testing import TestCase
from tests import savedmodels


def feature_model(width=4, units=8):
    return keras.Sequential([keras.Input((width,)),
                             keras.layers.Dense(units, activation="tanh", name="features")],
                            name="feature_model")


def domains(rows=64, width=4, shift=1.5, seed=0):
    """Source: label = x0 > 0; target: the same task, every feature shifted."""
    rng = np.random.default_rng(seed)
    source_x = rng.normal(size=(rows, width)).astype("float32")
    source_y = (source_x[:, 0] > 0).astype("int32")
    target_x = (rng.normal(size=(rows, width)) + shift).astype("float32")
    return source_x, source_y, target_x


def one_batch(batch_size=8):
    source_x, source_y, target_x = domains()
    data = domain_adaptation_dataset((source_x, source_y), target_x, batch_size=batch_size,
                                     shuffle=False)
    return next(iter(data))


def binary_crossentropy(labels, logits):
    return float(keras.losses.BinaryCrossentropy(from_logits=True)(labels, logits))


class BuildDomainAdaptationModelTest(TestCase):
    def test_dann_structure_and_outputs(self):
        model = build_domain_adaptation_model(feature_model(), 3, domain_units=(16, 8))
        self.assertEqual(model.name, "dann_model")
        self.assertIsInstance(model.get_layer("gradient_reversal"), GradientReversal)
        self.assertEqual([model.get_layer(n).units for n in ("domain_dense_0", "domain_dense_1")],
                         [16, 8])
        outputs = model.predict(np.zeros((5, 4), "float32"), verbose=0)
        self.assertEqual(sorted(outputs), ["domain", "label"])
        self.assertEqual(outputs["label"].shape, (5, 3))
        self.assertAllClose(outputs["label"].sum(-1), np.ones(5), atol=1e-6)
        self.assertEqual(outputs["domain"].shape, (5, 1))
        self.assertAllClose(float(model.optimizer.learning_rate), 1e-4)

    def test_label_loss_is_the_mean_over_source_rows(self):
        x, y, weights = one_batch()
        model = build_domain_adaptation_model(feature_model(), 2, domain_units=(4,),
                                              domain_loss_weight=0.5)
        result = model.evaluate(x, y, sample_weight=weights, batch_size=16, verbose=0,
                                return_dict=True)
        outputs = model.predict(x, verbose=0)
        probabilities = outputs["label"][:8]
        expected_label = -np.mean(np.log(probabilities[np.arange(8), y["label"][:8]]))
        expected_domain = binary_crossentropy(y["domain"], outputs["domain"])
        self.assertAllClose(result["label_loss"], expected_label, rtol=1e-5)
        self.assertAllClose(result["domain_loss"], expected_domain, rtol=1e-5)
        self.assertAllClose(result["loss"], expected_label + 0.5 * expected_domain, rtol=1e-5)
        # Domain accuracy: logit > 0 means target.
        expected_accuracy = np.mean((outputs["domain"][:, 0] > 0) == (y["domain"] > 0.5))
        self.assertAllClose(result["domain_accuracy"], expected_accuracy)

    def test_domain_loss_alone_moves_the_features_to_increase_it(self):
        """One SGD step on the domain loss: the head descends it, the features ascend it."""
        x, y, weights = one_batch()
        model = build_domain_adaptation_model(feature_model(), 2, domain_units=(),
                                              compile=False)
        model.get_layer("gradient_reversal").coefficient_variable.assign(0.5)
        dense, logit = model.get_layer("features"), model.get_layer("domain_logit")

        def domain_loss():
            return binary_crossentropy(y["domain"], logit(dense(x)))

        # The plain (not reversed) gradient, through the layers without the GRL.
        with tf.GradientTape() as tape:
            loss = keras.losses.BinaryCrossentropy(from_logits=True)(y["domain"],
                                                                     logit(dense(x)))
        plain = tape.gradient(loss, dense.trainable_weights)
        features_before = self.weights_snapshot(dense.trainable_weights)
        head_before = self.weights_snapshot(logit.trainable_weights)
        loss_before = domain_loss()

        model.compile(optimizer=keras.optimizers.SGD(0.1),
                      loss={"label": keras.losses.SparseCategoricalCrossentropy(),
                            "domain": keras.losses.BinaryCrossentropy(from_logits=True)},
                      loss_weights={"label": 0.0, "domain": 1.0})
        model.fit(x, y, sample_weight=weights, batch_size=16, epochs=1, shuffle=False,
                  verbose=0)

        # Gradient ascent on the features, scaled by the coefficient (exact up to rounding).
        for variable, old, grad in zip(dense.trainable_weights, features_before, plain):
            self.assertAllClose(variable.numpy(), old + 0.1 * 0.5 * grad.numpy(),
                                rtol=1e-5, atol=1e-7)
        features_after = self.weights_snapshot(dense.trainable_weights)
        head_after = self.weights_snapshot(logit.trainable_weights)
        # New features, old head: the domain loss went up ...
        for variable, old in zip(logit.trainable_weights, head_before):
            variable.assign(old)
        self.assertGreater(domain_loss(), loss_before)
        # ... old features, new head: it went down.
        for variable, old in zip(dense.trainable_weights, features_before):
            variable.assign(old)
        for variable, new in zip(logit.trainable_weights, head_after):
            variable.assign(new)
        self.assertLess(domain_loss(), loss_before)
        self.assertFalse(np.allclose(features_after[0], features_before[0]))

    def test_dann_fit_learns_the_labels(self):
        source_x, source_y, target_x = domains()
        data = domain_adaptation_dataset((source_x, source_y), target_x, batch_size=16)
        model = build_domain_adaptation_model(feature_model(units=16), 2, domain_units=(16,),
                                              dropout=0.0, learning_rate=0.02)
        scheduler = GradientReversalScheduler()
        history = model.fit(data, epochs=15, verbose=0, callbacks=[scheduler])
        self.assertEqual(len(history.history["domain_loss"]), 15)
        self.assertTrue(np.all(np.isfinite(history.history["domain_loss"])))
        self.assertAllClose(scheduler.coefficient, _dann(59 / 60), rtol=1e-6)
        self.assertLess(history.history["label_loss"][-1], 0.5 * history.history["label_loss"][0])
        classifier = extract_classifier(model)
        accuracy = classifier.evaluate(source_x, source_y, verbose=0)[1]
        self.assertGreater(accuracy, 0.9)

    def test_mmd_and_coral_losses_are_wired_to_the_features(self):
        x, y, weights = one_batch()
        for method, reference in (("mmd", mmd_loss), ("coral", coral_loss)):
            model = build_domain_adaptation_model(feature_model(), 2, method=method,
                                                  domain_loss_weight=0.5)
            self.assertEqual(model.name, f"{method}_model")
            self.assertEmpty([layer for layer in model.layers
                              if isinstance(layer, GradientReversal)])
            features = model.predict(x, verbose=0)["domain"]
            self.assertEqual(features.shape, (16, 8))
            expected = float(reference(features[:8], features[8:]))
            self.assertGreater(expected, 0.0)
            result = model.evaluate(x, y, sample_weight=weights, batch_size=16, verbose=0,
                                    return_dict=True)
            self.assertAllClose(result["domain_loss"], expected, rtol=1e-5, atol=1e-7)
            self.assertAllClose(result["loss"], result["label_loss"] + 0.5 * expected,
                                rtol=1e-5)

    def test_mmd_training_brings_the_domains_together(self):
        source_x, source_y, target_x = domains()
        data = domain_adaptation_dataset((source_x, source_y), target_x, batch_size=16)
        model = build_domain_adaptation_model(feature_model(), 2, method="mmd",
                                              learning_rate=0.02)
        history = model.fit(data, epochs=8, verbose=0)
        losses = history.history["domain_loss"]
        self.assertLess(losses[-1], 0.6 * losses[0])
        self.assertLess(history.history["label_loss"][-1], history.history["label_loss"][0])

    def test_saved_and_loaded(self):
        x, y, weights = one_batch()
        for method in ("dann", "mmd"):
            model = build_domain_adaptation_model(feature_model(), 2, method=method,
                                                  domain_units=(4,))
            model.fit(x, y, sample_weight=weights, batch_size=16, verbose=0)
            reloaded = self.run_serialization_test(model, x)
            before = model.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=True)
            after = reloaded.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=True)
            self.assertAllClose(after["loss"], before["loss"], rtol=1e-5)

    def test_from_a_savedmodel_handle(self):
        root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, root, ignore_errors=True)
        path = savedmodels.image_feature_vector(root)
        model = build_domain_adaptation_model(path, 3, modality="image", image_size=8,
                                              domain_units=(4,), trainable=False)
        self.assertIsInstance(model.get_layer("backbone"), HubBackbone)
        images = savedmodels.images(n=2) * 255.0
        outputs = model.predict(images, verbose=0)
        self.assertEqual(outputs["label"].shape, (2, 3))
        self.assertEqual(outputs["domain"].shape, (2, 1))
        self.assertEqual(model.get_layer("domain_dense_0").kernel.shape, (5, 4))
        classifier = extract_classifier(model)
        self.assertEqual([layer.name for layer in classifier.layers],
                         ["images", "preprocessing", "backbone", "head"])

    def test_rejects_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, r"`method` must be one of \['dann', 'mmd', "
                                                r"'coral'\]. Received: method='dan'"):
            build_domain_adaptation_model(feature_model(), 2, method="dan")
        with self.assertRaisesRegex(ValueError, r"`num_classes` must be an integer >= 2"):
            build_domain_adaptation_model(feature_model(), 1)
        with self.assertRaisesRegex(ValueError, r"`domain_loss_weight` must be a finite "
                                                r"number >= 0"):
            build_domain_adaptation_model(feature_model(), 2, domain_loss_weight=-1.0)
        with self.assertRaisesRegex(ValueError, r"`domain_units` must be an integer >= 1 "
                                                r"\(each width; got \[8, 0\]\)"):
            build_domain_adaptation_model(feature_model(), 2, domain_units=(8, 0))
        with self.assertRaisesRegex(ValueError, r"`domain_units` must be a list"):
            build_domain_adaptation_model(feature_model(), 2, domain_units=8)
        maps = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Conv2D(2, 3)],
                                name="maps")
        with self.assertRaisesRegex(ValueError, r"features must be `\[batch, d\]`. Received: "
                                                r"model 'maps''s output of shape "
                                                r"\(None, 2, 2, 2\). Pool or flatten"):
            build_domain_adaptation_model(maps, 2)
        with self.assertRaisesRegex(ValueError, r"builder options apply to a registry name"):
            build_domain_adaptation_model(feature_model(), 2, image_size=8)
        with self.assertRaisesRegex(ValueError, r"together with `modality=` \(\['image', "
                                                r"'text', 'audio'\]\). Received: "
                                                r"backbone='/no/such/model'"):
            build_domain_adaptation_model("/no/such/model", 2)
        with self.assertRaisesRegex(ValueError, r"without known inputs"):
            build_domain_adaptation_model(keras.Sequential([keras.layers.Dense(2)]), 2)


def _dann(progress):
    return 2 / (1 + np.exp(-10 * progress)) - 1
