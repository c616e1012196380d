"""`decode_ctc`: CTC logits to transcripts, greedy or by beam search (with an LM)."""

import numpy as np
from keras import ops

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.speech.character_language_model import CharacterLanguageModel
from keras_transfer.speech.character_vocabulary import CharacterVocabulary
from keras_transfer.speech.prefix_beam_search import prefix_beam_search
from keras_transfer.utils.argument_validation import check_int, check_number, check_one_of

STRATEGIES = ("greedy", "beam_search")


@keras_transfer_export("keras_transfer.speech.decode_ctc")
def decode_ctc(logits, vocabulary=None, strategy="greedy", beam_width=16,
               language_model=None, alpha=0.5, beta=1.0):
    """Decodes frame logits (blank at class 0) into transcripts.

    `"greedy"` takes the best class of every frame, merges repeats and drops
    blanks; `"beam_search"` keeps the `beam_width` most probable prefixes,
    summing the probabilities of the paths of each prefix. Without a
    language model both run in `keras.ops.ctc_decode` (TensorFlow's CTC
    decoders). With a `language_model`, beam search is a CTC prefix beam
    search with shallow fusion (in NumPy): a prefix scores

    `log P_ctc(prefix) + alpha * log P_lm(prefix) + beta * len(prefix)`

    (characters counted, the LM's end-of-sentence probability added to the
    finished transcripts). `beta` makes up for the LM's cost per character,
    which would otherwise favour short transcripts. Padded frames of a
    `keras_transfer.CTCHead` are certain blanks, so all frames are decoded.

    Args:
        logits: float array-like `[batch, frames, num_classes]`.
        vocabulary: `keras_transfer.speech.CharacterVocabulary`. Defaults to
            `None` (the default vocabulary).
        strategy: str. `"greedy"` or `"beam_search"`. Defaults to `"greedy"`.
        beam_width: int. Beams for `"beam_search"`. Defaults to `16`.
        language_model: `keras_transfer.speech.CharacterLanguageModel` over
            the same characters (a `CharacterNgramModel` or a
            `TextgenrnnLanguageModel`). Needs `strategy="beam_search"`.
            Defaults to `None` (no LM).
        alpha: float >= 0. The LM weight; `0` ignores the LM. Defaults to
            `0.5`. Used only with a `language_model`.
        beta: float. The bonus per character. Defaults to `1.0`. Used only
            with a `language_model`.

    Returns:
        list of str, one per example.

    Raises:
        ValueError: for an unknown `strategy`, a bad `beam_width`, `alpha`
            or `beta`, a language model with `"greedy"` or over other
            characters, logits that are not 3-D or whose classes differ from
            the vocabulary's.

    Example:

    ```python
    texts = keras_transfer.speech.decode_ctc(
        model.predict(inputs), strategy="beam_search", beam_width=8)
    lm = keras_transfer.speech.CharacterNgramModel(training_transcripts)
    texts = keras_transfer.speech.decode_ctc(
        model.predict(inputs), strategy="beam_search", language_model=lm,
        alpha=0.5, beta=1.0)
    ```
    """
    vocabulary = vocabulary or CharacterVocabulary()
    check_one_of(strategy, "strategy", STRATEGIES)
    check_int(beam_width, "beam_width", minimum=1)
    if language_model is not None:
        check_language_model(language_model, vocabulary, strategy)
        check_number(alpha, "alpha", 0, finite=True)
        check_number(beta, "beta", finite=True)
    logits = ops.convert_to_tensor(logits, "float32")
    if len(logits.shape) != 3:
        raise ValueError("`logits` must be [batch, frames, num_classes]. "
                         f"Received shape {tuple(logits.shape)}")
    if logits.shape[-1] != vocabulary.num_classes:
        raise ValueError(
            f"`logits` have {logits.shape[-1]} classes; the vocabulary has "
            f"{vocabulary.num_classes} (its characters and the blank).")
    if language_model is not None:
        log_probs = np.asarray(ops.log_softmax(logits, axis=-1))
        return [prefix_beam_search(row, vocabulary.characters, language_model, alpha,
                                   beta, beam_width) for row in log_probs]
    batch, frames = ops.shape(logits)[0], ops.shape(logits)[1]
    lengths = ops.full((batch,), frames, dtype="int32")
    decoded, _ = ops.ctc_decode(ops.log_softmax(logits, axis=-1), lengths,
                                strategy=strategy, beam_width=beam_width,
                                top_paths=1, mask_index=0)
    return vocabulary.decode(np.asarray(decoded[0]))


def check_language_model(language_model, vocabulary, strategy):
    """Raises a ValueError unless `language_model` can drive this decoding."""
    if not isinstance(language_model, CharacterLanguageModel):
        raise ValueError(
            "`language_model` must be a keras_transfer.speech.CharacterLanguageModel "
            "(CharacterNgramModel or TextgenrnnLanguageModel). "
            f"Received: language_model={language_model!r}")
    if strategy != "beam_search":
        raise ValueError("A `language_model` is used by beam search only: pass "
                         f"strategy='beam_search'. Received: strategy={strategy!r}")
    if language_model.vocabulary.characters != vocabulary.characters:
        raise ValueError(
            "The language model scores the characters "
            f"{language_model.vocabulary.characters!r}; the vocabulary has "
            f"{vocabulary.characters!r}. Build the LM with the same vocabulary.")
