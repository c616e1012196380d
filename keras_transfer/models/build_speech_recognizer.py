"""`build_speech_recognizer`: waveform -> audio encoder frames -> CTC logits."""

import math

import keras
import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.heads.ctc_head import CTCHead
from keras_transfer.losses.ctc_loss import CTCLoss
from keras_transfer.metrics.character_error_rate import CharacterErrorRate
from keras_transfer.metrics.word_error_rate import WordErrorRate
from keras_transfer.models import common
from keras_transfer.speech.character_vocabulary import CharacterVocabulary
from keras_transfer.utils.argument_validation import check_int, check_positive

# Output frames per second the head aims for when `upsample=None`: English
# read at 175 words per minute is about 16 characters per second, and CTC
# needs a blank between repeated letters.
MIN_FRAME_RATE = 40.0


@keras_transfer_export("keras_transfer.build_speech_recognizer")
def build_speech_recognizer(
    backbone,
    vocabulary=None,
    max_seconds=8.0,
    sample_rate=16000,
    upsample=None,
    dropout=0.1,
    trainable=True,
    pretrained=True,
    compile=True,
    learning_rate=None,
    seed=None,
):
    """Builds a character CTC recognizer on a pretrained audio encoder.

    The model takes `{"waveform": float32 [batch, samples], "padding_mask":
    bool [batch, samples]}` with `samples = round(sample_rate * max_seconds)`
    (`keras_transfer.data.pad_speech` makes both) and contains:

    - `backbone`: a `keras_transfer.HubBackbone` giving the encoder's frames
      (`output_key="sequence_output"`: `whisper_base`'s 512-d vectors every
      20 ms, `speech_embedding`'s 96-d vectors every 80 ms). Padded samples
      are zeroed before it.
    - `head`: a `keras_transfer.CTCHead` with dropout and float32 logits
      over the vocabulary's characters plus the blank; frames past each
      clip's end are forced to the blank, so the loss and decoding see the
      real length.

    Every clip is padded to the same `samples`, so an encoder whose
    attention has no mask (`whisper_base`) gives a clip the same features
    whatever the other clips of its batch are; the padding still takes part
    in the attention, as in Whisper's own 30 s windows.

    `pretrained=False` gives the from-scratch baseline of the same size: the
    backbone's trainable variables are re-drawn (Glorot-uniform kernels,
    zero biases and LayerNorm offsets, unit LayerNorm scales); its fixed
    parts (log-mel filters, Whisper's sinusoidal positions) are kept.

    With `compile=True`: Adam, `keras_transfer.CTCLoss`, and the greedy
    `keras_transfer.metrics.CharacterErrorRate` and `WordErrorRate`. The
    default learning rate is 1e-3 for a frozen backbone and 1e-4 otherwise.
    The encoder's layer groups (`keras_transfer.get_layer_groups`) work with
    `ProgressiveUnfreezing` and `DiscriminativeLR`.

    Args:
        backbone: str or path-like. A registry audio backbone or the path of
            a SavedModel mapping `[batch, samples]` float32 to a dict with a
            `"sequence_output"` `[batch, frames, features]`.
        vocabulary: `keras_transfer.speech.CharacterVocabulary`. Defaults to
            `None` (space, apostrophe, a-z).
        max_seconds: float. Longest clip, in seconds. Defaults to `8.0`.
        sample_rate: int. Hz; must be the backbone's. Defaults to `16000`.
        upsample: int. Output frames per encoder frame. Defaults to `None`:
            the smallest giving at least 40 frames per second.
        dropout: float. Dropout before the logits. Defaults to `0.1`.
        trainable: bool. Whether the backbone is trained. Defaults to `True`.
        pretrained: bool. Keep the backbone's weights (`True`) or re-draw
            them for a from-scratch baseline (`False`). Defaults to `True`.
        compile: bool. Compile the model. Defaults to `True`.
        learning_rate: float. Adam learning rate. Defaults to `None`.
        seed: int. Seeds dropout and the re-drawn weights. Defaults to `None`.

    Returns:
        A `keras.Model` named `"speech_recognizer"` from the input dict to
        float32 logits `[batch, frames, vocabulary.num_classes]`.

    Raises:
        ValueError: for an unknown or non-audio backbone, a `sample_rate`
            other than the backbone's, a `max_seconds` outside its limits,
            `pretrained=False` with `trainable=False`, or another bad
            argument.

    Example:

    ```python
    model = keras_transfer.build_speech_recognizer("whisper_base", max_seconds=6.0)
    inputs = keras_transfer.data.pad_speech(waveforms, 96000)
    labels = keras_transfer.speech.CharacterVocabulary().encode(transcripts)
    model.fit(inputs, labels, batch_size=8, epochs=10)
    ```
    """
    name, entry = common.resolve_backbone(backbone, "audio", "build_speech_recognizer")
    vocabulary = vocabulary or CharacterVocabulary()
    if not isinstance(vocabulary, CharacterVocabulary):
        raise ValueError("`vocabulary` must be a keras_transfer.speech.CharacterVocabulary. "
                         f"Received: vocabulary={vocabulary!r}")
    check_int(sample_rate, "sample_rate", minimum=1, note="Hz")
    check_positive(max_seconds, "max_seconds")
    check_int(upsample, "upsample", minimum=1, allow_none=True)
    if not pretrained and not trainable:
        raise ValueError("A from-scratch baseline (`pretrained=False`) must train its "
                         "backbone: pass trainable=True.")
    learning_rate = common.default_learning_rate(learning_rate, trainable)
    samples = int(round(sample_rate * max_seconds))
    expected = entry.get("input", {}) if entry is not None else {}
    if expected.get("sample_rate") and expected["sample_rate"] != sample_rate:
        raise ValueError(
            f"Backbone {name!r} expects {expected['sample_rate']} Hz audio. "
            f"Received: sample_rate={sample_rate!r}. Resample the audio "
            "(keras_transfer.data.resample) and pass that rate.")
    low, high = expected.get("min_samples"), expected.get("max_samples")
    if (low and samples < low) or (high and samples > high):
        raise ValueError(
            f"Backbone {name!r} takes {low or 1} to {high or 'any number of'} "
            f"samples; max_seconds={max_seconds!r} gives {samples} at {sample_rate} Hz.")

    hub = common.backbone_layer(backbone, name, entry, trainable, None,
                                output_key="sequence_output")
    if not pretrained:
        reinitialize(hub, seed)
    frames = int(keras.ops.shape(hub(np.zeros((1, samples), np.float32)))[1])
    if upsample is None:
        upsample = max(1, math.ceil(MIN_FRAME_RATE * max_seconds / frames))
    waveform = keras.Input((samples,), dtype="float32", name="waveform")
    padding_mask = keras.Input((samples,), dtype="bool", name="padding_mask")
    clean = keras.ops.where(padding_mask, waveform, 0.0)
    head = CTCHead(vocabulary.num_classes, upsample=upsample, dropout=dropout, seed=seed,
                   name="head")
    logits = head(hub(clean), padding_mask=padding_mask)
    model = keras.Model({"waveform": waveform, "padding_mask": padding_mask}, logits,
                        name="speech_recognizer")
    if compile:
        model.compile(
            optimizer=common.make_optimizer(learning_rate, None),
            loss=CTCLoss(),
            metrics=[CharacterErrorRate(), WordErrorRate(vocabulary.characters)],
        )
    return model


def reinitialize(layer, seed=None):
    """Re-draws a layer's trainable variables: the from-scratch baseline.

    Rank >= 2 variables get Glorot-uniform values (fans as Keras computes
    them for Dense and convolution kernels); rank-1 variables whose name
    ends in `gamma` or `scale` get ones, the others (biases, LayerNorm
    `beta`) zeros. Non-trainable variables are left alone.

    Args:
        layer: `keras.layers.Layer`. Typically a `HubBackbone`.
        seed: int. Defaults to `None`.

    Returns:
        The number of variables re-drawn.
    """
    generator = keras.random.SeedGenerator(seed)
    count = 0
    for variable in layer.trainable_weights:
        shape = tuple(variable.shape)
        leaf = variable.path.replace("__", "/").rsplit("/", 1)[-1]
        if len(shape) >= 2:
            value = keras.initializers.GlorotUniform(
                seed=int(keras.random.randint((), 0, 2**30, seed=generator)))(
                    shape, variable.dtype)
        elif leaf in ("gamma", "scale"):
            value = keras.ops.ones(shape, variable.dtype)
        else:
            value = keras.ops.zeros(shape, variable.dtype)
        variable.assign(value)
        count += 1
    return count
