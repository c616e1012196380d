"""`decode_ctc`: CTC logits to transcripts, greedy or by beam search."""

import numpy as np
from keras import ops

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.speech.character_vocabulary import CharacterVocabulary
from keras_transfer.utils.argument_validation import check_int, check_one_of

STRATEGIES = ("greedy", "beam_search")


@keras_transfer_export("keras_transfer.speech.decode_ctc")
def decode_ctc(logits, vocabulary=None, strategy="greedy", beam_width=16):
    """Decodes frame logits (blank at class 0) into transcripts.

    `keras.ops.ctc_decode` does the work: `"greedy"` takes the best class of
    every frame, merges repeats and drops blanks; `"beam_search"` keeps the
    `beam_width` most probable prefixes (TensorFlow's CTC beam search, which
    sums the probabilities of the paths of each prefix). Padded frames of a
    `keras_transfer.CTCHead` are certain blanks, so all frames are decoded.

    Args:
        logits: float array-like `[batch, frames, num_classes]`.
        vocabulary: `keras_transfer.speech.CharacterVocabulary`. Defaults to
            `None` (the default vocabulary).
        strategy: str. `"greedy"` or `"beam_search"`. Defaults to `"greedy"`.
        beam_width: int. Beams for `"beam_search"`. Defaults to `16`.

    Returns:
        list of str, one per example.

    Raises:
        ValueError: for an unknown `strategy`, a bad `beam_width`, logits
            that are not 3-D or whose classes differ from the vocabulary's.

    Example:

    ```python
    texts = keras_transfer.speech.decode_ctc(
        model.predict(inputs), strategy="beam_search", beam_width=8)
    ```
    """
    vocabulary = vocabulary or CharacterVocabulary()
    check_one_of(strategy, "strategy", STRATEGIES)
    check_int(beam_width, "beam_width", minimum=1)
    logits = ops.convert_to_tensor(logits, "float32")
    if len(logits.shape) != 3:
        raise ValueError("`logits` must be [batch, frames, num_classes]. "
                         f"Received shape {tuple(logits.shape)}")
    if logits.shape[-1] != vocabulary.num_classes:
        raise ValueError(
            f"`logits` have {logits.shape[-1]} classes; the vocabulary has "
            f"{vocabulary.num_classes} (its characters and the blank).")
    batch, frames = ops.shape(logits)[0], ops.shape(logits)[1]
    lengths = ops.full((batch,), frames, dtype="int32")
    decoded, _ = ops.ctc_decode(ops.log_softmax(logits, axis=-1), lengths,
                                strategy=strategy, beam_width=beam_width,
                                top_paths=1, mask_index=0)
    return vocabulary.decode(np.asarray(decoded[0]))
