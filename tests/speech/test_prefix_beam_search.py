import itertools

import numpy as np

from keras_transfer.speech.character_ngram_model import CharacterNgramModel
from keras_transfer.speech.character_vocabulary import CharacterVocabulary
from keras_transfer.speech.decode_ctc import decode_ctc
from keras_transfer.speech.prefix_beam_search import prefix_beam_search
from keras_transfer.testing import TestCase
from tests.speech.reference import ctc_negative_log_likelihood, log_softmax


def labellings(characters, frames):
    for length in range(frames + 1):
        yield from ("".join(p) for p in itertools.product(characters, repeat=length))


class PrefixBeamSearchTest(TestCase):
    def test_wide_beam_finds_the_best_fused_score(self):
        # Every labelling of up to 5 characters over "ab", scored by the
        # reference CTC forward recursion and the LM: the search, with a beam
        # wide enough to keep every prefix, must return the argmax.
        vocabulary = CharacterVocabulary("ab")
        lm = CharacterNgramModel(["abba", "ab ab", "bab"], CharacterVocabulary("ab"), order=3)
        rng = np.random.default_rng(1)
        for alpha, beta in ((0.0, 0.0), (0.7, 0.3), (2.0, -0.5)):
            for _ in range(3):
                logits = rng.normal(size=(5, 3)) * 2
                scores = {text: -ctc_negative_log_likelihood(
                    logits, [vocabulary.characters.index(c) + 1 for c in text])
                    + alpha * lm.score(text) + beta * len(text)
                    for text in labellings("ab", 5)}
                best = max(scores, key=scores.get)
                found = prefix_beam_search(log_softmax(logits), "ab", lm, alpha, beta,
                                           beam_width=128, prune=0.0)
                self.assertEqual(found, best, (alpha, beta, scores[found], scores[best]))

    def test_alpha_zero_equals_plain_beam_search(self):
        vocabulary = CharacterVocabulary("abc")
        lm = CharacterNgramModel(["cab", "abc"], vocabulary, order=2)
        logits = (np.random.default_rng(2).normal(size=(8, 10, 4)) * 2).astype("float32")
        plain = decode_ctc(logits, vocabulary, "beam_search", beam_width=16)
        fused = decode_ctc(logits, vocabulary, "beam_search", beam_width=16,
                           language_model=lm, alpha=0.0, beta=0.0)
        self.assertEqual(fused, plain)
        self.assertNotEqual(len(set(plain)), 1)

    def test_language_model_changes_the_spelling(self):
        # Frames: c (0.9), then o 0.5 / a 0.4, then t (0.9); blank elsewhere.
        vocabulary = CharacterVocabulary("acot")
        probabilities = np.full((3, 5), 1e-3)
        probabilities[0, [0, 2]] = 0.1, 0.9
        probabilities[1, [0, 1, 3]] = 0.1, 0.4, 0.5
        probabilities[2, [0, 4]] = 0.1, 0.9
        logits = np.log(probabilities / probabilities.sum(1, keepdims=True))[None]
        self.assertEqual(decode_ctc(logits, vocabulary, "beam_search"), ["cot"])
        cats = CharacterNgramModel(["a cat", "cat", "the cat at a cat"], vocabulary, order=3)
        self.assertEqual(decode_ctc(logits, vocabulary, "beam_search", language_model=cats,
                                    alpha=1.0, beta=0.0), ["cat"])
        self.assertEqual(decode_ctc(logits, vocabulary, "beam_search", language_model=cats,
                                    alpha=0.0, beta=0.0), ["cot"])
        cots = CharacterNgramModel(["a cot", "cot", "to cot"], vocabulary, order=3)
        self.assertEqual(decode_ctc(logits, vocabulary, "beam_search", language_model=cots,
                                    alpha=1.0, beta=0.0), ["cot"])

    def test_decode_errors(self):
        vocabulary = CharacterVocabulary("ab")
        lm = CharacterNgramModel(["ab"], vocabulary)
        logits = np.zeros((1, 3, 3), "float32")
        with self.assertRaisesRegex(ValueError, "strategy='beam_search'"):
            decode_ctc(logits, vocabulary, language_model=lm)
        with self.assertRaisesRegex(ValueError, "same vocabulary"):
            decode_ctc(np.zeros((1, 3, 29), "float32"), None, "beam_search",
                       language_model=lm)
        with self.assertRaisesRegex(ValueError, "CharacterLanguageModel"):
            decode_ctc(logits, vocabulary, "beam_search", language_model=object())
        with self.assertRaisesRegex(ValueError, "alpha"):
            decode_ctc(logits, vocabulary, "beam_search", language_model=lm, alpha=-1.0)
