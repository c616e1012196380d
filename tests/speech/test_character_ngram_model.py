import numpy as np

from keras_transfer.speech.character_ngram_model import CharacterNgramModel
from keras_transfer.speech.character_vocabulary import CharacterVocabulary
from keras_transfer.testing import TestCase


class CharacterNgramModelTest(TestCase):
    def test_unigram_by_hand(self):
        # Tokens a, b, end: counts 2, 1, 2 of 5; one count of 1 and two of 2
        # give D = 1 / (1 + 2 * 2) = 0.2; P(a) = 1.8 / 5 + 0.2 * 3 / 5 / 3.
        lm = CharacterNgramModel(["ab", "a"], CharacterVocabulary("ab"), order=1)
        self.assertAllClose(lm.discounts[1], 0.2)
        self.assertAllClose(np.exp(lm.log_probabilities(["", "ba"])),
                            [[0.4, 0.2, 0.4]] * 2, atol=1e-12)

    def test_bigram_kneser_ney_by_hand(self):
        # Bigrams (start a 2, a b 1, a end 1, b end 1): D2 = 3 / (3 + 2) = 0.6.
        # Continuation counts of a, b, end: 1, 1, 2: D1 = 2 / (2 + 2) = 0.5,
        # P1 = (0.25, 0.25, 0.5).
        lm = CharacterNgramModel(["ab", "a"], CharacterVocabulary("ab"), order=2)
        self.assertAllClose(lm.discounts[1:], [0.5, 0.6])
        rows = np.exp(lm.log_probabilities(["", "a", "bb"]))
        self.assertAllClose(rows, [[0.775, 0.075, 0.15],   # after the start
                                   [0.15, 0.35, 0.5],      # after a
                                   [0.15, 0.15, 0.7]],     # after b
                            atol=1e-12)
        self.assertAllClose(lm.score("AB!"), np.log(0.775 * 0.35 * 0.7))

    def test_rows_are_distributions_and_follow_the_text(self):
        sentences = ["the cat sat on the mat", "a cat is not a dog", "the dog sat"]
        for order in (1, 3, 6):
            lm = CharacterNgramModel(sentences, order=order)
            rows = lm.log_probabilities(["", "the c", "zzzz", "a cat is not a dog"])
            self.assertEqual(rows.shape, (4, 29))
            self.assertAllClose(np.exp(rows).sum(axis=1), np.ones(4), atol=1e-12)
        characters = CharacterVocabulary().characters
        row = lm.log_probabilities(["the c"])[0]
        self.assertEqual(characters[int(np.argmax(row))], "a")
        self.assertGreater(lm.score("the cat sat"), lm.score("the cot sat") + 3)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "order"):
            CharacterNgramModel(["a"], order=0)
        with self.assertRaisesRegex(ValueError, "at most 12"):
            CharacterNgramModel(["a"], order=13)
        with self.assertRaisesRegex(ValueError, "not one str"):
            CharacterNgramModel("the cat")
        with self.assertRaisesRegex(ValueError, "no sentence"):
            CharacterNgramModel(["123", "!"])
        with self.assertRaisesRegex(ValueError, "'Z'"):
            CharacterNgramModel(["a cat"]).log_probabilities(["zebZ"])
        with self.assertRaisesRegex(ValueError, "CharacterVocabulary"):
            CharacterNgramModel(["a cat"], vocabulary="abc")
