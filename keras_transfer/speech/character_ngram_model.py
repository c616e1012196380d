"""`CharacterNgramModel`: an interpolated Kneser-Ney character n-gram LM."""

import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.speech.character_language_model import CharacterLanguageModel
from keras_transfer.utils.argument_validation import check_int

# Contexts whose distribution is kept between calls; past this the cache is
# cleared, so memory stays bounded however long the decoding runs.
CACHE_SIZE = 200_000


@keras_transfer_export("keras_transfer.speech.CharacterNgramModel")
class CharacterNgramModel(CharacterLanguageModel):
    """A character n-gram language model with interpolated Kneser-Ney smoothing.

    Built once from sentences (each normalized with the vocabulary; every
    sentence starts from `order - 1` start symbols and ends with an end
    symbol that the model also predicts). The highest order uses raw counts,
    the lower ones Kneser-Ney continuation counts (how many different
    characters precede an n-gram), each order interpolated with the next
    lower one and the lowest with the uniform distribution:

    `P(c | h) = max(N(h c) - D, 0) / N(h) + D * T(h) / N(h) * P(c | h')`

    where `N` counts, `T(h)` is the number of different characters seen
    after `h`, `h'` is `h` without its first character, and `D` is each
    order's discount `n1 / (n1 + 2 n2)` from its counts of counts (clipped
    to [0.05, 0.95]). A context never seen falls back to `h'` entirely.

    Args:
        sentences: iterable of str. The training text, one sentence per item.
        vocabulary: `keras_transfer.speech.CharacterVocabulary`. Defaults to
            `None` (the default vocabulary).
        order: int. Characters per n-gram (context length + 1), 1 to 12.
            Defaults to `5`.

    Raises:
        ValueError: if `order` is out of range or no sentence has a
            character of the vocabulary.

    Example:

    ```python
    lm = keras_transfer.speech.CharacterNgramModel(
        ["the cat sat on the mat", "a cat is not a dog"], order=4)
    keras_transfer.speech.transcribe(model, waveforms, language_model=lm,
                                     alpha=0.5, beta=1.0)
    ```
    """

    def __init__(self, sentences, vocabulary=None, order=5):
        super().__init__(vocabulary)
        check_int(order, "order", minimum=1)
        if order > 12:
            raise ValueError(f"`order` must be at most 12. Received: order={order!r}")
        if isinstance(sentences, str):
            raise ValueError("`sentences` must be a list of str, not one str. "
                             f"Received: sentences={sentences[:80]!r}")
        self.order = order
        self._start = -1  # the start symbol of contexts, never predicted
        self._ids = {c: i for i, c in enumerate(self.vocabulary.characters)}
        counts = [dict() for _ in range(order + 1)]  # counts[k][context][token]
        pad = [self._start] * (order - 1)
        self.num_sentences = 0
        for sentence in sentences:
            text = self.vocabulary.normalize(sentence)
            if not text:
                continue
            self.num_sentences += 1
            sequence = pad + [self._ids[c] for c in text] + [self.end_index]
            for i in range(order - 1, len(sequence)):
                context = tuple(sequence[i - order + 1:i])
                row = counts[order].setdefault(context, {})
                row[sequence[i]] = row.get(sequence[i], 0) + 1
        if not self.num_sentences:
            raise ValueError("`sentences` has no sentence with a character of the "
                             f"vocabulary {self.vocabulary.characters!r}.")
        # Continuation counts: each distinct (k+1)-gram adds 1 to its k-gram suffix.
        for k in range(order - 1, 0, -1):
            for context, row in counts[k + 1].items():
                shorter = counts[k].setdefault(context[1:], {})
                for token in row:
                    shorter[token] = shorter.get(token, 0) + 1
        self._tables = [None]
        self.discounts = [None]
        for k in range(1, order + 1):
            table = {context: (np.fromiter(row.keys(), np.int64, len(row)),
                               np.fromiter(row.values(), np.float64, len(row)))
                     for context, row in counts[k].items()}
            counts[k] = None
            self._tables.append(table)
            self.discounts.append(_discount(table))
        self._cache = {}

    def log_probabilities(self, contexts):
        """See `keras_transfer.speech.CharacterLanguageModel.log_probabilities`.

        Raises:
            ValueError: if a context has a character outside the vocabulary.
        """
        rows = np.empty((len(contexts), self.end_index + 1))
        for i, context in enumerate(contexts):
            rows[i] = self._log_distribution(self._context_ids(context))
        return rows

    def _context_ids(self, context):
        if not isinstance(context, str):
            raise ValueError(f"A context must be a str. Received: {context!r}")
        tail = context[-(self.order - 1):] if self.order > 1 else ""
        try:
            ids = [self._ids[c] for c in tail]
        except KeyError as error:
            raise ValueError(
                f"The context {context!r} has the character {error.args[0]!r}, which is "
                f"not in the vocabulary {self.vocabulary.characters!r}.") from None
        return tuple([self._start] * (self.order - 1 - len(ids)) + ids)

    def _log_distribution(self, context):
        cached = self._cache.get(context)
        if cached is None:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            cached = np.log(self._distribution(context))
            self._cache[context] = cached
        return cached

    def _distribution(self, context):
        """Probabilities of every token after `context` (tuple of order-1 ids)."""
        probabilities = np.full(self.end_index + 1, 1.0 / (self.end_index + 1))
        for k in range(1, self.order + 1):
            entry = self._tables[k].get(context[len(context) - (k - 1):] if k > 1 else ())
            if entry is None:
                break  # a longer context containing this one is unseen too
            tokens, counts = entry
            total, discount = counts.sum(), self.discounts[k]
            lower = probabilities * (discount * len(tokens) / total)
            lower[tokens] += np.maximum(counts - discount, 0.0) / total
            probabilities = lower
        return probabilities


def _discount(table):
    """Kneser-Ney's `n1 / (n1 + 2 n2)` from a table's counts of counts."""
    n1 = sum(int(np.sum(counts == 1)) for _, counts in table.values())
    n2 = sum(int(np.sum(counts == 2)) for _, counts in table.values())
    if n1 + 2 * n2 == 0:
        return 0.75
    return float(np.clip(n1 / (n1 + 2 * n2), 0.05, 0.95))
