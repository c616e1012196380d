import keras
import numpy as np

from keras_transfer.losses.ctc_loss import CTCLoss
from keras_transfer.testing import TestCase
from tests.speech.reference import ctc_negative_log_likelihood


class CTCLossTest(TestCase):
    def test_matches_numpy_forward_recursion(self):
        rng = np.random.default_rng(0)
        logits = rng.normal(size=(3, 9, 6)).astype("float32") * 2.0
        labels = [[1, 2, 2], [5], [3, 1, 4, 1]]
        padded = np.zeros((3, 5), np.int32)
        for i, label in enumerate(labels):
            padded[i, :len(label)] = label
        per_example = CTCLoss(reduction=None)(padded, logits)
        expected = [ctc_negative_log_likelihood(logits[i], labels[i]) for i in range(3)]
        self.assertAllClose(per_example, expected, atol=1e-4, rtol=0)
        self.assertAllClose(float(CTCLoss()(padded, logits)), np.mean(expected),
                            atol=1e-4, rtol=0)

    def test_label_padding_sets_the_length(self):
        rng = np.random.default_rng(1)
        logits = rng.normal(size=(1, 7, 4)).astype("float32")
        short = CTCLoss(reduction=None)(np.array([[1, 2, 0, 0]]), logits)
        longer = CTCLoss(reduction=None)(np.array([[1, 2, 3, 0]]), logits)
        self.assertAllClose(short, [ctc_negative_log_likelihood(logits[0], [1, 2])],
                            atol=1e-4, rtol=0)
        self.assertNotAllClose(short, longer)

    def test_config_round_trip(self):
        loss = CTCLoss(name="ctc")
        config = keras.saving.serialize_keras_object(loss)
        self.assertEqual(config["registered_name"], "keras_transfer>CTCLoss")
        self.assertEqual(keras.saving.deserialize_keras_object(config).name, "ctc")
