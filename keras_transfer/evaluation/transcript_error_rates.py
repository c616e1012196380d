"""`transcript_error_rates`: CER and WER of transcripts against references."""

import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.metrics import edit_distance


@keras_transfer_export("keras_transfer.evaluation.transcript_error_rates")
def transcript_error_rates(references, hypotheses):
    """Corpus character and word error rates of transcripts.

    Levenshtein distance (substitutions, insertions and deletions count 1),
    summed over all pairs and divided by the total reference length, in
    characters (spaces included) and in whitespace-separated words. The same
    counting as `keras_transfer.metrics.CharacterErrorRate` and
    `WordErrorRate`. Texts are compared as given: normalize both sides first
    (`keras_transfer.speech.CharacterVocabulary().normalize`).

    Args:
        references: list of str. The true transcripts.
        hypotheses: list of str. The recognized transcripts, same length.

    Returns:
        dict with `"cer"`, `"wer"` (floats), `"char_errors"`, `"chars"`,
        `"word_errors"`, `"words"` (ints).

    Raises:
        ValueError: if the lists differ in length, are empty, or hold a
            non-string.

    Example:

    ```python
    keras_transfer.evaluation.transcript_error_rates(
        ["he was not an ill disposed young man"],
        ["he was not an illness those young man"])
    ```
    """
    references, hypotheses = list(references), list(hypotheses)
    if len(references) != len(hypotheses) or not references:
        raise ValueError(
            "`references` and `hypotheses` must be non-empty lists of the same "
            f"length. Received: {len(references)} and {len(hypotheses)} items.")
    for text in references + hypotheses:
        if not isinstance(text, str):
            raise ValueError(f"Transcripts must be str. Received: {text!r}")
    ref = tf.constant(references)
    hyp = tf.constant(hypotheses)
    char_errors, chars = edit_distance.count_errors(
        edit_distance.characters_of(hyp), edit_distance.characters_of(ref))
    word_errors, words = edit_distance.count_errors(
        edit_distance.words(hyp), edit_distance.words(ref))
    chars, words = int(chars), int(words)
    return {
        "cer": float(char_errors) / max(chars, 1),
        "wer": float(word_errors) / max(words, 1),
        "char_errors": int(round(float(char_errors))),
        "chars": chars,
        "word_errors": int(round(float(word_errors))),
        "words": words,
    }
