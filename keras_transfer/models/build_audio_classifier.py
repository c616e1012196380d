"""`build_audio_classifier`: waveform -> audio backbone -> softmax."""

import keras

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.distribute.multi_worker import enable_multi_worker_fit
from keras_transfer.heads.classification_head import ClassificationHead
from keras_transfer.models import common
from keras_transfer.utils.argument_validation import check_int, check_positive


@keras_transfer_export("keras_transfer.build_audio_classifier")
def build_audio_classifier(
    backbone,
    num_classes,
    sample_rate=16000,
    clip_seconds=1.0,
    dropout=0.2,
    trainable=True,
    precision=None,
    compile=True,
    learning_rate=None,
    strategy=None,
):
    """Builds an audio clip classifier on a pretrained audio backbone.

    The model takes mono float32 waveforms in [-1, 1] of a fixed length,
    `round(sample_rate * clip_seconds)` samples (shape `(samples,)` per
    example: what `keras_transfer.data` loaders yield with
    `sample_rate=` and `output_sequence_length=`), and contains:

    - `backbone`: a `keras_transfer.layers.hub_backbone.HubBackbone` that
      maps the waveform to a clip embedding (`output_key` from the registry,
      e.g. `"default"`, the mean over time of `speech_embedding`'s 96-d
      frames). Feature extraction (log-mel) happens inside it.
    - `head`: a `keras_transfer.heads.classification_head.ClassificationHead`
      with dropout and a float32 softmax.

    The model does not resample: audio must already be at the backbone's
    sample rate, and for a registry backbone `sample_rate` must equal it
    (`keras_transfer.data` loaders resample with `sample_rate=`).

    `precision` sets the dtype policy of the backbone and head layers only;
    the global policy is left alone, the waveform stays float32, and the
    probabilities are float32 in every case.

    With `compile=True` the model is compiled with Adam, sparse categorical
    crossentropy and accuracy. The default learning rate is 1e-3 for a frozen
    backbone and 1e-4 for fine-tuning.

    Args:
        backbone: str or path-like. A registry name
            (`keras_transfer.backbones.registry.list_backbones("audio")`), or
            the path/URL of a SavedModel taking `[batch, samples]` float32.
        num_classes: int. Number of classes, at least 2.
        sample_rate: int. Sample rate of the input waveforms, in Hz. Defaults
            to `16000`.
        clip_seconds: float. Length of each input clip, in seconds. Defaults
            to `1.0`.
        dropout: float. Dropout rate before the last Dense layer. Defaults
            to `0.2`.
        trainable: bool. Whether the backbone's weights are trained.
            Defaults to `True`.
        precision: str. `None` (the global policy), `"float32"`,
            `"mixed_bfloat16"` or `"mixed_float16"`. Defaults to `None`.
        compile: bool. Whether to compile the model. Defaults to `True`.
        learning_rate: float. Adam learning rate. Defaults to `None` (1e-3
            when `trainable=False`, 1e-4 when `trainable=True`).
        strategy: `tf.distribute.Strategy`. When given, the variables are
            created (and the model compiled) under `strategy.scope()`.
            Under a multi-worker `MultiWorkerMirroredStrategy` the model also
            gets `keras_transfer.enable_multi_worker_fit`.
            Defaults to `None`.

    Returns:
        A `keras.Model` named `"audio_classifier"` from waveforms
        `[batch, samples]` to float32 class probabilities
        `[batch, num_classes]`.

    Raises:
        ValueError: for an unknown registry name (listing the audio
            backbones), an image or text backbone, `num_classes < 2`, a
            `sample_rate` other than the backbone's, a clip shorter than the
            backbone's minimum, or a bad `dropout` or `precision`.

    Example:

    ```python
    model = keras_transfer.build_audio_classifier(
        "speech_embedding", num_classes=10, clip_seconds=1.0, trainable=False)
    model.fit(np.zeros((8, 16000), "float32"), np.arange(8) % 10, epochs=1)
    ```
    """
    name, entry = common.resolve_backbone(backbone, "audio", "build_audio_classifier")
    num_classes = common.check_num_classes(num_classes)
    precision = common.check_precision(precision)
    learning_rate = common.default_learning_rate(learning_rate, trainable)
    check_int(sample_rate, "sample_rate", minimum=1, note="Hz")
    check_positive(clip_seconds, "clip_seconds")
    num_samples = int(round(sample_rate * clip_seconds))
    expected = entry.get("input", {}) if entry is not None else {}
    if expected.get("sample_rate") and expected["sample_rate"] != sample_rate:
        raise ValueError(
            f"Backbone {name!r} expects {expected['sample_rate']} Hz audio. Received: "
            f"sample_rate={sample_rate!r}. Resample the data (for example with "
            f"`sample_rate={expected['sample_rate']}` in the keras_transfer.data "
            "loaders) and pass that rate."
        )
    if expected.get("min_samples") and num_samples < expected["min_samples"]:
        raise ValueError(
            f"Backbone {name!r} needs clips of at least {expected['min_samples']} "
            f"samples ({expected['min_samples'] / sample_rate:.3f} s at "
            f"{sample_rate} Hz). "
            f"Received: clip_seconds={clip_seconds!r} ({num_samples} samples)."
        )

    with common.strategy_scope(strategy):
        inputs = keras.Input((num_samples,), dtype="float32", name="waveform")
        hub = common.backbone_layer(backbone, name, entry, trainable, precision)
        head = ClassificationHead(num_classes, dropout=dropout, dtype=precision,
                                  normalize=bool(entry and entry.get("head_normalize")),
                                  name="head")
        outputs = head(hub(inputs))
        model = keras.Model(inputs, outputs, name="audio_classifier")
        if compile:
            common.compile_classifier(model, learning_rate, precision)
    return enable_multi_worker_fit(model)
