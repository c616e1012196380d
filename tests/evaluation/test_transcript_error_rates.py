from keras_transfer.evaluation.transcript_error_rates import transcript_error_rates
from keras_transfer.testing import TestCase
from tests.speech.reference import error_rates


class TranscriptErrorRatesTest(TestCase):
    def test_matches_reference_on_pocketsphinx_outputs(self):
        # pocketsphinx's own hypotheses for its LibriVox test data (test-lm.match).
        references = ["he was not an ill disposed young man",
                      "he might even have been made amiable himself",
                      "unless to be rather cold hearted and rather selfish is to be ill disposed"]
        hypotheses = ["he was not an illness those young man",
                      "he might even have been made the amiable itself",
                      "homeless to be rather cold hearted and rather selfish is to be oldest those"]
        rates = transcript_error_rates(references, hypotheses)
        cer, wer = error_rates(references, hypotheses)
        self.assertAllClose(rates["cer"], cer, atol=1e-9)
        self.assertAllClose(rates["wer"], wer, atol=1e-9)
        self.assertEqual(rates["words"], 30)
        self.assertEqual(rates["word_errors"], round(wer * 30))

    def test_unicode_empty_hypothesis_and_errors(self):
        rates = transcript_error_rates(["café au lait", "ab"], ["cafe", ""])
        cer, wer = error_rates(["café au lait", "ab"], ["cafe", ""])
        self.assertAllClose(rates["cer"], cer, atol=1e-9)
        self.assertAllClose(rates["wer"], wer, atol=1e-9)
        with self.assertRaisesRegex(ValueError, "same length"):
            transcript_error_rates(["a"], [])
        with self.assertRaisesRegex(ValueError, "must be str"):
            transcript_error_rates(["a"], [None])
