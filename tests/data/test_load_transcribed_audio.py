import tempfile
from pathlib import Path

import numpy as np
import tensorflow as tf

from keras_transfer.data.load_transcribed_audio import load_transcribed_audio
from keras_transfer.testing import TestCase


def wav(path, samples, rate):
    data = tf.audio.encode_wav(tf.constant(samples, tf.float32)[:, None], rate)
    Path(path).write_bytes(data.numpy())
    return str(path)


class LoadTranscribedAudioTest(TestCase):
    def test_decodes_resamples_and_bounds_duration(self):
        root = Path(tempfile.mkdtemp())
        t = np.arange(8000) / 8000
        a = wav(root / "a.wav", 0.5 * np.sin(2 * np.pi * 440 * t), 8000)
        b = wav(root / "b.wav", np.zeros(1600), 16000)
        waveforms, texts = load_transcribed_audio([(a, "tone"), (b, "silence")])
        self.assertEqual(texts, ["tone", "silence"])
        self.assertEqual([len(w) for w in waveforms], [16000, 1600])
        self.assertAllClose(waveforms[0][4000:4100],
                            0.5 * np.sin(2 * np.pi * 440 * np.arange(4000, 4100) / 16000),
                            atol=2e-3)
        with self.assertRaisesRegex(ValueError, "more than max_seconds=0.5"):
            load_transcribed_audio([(a, "tone")], max_seconds=0.5)
