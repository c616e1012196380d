import numpy as np

from keras_transfer.data.pad_speech import pad_speech
from keras_transfer.testing import TestCase


class PadSpeechTest(TestCase):
    def test_pads_and_masks(self):
        out = pad_speech([np.ones(3), np.full(5, 0.5)], 5)
        self.assertAllEqual(out["waveform"], [[1, 1, 1, 0, 0], [0.5] * 5])
        self.assertAllEqual(out["padding_mask"], [[1, 1, 1, 0, 0], [1] * 5])
        self.assertEqual(out["waveform"].dtype, np.float32)
        with self.assertRaisesRegex(ValueError, "more than max_samples=5"):
            pad_speech([np.ones(6)], 5)
        with self.assertRaisesRegex(ValueError, "1-D and non-empty"):
            pad_speech([np.ones((2, 2))], 5)
