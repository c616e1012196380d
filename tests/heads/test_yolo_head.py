import math

import numpy as np
import pytest

from keras_transfer.heads.yolo_head import YoloHead
from keras_transfer.testing import TestCase


class YoloHeadTest(TestCase):
    def test_layer(self):
        """Shape, float32 outputs, weights, round trips, and one SGD step moves them all."""
        x = np.random.default_rng(0).normal(size=(2, 3, 3, 8)).astype("float32")
        self.run_layer_test(
            YoloHead, {"anchors": [[1.0, 1.0], [2.0, 3.0]], "num_classes": 3, "filters": 4},
            x, expected_output_shape=(2, 3, 3, 16), expected_output_dtype="float32",
            expected_num_trainable_weights=5, expected_num_non_trainable_weights=2,
            run_training_check=True)

    def test_objectness_prior_and_one_class_layout(self):
        head = YoloHead([[1.0, 1.0], [2.0, 2.0]], num_classes=1, objectness_prior=0.2)
        out = head(np.zeros((1, 2, 2, 4), "float32")).numpy()

        self.assertEqual(out.shape, (1, 2, 2, 10))  # no class logits for one class
        prior = math.log(0.2 / 0.8)
        np.testing.assert_allclose(out[0, 0, 0], [0, 0, 0, 0, prior] * 2, atol=1e-6)

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match="`objectness_prior` must be"):
            YoloHead([[1.0, 1.0]], 2, objectness_prior=1.0)
        with pytest.raises(ValueError, match="`anchors` must be a non-empty sequence"):
            YoloHead([], 2)
