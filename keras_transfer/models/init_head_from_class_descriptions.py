"""`init_head_from_class_descriptions`: a text head that starts from words."""

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.argument_validation import check_number

DEFAULT_TEMPLATE = "This review is {}."
DEFAULT_TEMPERATURE = 0.05


@keras_transfer_export("keras_transfer.init_head_from_class_descriptions")
def init_head_from_class_descriptions(model, class_descriptions, template=DEFAULT_TEMPLATE,
                                      temperature=DEFAULT_TEMPERATURE, head="head"):
    """Sets a text classifier's head to the embeddings of its class descriptions.

    Each `template.format(description)` runs through the model's own layers
    up to the input of its `head` layer (the sentence embedding), the
    embeddings are scaled to unit length, and the head's Dense layer gets
    kernel `embeddings.T / temperature` and a zero bias. The head then scores
    a text by the dot product of its features with each class embedding:
    the zero-shot classifier of `keras_transfer.build_zero_shot_classifier`
    (which normalizes the features, so the scores are cosine similarities),
    and a head initialisation for few-shot fine-tuning of any text
    classifier, e.g. one from `keras_transfer.build_text_classifier` (whose
    features are not normalized: the predicted class is the same as with
    cosine similarity, the probabilities are sharper for longer feature
    vectors).

    Args:
        model: `keras.Model`. A functional text classifier taking strings,
            with a layer named `head` (a `keras_transfer.ClassificationHead`
            or a `keras.layers.Dense`) whose units equal the number of
            classes.
        class_descriptions: list of str. One name or description per class,
            in class-index order.
        template: str. A format string with exactly one `{}`. Defaults to
            `"This review is {}."`.
        temperature: float. Divides the embeddings (> 0). Defaults to `0.05`.
        head: str. Name of the head layer. Defaults to `"head"`.

    Returns:
        NumPy float32 array `[num_classes, features]`: the unit-length class
        embeddings.

    Raises:
        ValueError: if `model` has no layer `head`, its number of units is
            not `len(class_descriptions)`, a description is not a non-empty
            string, `template` does not hold exactly one `{}`, or
            `temperature` <= 0.

    Example:

    ```python
    model = keras_transfer.build_text_classifier("minilm_l6", num_classes=2)
    keras_transfer.init_head_from_class_descriptions(
        model, ["negative", "positive"], template="This review is {}.")
    model.fit(few_texts, few_labels, epochs=5)  # starts from the zero-shot head
    ```
    """
    if not isinstance(template, str) or template.count("{}") != 1:
        raise ValueError(
            "`template` must be a string with exactly one `{}`, where each class "
            f"description goes. Received: template={template!r}")
    check_number(temperature, "temperature", 0, min_open=True, finite=True)
    descriptions = list(class_descriptions)
    for description in descriptions:
        if not isinstance(description, str) or not description.strip():
            raise ValueError(
                "Each class description must be a non-empty string. "
                f"Received: class_descriptions={class_descriptions!r}")
    try:
        head_layer = model.get_layer(head)
    except ValueError:
        raise ValueError(
            f"`model` has no layer named {head!r} (`head`). Its layers: "
            f"{[layer.name for layer in model.layers]}") from None
    dense = getattr(head_layer, "dense", head_layer)
    units = getattr(dense, "units", None)
    if units != len(descriptions):
        raise ValueError(
            f"The head {head!r} has {units} outputs but {len(descriptions)} class "
            f"descriptions were given. Received: class_descriptions={class_descriptions!r}")

    features = keras.Model(model.inputs, head_layer.input)
    texts = tf.constant([template.format(d) for d in descriptions])
    embeddings = keras.ops.convert_to_numpy(features(texts, training=False))
    embeddings = embeddings.astype(np.float32)
    embeddings /= np.maximum(np.linalg.norm(embeddings, axis=-1, keepdims=True), 1e-12)
    weights = [embeddings.T / np.float32(temperature)]
    if dense.use_bias:
        weights.append(np.zeros([len(descriptions)], np.float32))
    dense.set_weights(weights)
    return embeddings
