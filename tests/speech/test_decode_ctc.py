import numpy as np

from keras_transfer.speech.character_vocabulary import CharacterVocabulary
from keras_transfer.speech.decode_ctc import decode_ctc
from keras_transfer.testing import TestCase
from tests.speech.reference import ctc_negative_log_likelihood, greedy_decode


class DecodeCTCTest(TestCase):
    def test_greedy_matches_numpy_best_path(self):
        vocabulary = CharacterVocabulary("abc")
        logits = np.random.default_rng(0).normal(size=(6, 12, 4)).astype("float32") * 3
        expected = vocabulary.decode([(greedy_decode(row) + [0] * 12)[:12] for row in logits])
        self.assertEqual(decode_ctc(logits, vocabulary), expected)

    def test_beam_search_finds_the_more_probable_label(self):
        # Frame-wise best path is blank blank blank ("") but "a" sums more paths:
        # p(blank)=0.4, p(a)=0.35, p(b)=0.25 on each of 3 frames.
        vocabulary = CharacterVocabulary("ab")
        logits = np.log(np.tile([0.4, 0.35, 0.25], (1, 3, 1))).astype("float32")
        self.assertEqual(decode_ctc(logits, vocabulary), [""])
        beam = decode_ctc(logits, vocabulary, strategy="beam_search", beam_width=8)
        self.assertEqual(beam, ["a"])
        self.assertLess(ctc_negative_log_likelihood(logits[0], [1]),
                        ctc_negative_log_likelihood(logits[0], []))

    def test_errors(self):
        logits = np.zeros((1, 3, 4), "float32")
        with self.assertRaisesRegex(ValueError, "strategy"):
            decode_ctc(logits, CharacterVocabulary("abc"), strategy="viterbi")
        with self.assertRaisesRegex(ValueError, "4 classes"):
            decode_ctc(logits, CharacterVocabulary("ab"))
        with self.assertRaisesRegex(ValueError, "batch, frames"):
            decode_ctc(np.zeros((3, 4), "float32"), CharacterVocabulary("abc"))
