"""`CharacterVocabulary`: transcripts <-> CTC label ids (0 is the blank)."""

import re
import unicodedata

import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.argument_validation import check_int

DEFAULT_CHARACTERS = " 'abcdefghijklmnopqrstuvwxyz"
BLANK = 0
_DASHES = re.compile(r"[-\u2010-\u2015_/]+")


@keras_transfer_export("keras_transfer.speech.CharacterVocabulary")
class CharacterVocabulary:
    """Maps transcripts to character ids for CTC, and ids back to text.

    Id 0 is the CTC blank (`keras.ops.ctc_loss`'s and `ctc_decode`'s
    `mask_index=0`) and also the padding of label batches; the characters
    get ids 1 to `len(characters)`. `normalize` lower-cases, strips accents
    (NFKD), turns dashes, underscores and slashes into spaces, drops every
    other character not in the vocabulary and collapses whitespace, so
    "Mr. Dashwood's ill-disposed" becomes "mr dashwood's ill disposed".

    Args:
        characters: str. The characters, each once, in id order. Defaults
            to space, apostrophe and `a`-`z` (28 characters, 29 classes).

    Raises:
        ValueError: if `characters` is empty or repeats a character.

    Example:

    ```python
    vocabulary = keras_transfer.speech.CharacterVocabulary()
    labels = vocabulary.encode(["He was not an ill-disposed young man."])
    vocabulary.decode(labels)  # ["he was not an ill disposed young man"]
    ```
    """

    def __init__(self, characters=DEFAULT_CHARACTERS):
        if not isinstance(characters, str) or not characters \
                or len(set(characters)) != len(characters):
            raise ValueError(
                "`characters` must be a non-empty str without repeated characters. "
                f"Received: characters={characters!r}")
        self.characters = characters
        self._ids = {c: i + 1 for i, c in enumerate(characters)}

    @property
    def num_classes(self):
        """Output units of a CTC head: the characters plus the blank."""
        return len(self.characters) + 1

    def normalize(self, text):
        """Returns `text` reduced to the vocabulary (see the class docstring)."""
        if not isinstance(text, str):
            raise ValueError(f"A transcript must be a str. Received: {text!r}")
        text = unicodedata.normalize("NFKD", text.lower())
        if " " not in self._ids:
            return "".join(c for c in text if c in self._ids)
        text = _DASHES.sub(" ", text)
        kept = "".join(c if c in self._ids else (" " if c.isspace() else "")
                       for c in text)
        return " ".join(kept.split())

    def encode(self, texts, max_length=None):
        """Normalizes and encodes transcripts as a zero-padded id matrix.

        Args:
            texts: list of str.
            max_length: int. Columns of the result; longer transcripts raise.
                Defaults to `None` (the longest transcript).

        Returns:
            int32 array `[len(texts), max_length]`, ids 1.. for characters, 0
            after each transcript's end.

        Raises:
            ValueError: if a transcript is not a str, is empty after
                normalization, or is longer than `max_length`.
        """
        if isinstance(texts, str):
            raise ValueError("`texts` must be a list of transcripts, not one str. "
                             f"Received: texts={texts!r}")
        rows = [[self._ids[c] for c in self.normalize(t)] for t in texts]
        for text, row in zip(texts, rows):
            if not row:
                raise ValueError(f"The transcript {text!r} has no character of the "
                                 f"vocabulary {self.characters!r}.")
        longest = max((len(r) for r in rows), default=0)
        if max_length is None:
            max_length = longest
        check_int(max_length, "max_length", minimum=1)
        if longest > max_length:
            raise ValueError(f"A transcript has {longest} characters, more than "
                             f"max_length={max_length}.")
        ids = np.zeros((len(rows), max_length), np.int32)
        for i, row in enumerate(rows):
            ids[i, :len(row)] = row
        return ids

    def decode(self, ids):
        """Turns id rows back into strings; ids <= 0 (blank, padding) are skipped.

        Args:
            ids: int array-like `[batch, length]`.

        Returns:
            list of str.

        Raises:
            ValueError: if an id is larger than the number of characters.
        """
        ids = np.asarray(ids)
        if ids.ndim != 2:
            raise ValueError(f"`ids` must be 2-D [batch, length]. Received shape {ids.shape}")
        if ids.size and ids.max() > len(self.characters):
            raise ValueError(f"Id {int(ids.max())} is outside the vocabulary of "
                             f"{len(self.characters)} characters.")
        return ["".join(self.characters[i - 1] for i in row if i > 0) for row in ids]

    def get_config(self):
        return {"characters": self.characters}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
