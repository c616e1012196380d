import numpy as np

from keras_transfer.speech.character_vocabulary import CharacterVocabulary
from keras_transfer.testing import TestCase


class CharacterVocabularyTest(TestCase):
    def test_normalize_encode_decode(self):
        vocabulary = CharacterVocabulary()
        self.assertEqual(vocabulary.num_classes, 29)
        self.assertEqual(vocabulary.normalize("  Mr. Dashwood's ill-disposed  Café!"),
                         "mr dashwood's ill disposed cafe")
        ids = vocabulary.encode(["He was", "a b"], max_length=8)
        self.assertAllEqual(ids, [[10, 7, 1, 25, 3, 21, 0, 0], [3, 1, 4, 0, 0, 0, 0, 0]])
        self.assertEqual(vocabulary.decode(ids), ["he was", "a b"])
        # blanks (0) and padding (-1) are skipped
        self.assertEqual(vocabulary.decode(np.array([[-1, 10, 0, 7]])), ["he"])

    def test_custom_characters_and_errors(self):
        vocabulary = CharacterVocabulary("ab")
        self.assertEqual(vocabulary.normalize("A c B"), "ab")
        self.assertEqual(CharacterVocabulary.from_config(vocabulary.get_config()).characters,
                         "ab")
        with self.assertRaisesRegex(ValueError, "repeated"):
            CharacterVocabulary("aa")
        with self.assertRaisesRegex(ValueError, "no character"):
            vocabulary.encode(["123"])
        with self.assertRaisesRegex(ValueError, "max_length=1"):
            vocabulary.encode(["ab"], max_length=1)
        with self.assertRaisesRegex(ValueError, "not one str"):
            vocabulary.encode("ab")
        with self.assertRaisesRegex(ValueError, "outside the vocabulary"):
            vocabulary.decode([[3]])
