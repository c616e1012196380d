"""`TextgenrnnLanguageModel`: textgenrnn's character LSTM as a CTC decoder's LM."""

import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.language_models.encode_chars import START_TOKEN
from keras_transfer.language_models.encode_chars import encode_chars
from keras_transfer.speech.character_language_model import CharacterLanguageModel
from keras_transfer.utils.argument_validation import check_int

# textgenrnn characters that end a sentence: a transcript has no punctuation,
# so their probability (and the start/end token's) is the end's.
SENTENCE_ENDS = (".", "!", "?")
# The smallest probability a column gets, so that no log is -inf.
FLOOR = 1e-12


@keras_transfer_export("keras_transfer.speech.TextgenrnnLanguageModel")
class TextgenrnnLanguageModel(CharacterLanguageModel):
    """A pretrained character LSTM (textgenrnn) as a `CharacterLanguageModel`.

    Each context is encoded the way textgenrnn reads text
    (`keras_transfer.language_models.encode_chars`: the start token, the last
    characters, left padding) and the model's next-character distribution is
    mapped onto the vocabulary: the probabilities of a letter's lower- and
    upper-case forms are added, the start/end token and sentence-final
    `.`, `!`, `?` give the end of the sentence, every other character
    (digits, other punctuation) is dropped, and the rest is renormalized.
    The contexts are lower-case text without punctuation, unlike most of
    textgenrnn's training text; adapting it first with
    `keras_transfer.language_models.fine_tune_language_model` on normalized
    sentences closes that gap.

    Slower than `keras_transfer.speech.CharacterNgramModel`: one LSTM
    forward pass per batch of new beam prefixes.

    Args:
        model: `keras.Model`. From `[batch, max_length]` character indices to
            `[batch, vocab_size]` probabilities. Defaults to `None`
            (`keras_transfer.language_models.load_textgenrnn()`).
        vocab: dict. The model's character -> index. Required with `model`.
        vocabulary: `keras_transfer.speech.CharacterVocabulary`. Defaults to
            `None` (the default vocabulary).
        batch_size: int. Contexts per forward pass. Defaults to `64`.

    Raises:
        ValueError: if only one of `model` and `vocab` is given, `vocab`
            lacks the start token, or none of the vocabulary's characters
            is in `vocab`.

    Example:

    ```python
    lm = keras_transfer.speech.TextgenrnnLanguageModel()
    keras_transfer.speech.transcribe(model, waveforms, language_model=lm, alpha=0.3)
    ```
    """

    def __init__(self, model=None, vocab=None, vocabulary=None, batch_size=64):
        super().__init__(vocabulary)
        check_int(batch_size, "batch_size", minimum=1)
        if (model is None) != (vocab is None):
            raise ValueError("Pass both `model` and `vocab` (its character -> index), "
                             "or neither for textgenrnn's pretrained model.")
        if model is None:
            from keras_transfer.language_models.textgenrnn.load_textgenrnn import (
                load_textgenrnn)

            model, vocab = load_textgenrnn()
        if not isinstance(vocab, dict) or START_TOKEN not in vocab:
            shown = sorted(vocab)[:10] if isinstance(vocab, dict) else vocab
            raise ValueError("`vocab` must be a dict holding the start token "
                             f"{START_TOKEN!r}. Received: {shown!r}")
        self.model = model
        self.vocab = vocab
        self.batch_size = batch_size
        self.max_length = model.input_shape[1]
        # columns[j]: the model indices whose probabilities make column j.
        self._columns = []
        for character in self.vocabulary.characters:
            forms = {character, character.upper()}
            self._columns.append([vocab[f] for f in sorted(forms) if f in vocab])
        self._columns.append([vocab[f] for f in (START_TOKEN,) + SENTENCE_ENDS if f in vocab])
        if not any(self._columns[:-1]):
            raise ValueError("None of the vocabulary's characters "
                             f"{self.vocabulary.characters!r} is in `vocab`.")

    def log_probabilities(self, contexts):
        """See `keras_transfer.speech.CharacterLanguageModel.log_probabilities`."""
        rows = np.empty((len(contexts), len(self._columns)))
        for start in range(0, len(contexts), self.batch_size):
            batch = contexts[start:start + self.batch_size]
            encoded = np.stack([encode_chars(c, self.vocab, self.max_length)
                                for c in batch])
            outputs = np.asarray(self.model.predict_on_batch(encoded), np.float64)
            for j, indices in enumerate(self._columns):
                rows[start:start + len(batch), j] = outputs[:, indices].sum(axis=1)
        rows = np.maximum(rows, FLOOR)
        return np.log(rows / rows.sum(axis=1, keepdims=True))
