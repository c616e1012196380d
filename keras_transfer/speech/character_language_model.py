"""`CharacterLanguageModel`: the interface a CTC decoder's language model offers."""

import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.speech.character_vocabulary import CharacterVocabulary


@keras_transfer_export("keras_transfer.speech.CharacterLanguageModel")
class CharacterLanguageModel:
    """Base class: a character LM over a `CharacterVocabulary`, for shallow fusion.

    A subclass implements `log_probabilities(contexts)`: for each context (a
    transcript prefix in the vocabulary's normalized form) the natural-log
    probability of every next character, in vocabulary order, and, in a last
    column, of the end of the sentence. Each row sums to 1 in probability.
    `keras_transfer.speech.decode_ctc` (and `transcribe`) call it on the
    prefixes of its beam search, a few contexts at a time.

    Two are provided: `keras_transfer.speech.CharacterNgramModel` (Kneser-Ney
    n-grams counted from sentences; fast, the usual choice) and
    `keras_transfer.speech.TextgenrnnLanguageModel` (textgenrnn's pretrained
    LSTM, optionally fine-tuned).

    Args:
        vocabulary: `keras_transfer.speech.CharacterVocabulary`. The
            characters scored, in the order of the columns. Defaults to
            `None` (the default vocabulary).

    Raises:
        ValueError: if `vocabulary` is not a `CharacterVocabulary`.

    Example:

    ```python
    lm = keras_transfer.speech.CharacterNgramModel(sentences)
    lm.log_probabilities(["thank you very muc"])  # [1, 29]
    lm.score("thank you")  # total log probability, end of sentence included
    ```
    """

    def __init__(self, vocabulary=None):
        vocabulary = vocabulary or CharacterVocabulary()
        if not isinstance(vocabulary, CharacterVocabulary):
            raise ValueError(
                "`vocabulary` must be a keras_transfer.speech.CharacterVocabulary. "
                f"Received: vocabulary={vocabulary!r}")
        self.vocabulary = vocabulary

    @property
    def end_index(self):
        """The column of the end of the sentence: `len(vocabulary.characters)`."""
        return len(self.vocabulary.characters)

    def log_probabilities(self, contexts):
        """Log probabilities of the next character (and of the end) per context.

        Args:
            contexts: list of str. Normalized transcript prefixes (may be "").

        Returns:
            float64 array `[len(contexts), len(characters) + 1]`.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement log_probabilities(contexts).")

    def score(self, text):
        """Total log probability of a whole transcript, its end included.

        Args:
            text: str. Normalized with the vocabulary first.

        Returns:
            float. The sum of the log probabilities of each character given
            the ones before it, and of the end given the whole text.
        """
        text = self.vocabulary.normalize(text)
        rows = self.log_probabilities([text[:i] for i in range(len(text) + 1)])
        ids = [self.vocabulary.characters.index(c) for c in text] + [self.end_index]
        return float(np.sum(rows[np.arange(len(ids)), ids]))
