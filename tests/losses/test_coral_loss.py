import json

import keras
import numpy as np

from keras_transfer.losses.coral_loss import CoralLoss, coral_loss
from keras_transfer.testing import TestCase


def coral_reference(source, target):
    """Sun & Saenko (2016), eq. 1-3, in float64 with NumPy's covariance."""
    width = source.shape[1]
    difference = (np.cov(source.astype(np.float64), rowvar=False)
                  - np.cov(target.astype(np.float64), rowvar=False))
    return (difference ** 2).sum() / (4 * width ** 2)


class CoralLossTest(TestCase):
    def test_matches_numpy_reference(self):
        rng = np.random.default_rng(0)
        for source_rows, target_rows, width in ((8, 8, 4), (16, 10, 32), (5, 7, 3), (64, 33, 16)):
            source = rng.normal(size=(source_rows, width)).astype("float32")
            target = (rng.normal(size=(target_rows, width)) * 2.0 + 0.5).astype("float32")
            self.assertAllClose(float(coral_loss(source, target)),
                                coral_reference(source, target), atol=1e-5, rtol=0)

    def test_zero_for_same_covariance_and_positive_otherwise(self):
        rng = np.random.default_rng(1)
        source = rng.normal(size=(20, 6)).astype("float32")
        # A shift leaves the covariance (and CORAL) unchanged; a scale does not.
        self.assertAllClose(float(coral_loss(source, source + 3.0)), 0.0, atol=1e-5)
        scaled = float(coral_loss(source, 2.0 * source))
        self.assertAllClose(scaled, coral_reference(source, 2.0 * source), atol=1e-5, rtol=0)
        self.assertGreater(scaled, 1e-3)
        # One row per side: covariances are 0, the loss stays finite.
        self.assertEqual(float(coral_loss(source[:1], source[1:2])), 0.0)

    def test_loss_class_splits_rows_by_domain(self):
        rng = np.random.default_rng(2)
        features = rng.normal(size=(12, 5)).astype("float32")
        domain = np.array([1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1], "float32")
        features[domain == 1] *= 3.0
        expected = coral_reference(features[domain == 0], features[domain == 1])
        self.assertAllClose(float(CoralLoss()(domain, features)), expected, atol=1e-5, rtol=0)
        self.assertEqual(float(CoralLoss()(np.ones(12, "float32"), features)), 0.0)
        config = json.loads(json.dumps(keras.saving.serialize_keras_object(CoralLoss())))
        self.assertIsInstance(keras.saving.deserialize_keras_object(config), CoralLoss)

    def test_rejects_bad_shapes(self):
        with self.assertRaisesRegex(ValueError, r"`coral_loss` takes `\[rows, features\]` "
                                                r"tensors. Received: source of shape \(3,\)"):
            coral_loss(np.ones(3), np.ones((2, 3)))
