import keras

from keras_transfer.metrics.word_error_rate import WordErrorRate
from keras_transfer.speech.character_vocabulary import CharacterVocabulary
from keras_transfer.testing import TestCase
from tests.metrics.test_character_error_rate import logits_spelling
from tests.speech.reference import error_rates


class WordErrorRateTest(TestCase):
    def test_matches_edit_distance_reference(self):
        vocabulary = CharacterVocabulary()
        references = ["he was not an ill disposed young man", "had he married",
                      "see it debate it"]
        hypotheses = ["he was not an illness those young man", "had he married",
                      "see it it debate"]
        paths = [[c for ch in h for c in (vocabulary.characters.index(ch) + 1, 0)]
                 for h in hypotheses]
        metric = WordErrorRate(vocabulary.characters)
        metric.update_state(vocabulary.encode(references),
                            logits_spelling(paths, vocabulary.num_classes))
        _, wer = error_rates(references, hypotheses)
        self.assertAllClose(float(metric.result()), wer, atol=1e-6)
        self.assertAllClose(wer, 4 / 15, atol=1e-9)

    def test_config_and_errors(self):
        metric = WordErrorRate("ab ")
        restored = keras.saving.deserialize_keras_object(
            keras.saving.serialize_keras_object(metric))
        self.assertEqual(restored.characters, "ab ")
        with self.assertRaisesRegex(ValueError, "characters"):
            WordErrorRate("")
