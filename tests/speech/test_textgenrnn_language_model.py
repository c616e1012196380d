import numpy as np

from keras_transfer.language_models.encode_chars import encode_chars
from keras_transfer.speech.character_vocabulary import CharacterVocabulary
from keras_transfer.speech.textgenrnn_language_model import TextgenrnnLanguageModel
from keras_transfer.testing import TestCase, require
from tests.language_models.tiny import VOCAB, fixed_model, random_model


class TextgenrnnLanguageModelTest(TestCase):
    def test_maps_the_model_output_onto_the_vocabulary(self):
        # Indices: padding 0.1, <s> 0.2, a 0.3, b 0.25, c 0.15. The vocabulary
        # "ab" keeps a, b and the end (<s>): 0.3, 0.25, 0.2 out of 0.75.
        model = fixed_model([0.1, 0.2, 0.3, 0.25, 0.15])
        lm = TextgenrnnLanguageModel(model, VOCAB, CharacterVocabulary("ab"))
        self.assertAllClose(np.exp(lm.log_probabilities(["", "ab"])),
                            [[0.4, 0.25 / 0.75, 0.2 / 0.75]] * 2, atol=1e-6)

    def test_adds_upper_case_and_sentence_ends(self):
        vocab = {"<s>": 1, "a": 2, "A": 3, ".": 4}
        model = fixed_model([0.1, 0.2, 0.3, 0.25, 0.15])
        lm = TextgenrnnLanguageModel(model, vocab, CharacterVocabulary("ab"))
        # a = 0.3 + 0.25; b is not in the vocab (floor); end = 0.2 + 0.15.
        row = np.exp(lm.log_probabilities(["a"])[0])
        self.assertAllClose(row, [0.55 / 0.9, 0.0, 0.35 / 0.9], atol=1e-6)

    def test_reads_each_context(self):
        model = random_model()
        lm = TextgenrnnLanguageModel(model, VOCAB, CharacterVocabulary("abc"), batch_size=2)
        contexts = ["", "a", "cab", "bbbbbbbbc"]
        rows = np.exp(lm.log_probabilities(contexts))
        for context, row in zip(contexts, rows):
            output = np.asarray(model(encode_chars(context, VOCAB, 6)[None]))[0]
            expected = output[[2, 3, 4, 1]]
            self.assertAllClose(row, expected / expected.sum(), atol=1e-5)
        self.assertNotAllClose(rows[1], rows[2])

    def test_errors(self):
        model = fixed_model([0.1, 0.2, 0.3, 0.25, 0.15])
        with self.assertRaisesRegex(ValueError, "both `model` and `vocab`"):
            TextgenrnnLanguageModel(model)
        with self.assertRaisesRegex(ValueError, "start token"):
            TextgenrnnLanguageModel(model, {"a": 2})
        with self.assertRaisesRegex(ValueError, "None of the vocabulary"):
            TextgenrnnLanguageModel(model, {"<s>": 1, "x": 2}, CharacterVocabulary("ab"))


def test_pretrained_textgenrnn_prefers_english_spellings():
    from keras_transfer.language_models import load_textgenrnn

    try:  # the real sdist (1.7 MB, from PyPI once, then the cache), as textgenrnn/'s tests
        model, vocab = load_textgenrnn()
    except RuntimeError as error:
        require(False, f"textgenrnn==2.0.0 sdist unavailable: {error}")
    lm = TextgenrnnLanguageModel(model, vocab)
    characters = lm.vocabulary.characters
    row = lm.log_probabilities(["thank you very muc"])[0]
    assert characters[int(np.argmax(row))] == "h"
    np.testing.assert_allclose(np.exp(row).sum(), 1.0, atol=1e-9)
    assert lm.score("the film is good") > lm.score("teh fllm iz gud") + 5
