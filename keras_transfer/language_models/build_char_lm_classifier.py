"""`build_char_lm_classifier`: a character LM's body under a new classification head."""

import keras

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.layers.attention_weighted_average import AttentionWeightedAverage
from keras_transfer.utils.argument_validation import check_int
from keras_transfer.utils.argument_validation import check_number


@keras_transfer_export("keras_transfer.language_models.build_char_lm_classifier")
def build_char_lm_classifier(lm, num_classes, max_length=256, dropout=0.1):
    """Builds a text classifier from a character LM (ULMFiT stage 3's model).

    The LM's body (`embedding`, `rnn_1` ... `rnn_N`, their concatenation and
    the `attention` pooling) is rebuilt with the same layer names and the
    LM's current weights copied in; the LM's `output` softmax is replaced by
    dropout and a new `classifier` softmax. The copy is independent:
    training the classifier leaves `lm` unchanged. The recurrent layers and
    the pooling accept any length, so the classifier reads `max_length`
    characters (a whole review), not the LM's 40; encode texts with
    `keras_transfer.language_models.encode_chars(text, vocab, max_length)`.

    Its layer groups for discriminative rates and gradual unfreezing are
    `keras_transfer.language_models.fine_tune_language_model.CHAR_LM_GROUPS`
    (`embedding`, `rnn_1`, `rnn_2`, `head` = attention and classifier);
    pass them as `fine_tune(..., groups=CHAR_LM_GROUPS)`.

    Args:
        lm: `keras.Model`. A character LM with textgenrnn's layer names, such
            as `keras_transfer.language_models.load_textgenrnn`'s (fine-tuned
            or not).
        num_classes: int. Classes of the softmax head (>= 2).
        max_length: int. Characters read per text. Defaults to 256.
        dropout: float. Dropout rate before the head. Defaults to 0.1.

    Returns:
        `keras.Model` from `[batch, max_length]` int32 character indices to
        `[batch, num_classes]` probabilities.

    Raises:
        ValueError: if `lm` lacks textgenrnn's layers or an argument is out
            of range.

    Example:

    ```python
    lm, vocab = keras_transfer.language_models.load_textgenrnn()
    model = keras_transfer.language_models.build_char_lm_classifier(lm, 2)
    ```
    """
    check_int(num_classes, "num_classes", minimum=2)
    check_int(max_length, "max_length", minimum=1)
    check_number(dropout, "dropout", 0, 1, max_open=True)
    names = [layer.name for layer in getattr(lm, "layers", [])]
    rnn_names = sorted((n for n in names if n.startswith("rnn_") and n[4:].isdigit()),
                       key=lambda n: int(n[4:]))
    if not isinstance(lm, keras.Model) or "embedding" not in names \
            or "attention" not in names or not rnn_names:
        raise ValueError("`lm` must be a character LM with textgenrnn's layers "
                         "(embedding, rnn_1 ..., attention). Received: layers "
                         f"{names}")
    embedding = lm.get_layer("embedding")
    inputs = keras.Input((max_length,), dtype="int32", name="input")
    sequences = [keras.layers.Embedding(embedding.input_dim, embedding.output_dim,
                                        name="embedding")(inputs)]
    for name in rnn_names:
        sequences.append(keras.layers.LSTM(lm.get_layer(name).units, return_sequences=True,
                                           name=name)(sequences[-1]))
    concat = keras.layers.Concatenate(name="rnn_concat")(sequences)
    pooled = AttentionWeightedAverage(name="attention")(concat)
    pooled = keras.layers.Dropout(dropout, name="dropout")(pooled)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="classifier")(pooled)
    model = keras.Model(inputs, outputs, name=f"{lm.name}_classifier")
    for name in ["embedding", *rnn_names, "attention"]:
        model.get_layer(name).set_weights(lm.get_layer(name).get_weights())
    return model
