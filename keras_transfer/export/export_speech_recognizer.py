"""`export_speech_recognizer`: WAV bytes -> transcripts, for TF Serving."""

import os

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.backbones import registry
from keras_transfer.backbones.handles import parse_handle
from keras_transfer.export import serving_inputs
from keras_transfer.export import warmup_requests
from keras_transfer.export.export_for_serving import SERVING_SIGNATURE
from keras_transfer.export.export_for_serving import _check_version
from keras_transfer.export.export_for_serving import _write_version
from keras_transfer.speech.character_vocabulary import BLANK
from keras_transfer.speech.character_vocabulary import CharacterVocabulary
from keras_transfer.utils.argument_validation import check_int

LOGITS_SIGNATURE = "frame_logits"
DEFAULT_SAMPLE_RATE = 16000
# The warmup request: a tone this long (the model pads it to its input length).
WARMUP_SECONDS = 0.25
_INPUTS = ("padding_mask", "waveform")


@keras_transfer_export("keras_transfer.export.export_speech_recognizer")
def export_speech_recognizer(model, base_dir, vocabulary=None, version=None,
                             sample_rate=None, resample_audio=True, warmup=True,
                             model_name=None):
    """Exports a CTC speech recognizer that transcribes WAV files in the graph.

    The served graph does what `keras_transfer.data.load_transcribed_audio`
    and `keras_transfer.speech.transcribe` (greedy) do in Python. The
    `serving_default` signature takes a batch of WAV files (`audio_bytes`,
    string `[batch]`: 16-bit PCM, any channel count, averaged to mono, at
    any rate from 8 to 192 kHz, resampled in the graph to the encoder's
    `sample_rate` with `keras_transfer.data.resample`), zero-pads each to
    the model's input length with the `padding_mask` of its real samples,
    runs the model and decodes its logits greedily (`keras.ops.ctc_decode`:
    the best class per frame, repeats merged, blanks dropped, exactly as
    `keras_transfer.speech.decode_ctc(strategy="greedy")`), mapping the ids
    to the vocabulary's characters with a table lookup (`tf.gather` on the
    characters, saved in the graph). It returns `transcript` (string
    `[batch]`).

    A second signature, `frame_logits`, takes the same input and returns
    the model's `logits` (float32 `[batch, frames, num_classes]`, class 0
    the blank; frames past a clip's end are certain blanks), for decoding
    outside the server (beam search, a language model).

    A WAV file longer than the model's input (`max_seconds` of
    `keras_transfer.build_speech_recognizer`) fails the request with an
    `InvalidArgumentError` naming its index and duration; it is checked on
    the decoded length before resampling. Every other bad input (not a WAV
    file, truncated, not 16-bit PCM, a rate outside 8-192 kHz, over 16 MiB,
    an empty string or request) fails with the same message as for an
    audio classifier exported by `keras_transfer.export.export_for_serving`
    (`keras_transfer.export.serving_inputs.decode_audio` decodes both). The
    folder layout, atomic write, versions and warmup file are those of
    `export_for_serving`.

    Args:
        model: `keras.Model`. From `keras_transfer.build_speech_recognizer`:
            takes `{"waveform", "padding_mask"}` of a fixed number of samples
            and returns CTC logits `[batch, frames, num_classes]`.
        base_dir: str or path. The TF Serving model folder; created if
            missing.
        vocabulary: `keras_transfer.speech.CharacterVocabulary`. The one the
            model was trained with. Defaults to `None` (the default
            vocabulary).
        version: int. The version number (folder name). Defaults to `None`:
            the next free one.
        sample_rate: int. The rate (Hz) the encoder takes. Defaults to
            `None`: the registry backbone's rate, or 16000 for a backbone
            given by path or URL.
        resample_audio: bool. If False, WAV files at another rate are
            rejected instead of resampled. Defaults to `True`.
        warmup: bool. Whether to write the TF Serving warmup file (needs the
            `serving` extra). Defaults to `True`.
        model_name: str. The model name in the warmup requests. Defaults to
            `None`: the name of `base_dir`.

    Returns:
        The path of the written version folder, as a str.

    Raises:
        FileExistsError: if `base_dir/<version>` exists.
        ImportError: if `warmup=True` and `tensorflow-serving-api` is not
            installed.
        ValueError: if the model does not take the speech input dict of a
            fixed length, its output classes differ from the vocabulary's,
            `sample_rate` differs from the registry backbone's, or an
            argument is invalid.

    Example:

    ```python
    path = keras_transfer.export.export_speech_recognizer(
        model, "/models/asr", vocabulary)
    served = tf.saved_model.load(path).signatures["serving_default"]
    served(audio_bytes=tf.constant([open("clip.wav", "rb").read()]))["transcript"]
    ```
    """
    base_dir = os.path.abspath(os.fspath(base_dir))
    _check_version(version)
    vocabulary = CharacterVocabulary() if vocabulary is None else vocabulary
    if not isinstance(vocabulary, CharacterVocabulary):
        raise ValueError("`vocabulary` must be a keras_transfer.speech.CharacterVocabulary. "
                         f"Received: vocabulary={vocabulary!r}")
    for name, value in (("resample_audio", resample_audio), ("warmup", warmup)):
        if not isinstance(value, bool):
            raise ValueError(f"`{name}` must be a bool. Received: {name}={value!r}")
    max_samples = speech_input_length(model, vocabulary)
    sample_rate = encoder_sample_rate(model, sample_rate)
    limit = serving_inputs.MAX_UNCLIPPED_SECONDS * sample_rate
    if max_samples > limit:
        raise ValueError(
            f"The model takes {max_samples} samples ({max_samples / sample_rate:g} s at "
            f"{sample_rate} Hz); served requests are bounded to "
            f"{serving_inputs.MAX_UNCLIPPED_SECONDS} s. Build it with a smaller "
            "`max_seconds`.")
    if model_name is None:
        model_name = os.path.basename(base_dir)
    if warmup:
        warmup_requests.import_serving_apis()  # fail before writing anything

    characters = tf.constant([""] + list(vocabulary.characters), tf.string)

    def logits_of(audio_bytes):
        inputs = decode_speech(audio_bytes, sample_rate, max_samples, resample_audio)
        return tf.cast(model(inputs, training=False), tf.float32)

    def transcribe(audio_bytes):
        return {"transcript": greedy_transcripts(logits_of(audio_bytes), characters)}

    def frame_logits(audio_bytes):
        return {"logits": logits_of(audio_bytes)}

    raw_name = serving_inputs.RAW_INPUT_NAMES["audio"]
    spec = [tf.TensorSpec([None], tf.string, name=raw_name)]
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(SERVING_SIGNATURE, transcribe, input_signature=spec)
    archive.add_endpoint(LOGITS_SIGNATURE, frame_logits, input_signature=spec)
    sample = serving_inputs.sample_wav_bytes(sample_rate, int(sample_rate * WARMUP_SECONDS))
    requests = [(SERVING_SIGNATURE, {raw_name: np.array([sample], dtype=object)})]
    return _write_version(archive, base_dir, version, model_name,
                          requests if warmup else None)


