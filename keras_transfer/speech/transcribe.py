"""`transcribe`: waveforms through a speech recognizer to text."""

import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.data.pad_speech import pad_speech
from keras_transfer.speech.decode_ctc import decode_ctc
from keras_transfer.utils.argument_validation import check_int


@keras_transfer_export("keras_transfer.speech.transcribe")
def transcribe(model, waveforms, vocabulary=None, strategy="greedy", beam_width=16,
               batch_size=8, language_model=None, alpha=0.5, beta=1.0):
    """Transcribes mono waveforms with a model from `build_speech_recognizer`.

    Each waveform is zero-padded to the model's input length (with a
    `padding_mask` that marks the real samples), the model gives frame
    logits, and `keras_transfer.speech.decode_ctc` turns them into text
    (with a `language_model`, by beam search with shallow fusion).

    Args:
        model: `keras.Model` taking `{"waveform", "padding_mask"}` of a fixed
            number of samples and returning CTC logits.
        waveforms: list of 1-D float arrays, at the model's sample rate.
        vocabulary: `keras_transfer.speech.CharacterVocabulary`. Defaults to
            `None` (the default vocabulary).
        strategy: str. `"greedy"` or `"beam_search"`. Defaults to `"greedy"`.
        beam_width: int. Defaults to `16`.
        batch_size: int. Defaults to `8`.
        language_model: `keras_transfer.speech.CharacterLanguageModel`.
            Fused into beam search (pass `strategy="beam_search"`); see
            `decode_ctc`. Defaults to `None`.
        alpha: float. The LM weight. Defaults to `0.5`.
        beta: float. The bonus per character. Defaults to `1.0`.

    Returns:
        list of str.

    Raises:
        ValueError: if a waveform is longer than the model's input, or for
            a bad decoding argument (see `decode_ctc`).

    Example:

    ```python
    texts = keras_transfer.speech.transcribe(model, [waveform])
    lm = keras_transfer.speech.CharacterNgramModel(training_transcripts)
    texts = keras_transfer.speech.transcribe(
        model, [waveform], strategy="beam_search", language_model=lm)
    ```
    """
    check_int(batch_size, "batch_size", minimum=1)
    max_samples = model.inputs[0].shape[-1] if not isinstance(model.input, dict) \
        else model.input["waveform"].shape[-1]
    texts = []
    waveforms = list(waveforms)
    for start in range(0, len(waveforms), batch_size):
        inputs = pad_speech(waveforms[start:start + batch_size], max_samples)
        logits = model.predict_on_batch(inputs)
        texts.extend(decode_ctc(np.asarray(logits), vocabulary, strategy, beam_width,
                                language_model, alpha, beta))
    return texts
