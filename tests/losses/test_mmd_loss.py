import json

import keras
import numpy as np

from keras_transfer.losses.mmd_loss import KERNEL_MULTIPLIERS, MMDLoss, mmd_loss
from keras_transfer.testing import TestCase


def mmd_reference(source, target, multipliers=KERNEL_MULTIPLIERS):
    """Biased multi-kernel MMD^2 in float64, from pairwise differences."""
    joint = np.concatenate([source, target]).astype(np.float64)
    distances = ((joint[:, None, :] - joint[None, :, :]) ** 2).sum(-1)
    base = distances.mean()
    kernel = sum(np.exp(-distances / (2 * m * base)) for m in multipliers)
    n = len(source)
    return kernel[:n, :n].mean() + kernel[n:, n:].mean() - 2 * kernel[:n, n:].mean()


class MMDLossTest(TestCase):
    def test_matches_numpy_reference(self):
        rng = np.random.default_rng(0)
        for source_rows, target_rows, width, shift in (
                (8, 8, 4, 0.0), (16, 10, 32, 0.5), (5, 7, 3, 2.0), (32, 32, 64, 0.1)):
            source = rng.normal(size=(source_rows, width)).astype("float32")
            target = (rng.normal(size=(target_rows, width)) * 1.5 + shift).astype("float32")
            expected = mmd_reference(source, target)
            self.assertAllClose(float(mmd_loss(source, target)), expected, atol=1e-5, rtol=0)
            multipliers = (0.5, 3.0)
            self.assertAllClose(float(mmd_loss(source, target, multipliers)),
                                mmd_reference(source, target, multipliers), atol=1e-5, rtol=0)

    def test_zero_for_identical_samples_and_grows_with_the_shift(self):
        rng = np.random.default_rng(1)
        source = rng.normal(size=(24, 8)).astype("float32")
        self.assertAllClose(float(mmd_loss(source, source)), 0.0, atol=1e-5)
        self.assertAllClose(float(mmd_loss(source, source[::-1])), 0.0, atol=1e-5)
        values = [float(mmd_loss(source, source + shift)) for shift in (0.25, 1.0, 4.0)]
        self.assertGreater(values[0], 1e-3)
        self.assertLess(values[0], values[1])
        self.assertLess(values[1], values[2])
        self.assertLessEqual(values[2], 2 * len(KERNEL_MULTIPLIERS))

    def test_loss_class_splits_rows_by_domain(self):
        rng = np.random.default_rng(2)
        features = rng.normal(size=(12, 5)).astype("float32")
        domain = np.array([0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0], "float32")
        features[domain == 1] += 1.0
        expected = mmd_reference(features[domain == 0], features[domain == 1])
        loss = MMDLoss()
        self.assertAllClose(float(loss(domain, features)), expected, atol=1e-5, rtol=0)
        self.assertAllClose(float(loss(domain[:, None], features, np.ones(12))), expected,
                            atol=1e-5, rtol=0)
        # One domain only: 0, not NaN.
        self.assertEqual(float(loss(np.zeros(12, "float32"), features)), 0.0)
        config = json.loads(json.dumps(keras.saving.serialize_keras_object(
            MMDLoss(kernel_multipliers=(1.0, 2.0)))))
        rebuilt = keras.saving.deserialize_keras_object(config)
        self.assertIsInstance(rebuilt, MMDLoss)
        self.assertEqual(rebuilt.kernel_multipliers, (1.0, 2.0))

    def test_rejects_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, r"`kernel_multipliers` must be a non-empty "
                                                r"list of finite numbers > 0. Received: "
                                                r"kernel_multipliers=\(1.0, -2.0\)"):
            mmd_loss(np.ones((2, 3)), np.ones((2, 3)), (1.0, -2.0))
        with self.assertRaisesRegex(ValueError, r"kernel_multipliers=\[\]"):
            MMDLoss(kernel_multipliers=[])
        with self.assertRaisesRegex(ValueError, r"`mmd_loss` takes `\[rows, features\]` "
                                                r"tensors. Received: target of shape \(2, 3, 1\)"):
            mmd_loss(np.ones((2, 3)), np.ones((2, 3, 1)))
        with self.assertRaisesRegex(ValueError, r"same width. Received shapes \(2, 3\) and "
                                                r"\(2, 4\)"):
            mmd_loss(np.ones((2, 3)), np.ones((2, 4)))