def decode_speech(audio_bytes, sample_rate, max_samples, resample_audio=True):
    """WAV files to a speech recognizer's input dict, in the graph.

    `keras_transfer.export.serving_inputs.decode_audio` decodes, checks and
    resamples each file (and rejects one longer than `max_samples` at
    `sample_rate`); each waveform is then zero-padded to `max_samples`, as
    `keras_transfer.data.pad_speech` does.

    Args:
        audio_bytes: string `Tensor` `[batch]`. WAV files.
        sample_rate: int. The model's rate (Hz).
        max_samples: int. The model's input length.
        resample_audio: bool. Defaults to `True`.

    Returns:
        dict: `"waveform"` float32 `[batch, max_samples]` and
        `"padding_mask"` bool `[batch, max_samples]` (True on real samples).
    """
    waveforms = serving_inputs.decode_audio(
        audio_bytes, sample_rate, resample_audio=resample_audio, max_length=max_samples,
        ragged=True)
    return {"waveform": waveforms.to_tensor(shape=[None, max_samples]),
            "padding_mask": tf.sequence_mask(waveforms.row_lengths(), max_samples)}


def greedy_transcripts(logits, characters):
    """Greedy CTC decoding to strings, in the graph (blank at class 0).

    The decoding of `keras_transfer.speech.decode_ctc(strategy="greedy")`:
    `keras.ops.ctc_decode` over the log-softmax of every frame, then each
    id looked up in `characters` (index 0, the blank and the decoder's
    padding, maps to "") and the characters joined.

    Args:
        logits: float32 `Tensor` `[batch, frames, num_classes]`.
        characters: string `Tensor` `[num_classes]`: `""` then the
            vocabulary's characters in id order.

    Returns:
        string `Tensor` `[batch]`.
    """
    shape = tf.shape(logits)
    lengths = tf.fill([shape[0]], shape[1])
    decoded, _ = keras.ops.ctc_decode(keras.ops.log_softmax(logits, axis=-1), lengths,
                                      strategy="greedy", top_paths=1, mask_index=BLANK)
    ids = tf.maximum(tf.cast(decoded[0], tf.int32), 0)  # -1 pads the decoded rows
    return tf.strings.reduce_join(tf.gather(characters, ids), axis=-1)


