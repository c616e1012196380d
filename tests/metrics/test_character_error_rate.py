import keras
import numpy as np

from keras_transfer.metrics.character_error_rate import CharacterErrorRate
from keras_transfer.speech.character_vocabulary import CharacterVocabulary
from keras_transfer.testing import TestCase
from tests.speech.reference import error_rates, levenshtein


def logits_spelling(paths, classes):
    """Logits whose best path is each given per-frame class sequence."""
    frames = max(len(p) for p in paths)
    logits = np.zeros((len(paths), frames, classes), np.float32)
    for i, path in enumerate(paths):
        for t in range(frames):
            logits[i, t, path[t] if t < len(path) else 0] = 5.0
    return logits


class CharacterErrorRateTest(TestCase):
    def test_matches_edit_distance_reference_over_batches(self):
        vocabulary = CharacterVocabulary()
        rng = np.random.default_rng(0)
        letters = list(vocabulary.characters)
        metric = CharacterErrorRate()
        references, hypotheses = [], []
        for _ in range(3):  # three batches accumulate
            refs = ["".join(rng.choice(letters[2:], rng.integers(3, 9))) for _ in range(4)]
            hyps = [r[:-1] + "x" + r[1:2] if i % 2 else r[::-1] for i, r in enumerate(refs)]
            # A blank between every character makes the best path spell `hyp`.
            paths = [[c for ch in h for c in (vocabulary.characters.index(ch) + 1, 0)]
                     for h in hyps]
            metric.update_state(vocabulary.encode(refs),
                                logits_spelling(paths, vocabulary.num_classes))
            references += refs
            hypotheses += hyps
        cer, _ = error_rates(references, hypotheses)
        self.assertGreater(cer, 0.1)
        self.assertAllClose(float(metric.result()), cer, atol=1e-6)
        metric.reset_state()
        self.assertEqual(float(metric.result()), 0.0)

    def test_greedy_merges_repeats_and_counts_insertions(self):
        metric = CharacterErrorRate()
        # best path 1 1 0 1 2 2 -> "1 1 2" (repeat merged, blank splits)
        logits = logits_spelling([[1, 1, 0, 1, 2, 2]], 4)
        metric.update_state(np.array([[1, 2]]), logits)
        self.assertAllClose(float(metric.result()),
                            levenshtein([1, 1, 2], [1, 2]) / 2, atol=1e-6)

    def test_in_compile(self):
        metric = keras.metrics.get(keras.saving.serialize_keras_object(CharacterErrorRate()))
        self.assertIsInstance(metric, CharacterErrorRate)
