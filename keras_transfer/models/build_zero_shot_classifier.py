"""`build_zero_shot_classifier`: classes named in words, no labelled examples."""

import keras

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.heads.classification_head import ClassificationHead
from keras_transfer.layers.trim_padding import TrimPadding
from keras_transfer.models import common
from keras_transfer.models.init_head_from_class_descriptions import (
    DEFAULT_TEMPLATE,
    DEFAULT_TEMPERATURE,
    init_head_from_class_descriptions,
)


@keras_transfer_export("keras_transfer.build_zero_shot_classifier")
def build_zero_shot_classifier(
    backbone,
    class_descriptions,
    template=DEFAULT_TEMPLATE,
    temperature=DEFAULT_TEMPERATURE,
    preprocessor=None,
    output_key=None,
    trainable=False,
    precision=None,
    compile=True,
    learning_rate=None,
    trim_padding=True,
):
    """Builds a text classifier from class names or descriptions alone.

    Each class is described in words (`"negative"`, or `"a film the critic
    disliked"`); `template.format(description)` is embedded by the sentence
    encoder, and a text is assigned to the class whose embedding is closest
    in cosine similarity (zero-shot classification with a bi-encoder, as in
    sentence-transformers). The model is a normal Keras model, strings
    `[batch]` to float32 class probabilities `[batch, num_classes]`:

    - `preprocessor` and `trim_padding` (as in `build_text_classifier`),
    - `backbone`: the sentence encoder,
    - `normalize`: a `keras.layers.UnitNormalization` (unit-length embeddings),
    - `head`: a `keras_transfer.ClassificationHead` whose Dense kernel holds
      the unit-length class embeddings divided by `temperature`, with a zero
      bias, so its softmax is over `cos(text, class) / temperature`.

    The head is an ordinary trainable layer: with a few labelled examples,
    `model.fit` fine-tunes it (and the encoder with `trainable=True`) from
    the zero-shot starting point instead of from random weights. It exports
    with `keras_transfer.export_for_serving` like any text classifier.

    Args:
        backbone: str or path-like. A text registry name
            (`keras_transfer.backbones.registry.list_backbones("text")`), or
            the path/URL of an encoder SavedModel.
        class_descriptions: list of str. One name or description per class,
            in class-index order (at least 2).
        template: str. A format string with one `{}`, filled with each
            description before it is embedded. Defaults to
            `"This review is {}."`.
        temperature: float. Softmax temperature over the cosine
            similarities (> 0; smaller is more confident). Defaults to
            `0.05`.
        preprocessor: str or path-like. Path/URL of the SavedModel that maps
            strings to the encoder's inputs. Defaults to `None` (the
            registry's preprocessor for a registry name; none for a handle).
        output_key: str. Which encoder output is the sentence embedding.
            Defaults to `None` (the registry entry's key; the whole output
            for a handle).
        trainable: bool. Whether the encoder's weights are trained by a
            later `fit`. Defaults to `False`.
        precision: str. `None` (the global policy), `"float32"`,
            `"mixed_bfloat16"` or `"mixed_float16"`. Defaults to `None`.
        compile: bool. Compile with Adam, sparse categorical crossentropy and
            accuracy. Defaults to `True`.
        learning_rate: float. Adam learning rate. Defaults to `None` (1e-3
            when `trainable=False`, 1e-4 when `trainable=True`).
        trim_padding: bool. Cut each batch to its longest text (see
            `keras_transfer.TrimPadding`). Defaults to `True`.

    Returns:
        A `keras.Model` named `"zero_shot_classifier"`.

    Raises:
        ValueError: for an unknown or non-text backbone, fewer than 2 or
            empty class descriptions, a `template` without exactly one `{}`,
            a `temperature` <= 0, or a bad `precision`.

    Example:

    ```python
    model = keras_transfer.build_zero_shot_classifier(
        "minilm_l6", ["negative", "positive"], template="This review is {}.")
    model.predict(tf.constant(["A triumph.", "A mess."]))  # [2, 2]
    ```
    """
    name, entry = common.resolve_backbone(backbone, "text", "build_zero_shot_classifier")
    if isinstance(class_descriptions, str) or not hasattr(class_descriptions, "__len__"):
        raise ValueError(
            "`class_descriptions` must be a list of strings, one per class. "
            f"Received: class_descriptions={class_descriptions!r}")
    common.check_num_classes(len(class_descriptions), "len(class_descriptions)")
    precision = common.check_precision(precision)
    learning_rate = common.default_learning_rate(learning_rate, trainable)

    inputs = keras.Input((), dtype="string", name="text")
    encoder, pre = common.text_layers(backbone, name, entry, preprocessor,
                                      output_key, trainable, precision)
    x = pre(inputs) if pre is not None else inputs
    if pre is not None and trim_padding:
        x = TrimPadding(name="trim_padding")(x)
    x = keras.layers.UnitNormalization(dtype="float32", name="normalize")(encoder(x))
    head = ClassificationHead(len(class_descriptions), dtype=precision, name="head")
    model = keras.Model(inputs, head(x), name="zero_shot_classifier")
    init_head_from_class_descriptions(model, class_descriptions, template=template,
                                      temperature=temperature)
    if compile:
        common.compile_classifier(model, learning_rate, precision)
    return model