def speech_input_length(model, vocabulary):
    """Checks a speech recognizer's inputs and classes; returns its input length."""
    inputs = getattr(model, "input", None)
    if not isinstance(inputs, dict) or sorted(inputs) != list(_INPUTS):
        described = (sorted(inputs) if isinstance(inputs, dict)
                     else None if inputs is None else type(inputs).__name__)
        raise ValueError(
            "`model` must take the speech input dict ['waveform', 'padding_mask'] "
            "(keras_transfer.build_speech_recognizer). Received: a model with inputs "
            f"{described}")
    length = inputs["waveform"].shape[-1]
    if length is None or len(inputs["waveform"].shape) != 2:
        raise ValueError("`model` must take waveforms of a fixed length [batch, samples]. "
                         f"Received: input shape {tuple(inputs['waveform'].shape)}")
    classes = model.outputs[0].shape[-1] if len(model.outputs) == 1 else None
    if classes != vocabulary.num_classes:
        raise ValueError(
            f"The model must return logits [batch, frames, {vocabulary.num_classes}] "
            f"(the vocabulary's {len(vocabulary.characters)} characters and the blank). "
            f"Received: output shapes {[tuple(x.shape) for x in model.outputs]}")
    return int(length)


def encoder_sample_rate(model, sample_rate=None):
    """The rate of a speech recognizer's encoder (see `backbone_sample_rate`)."""
    return backbone_sample_rate(getattr(_layer(model, "backbone"), "handle", None),
                                sample_rate)


def backbone_sample_rate(handle, sample_rate=None):
    """`sample_rate`, checked against a registry backbone's rate, or that rate.

    Args:
        handle: str. A registry name (its entry's `input.sample_rate` is
            used), or a path or URL (16000 unless `sample_rate` is given).
        sample_rate: int. Defaults to `None`.

    Returns:
        int, in Hz.

    Raises:
        ValueError: if `sample_rate` is not a positive int or differs from
            the registry's rate.
    """
    check_int(sample_rate, "sample_rate", minimum=1, allow_none=True, note="Hz")
    known = None
    if isinstance(handle, str):
        parsed = parse_handle(handle)
        if parsed.kind == "registry":
            known = registry.get_backbone(parsed.name).get("input", {}).get("sample_rate")
    if sample_rate is not None and known is not None and sample_rate != known:
        raise ValueError(f"The backbone {handle!r} takes {known} Hz audio. "
                         f"Received: sample_rate={sample_rate!r}")
    return int(sample_rate or known or DEFAULT_SAMPLE_RATE)


def _layer(model, name):
    try:
        return model.get_layer(name)
    except ValueError:
        return None
