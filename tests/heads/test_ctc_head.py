import keras
import numpy as np

from keras_transfer.heads.ctc_head import CTCHead
from keras_transfer.losses.ctc_loss import CTCLoss
from keras_transfer.testing import TestCase
from tests.speech.reference import ctc_negative_log_likelihood


class CTCHeadTest(TestCase):
    def test_shapes_upsampling_and_float32(self):
        head = CTCHead(7, upsample=3, dropout=0.1, dtype="mixed_bfloat16")
        logits = head(np.zeros((2, 5, 4), "float32"))
        self.assertEqual(tuple(logits.shape), (2, 15, 7))
        self.assertEqual(logits.dtype, "float32")
        self.assertEqual(head.compute_output_shape((2, 5, 4)), (2, 15, 7))

    def test_padded_frames_are_certain_blanks(self):
        keras.utils.set_random_seed(0)
        head = CTCHead(5)
        features = np.random.default_rng(0).normal(size=(2, 8, 3)).astype("float32")
        mask = np.zeros((2, 800), bool)
        mask[0, :300] = True  # 3 of 8 frames (ceil(8 * 300 / 800))
        mask[1] = True
        logits = keras.ops.convert_to_numpy(head(features, padding_mask=mask))
        free = keras.ops.convert_to_numpy(head(features))
        self.assertAllClose(logits[0, :3], free[0, :3])
        self.assertAllClose(logits[1], free[1])
        self.assertAllClose(logits[0, 3:], np.tile([0.0, -1e4, -1e4, -1e4, -1e4], (5, 1)))

    def test_loss_over_padded_logits_equals_loss_over_real_frames(self):
        keras.utils.set_random_seed(1)
        head = CTCHead(5)
        features = np.random.default_rng(1).normal(size=(1, 10, 3)).astype("float32")
        mask = np.zeros((1, 1000), bool)
        mask[0, :600] = True
        logits = keras.ops.convert_to_numpy(head(features, padding_mask=mask))
        loss = CTCLoss(reduction=None)(np.array([[1, 2, 2, 0]]), logits)
        real = ctc_negative_log_likelihood(logits[0, :6], [1, 2, 2])
        self.assertAllClose(loss, [real], atol=1e-4, rtol=0)

    def test_serialization_and_errors(self):
        self.run_layer_test(CTCHead, {"num_classes": 4, "upsample": 2},
                            np.zeros((2, 3, 5), "float32"), expected_output_shape=(2, 6, 4))
        with self.assertRaisesRegex(ValueError, "num_classes"):
            CTCHead(1)
        with self.assertRaisesRegex(ValueError, "upsample"):
            CTCHead(4, upsample=0)
