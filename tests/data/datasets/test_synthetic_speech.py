import numpy as np

from keras_transfer.data.datasets import synthetic_speech
from keras_transfer.data.datasets.spoken_words import espeak_binary
from keras_transfer.testing import TestCase, require

SENTENCES = ["The film is a quiet triumph.", "See it. Debate it. Remember it.",
             "A worthwhile way to spend two hours.", "Only 2 stars.",
             "Too short", "It is dull, dreary and far too long."]


def have_espeak():
    try:
        espeak_binary()
        return True
    except RuntimeError:
        return False


class SyntheticSpeechTest(TestCase):
    def test_sentence_filter_and_disjoint_voices(self):
        kept = synthetic_speech.select_sentences(SENTENCES + ["The film is a quiet triumph!"])
        self.assertEqual([t for _, t in kept], [
            "the film is a quiet triumph", "see it debate it remember it",
            "a worthwhile way to spend two hours", "it is dull dreary and far too long"])
        train, test = synthetic_speech.speakers("train"), synthetic_speech.speakers("test")
        self.assertEqual((len(train), len(test)), (8 * 40, 8 * 14))
        self.assertFalse({v for _, v in train} & {v for _, v in test})

    def test_synthesizes_deterministically_with_noise(self):
        require(have_espeak(), "espeak-ng is not installed")
        waveforms, texts = synthetic_speech.load_synthetic_speech(
            "test", num_examples=3, seed=5, snr_db=10.0, max_seconds=6.0,
            sentences=SENTENCES)
        again, texts_again = synthetic_speech.load_synthetic_speech(
            "test", num_examples=3, seed=5, snr_db=10.0, max_seconds=6.0,
            sentences=SENTENCES)
        self.assertEqual(texts, texts_again)
        self.assertEqual(len(set(texts)), 3)
        for w, w2, text in zip(waveforms, again, texts):
            self.assertAllEqual(w, w2)
            self.assertEqual(w.dtype, np.float32)
            self.assertBetween(len(w) / 16000, 0.2 * len(text.split()), 6.0)
            self.assertLessEqual(float(np.abs(w).max()), 1.0)
            self.assertGreater(float(np.abs(w[:400]).mean()), 0.0)  # noise in the lead-in

    def test_output_is_bounded(self):
        require(have_espeak(), "espeak-ng is not installed")
        binary = espeak_binary()
        short = synthetic_speech.synthesize(binary, "hello there", "en-us", "m3", 170, 50, 3.0)
        self.assertGreater(len(short), 0.3 * 22050)
        long = " ".join(["remember it"] * 40)
        self.assertIsNone(synthetic_speech.synthesize(binary, long, "en-us", "m3", 170, 50, 1.0))
        with self.assertRaisesRegex(ValueError, "fit in max_seconds"):
            synthetic_speech.load_synthetic_speech(
                "train", num_examples=2, max_seconds=0.5, sentences=SENTENCES)
