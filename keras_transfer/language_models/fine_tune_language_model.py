"""`fine_tune_language_model`: ULMFiT's second stage, the LM adapted to in-domain text."""

import keras

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.groups.model_groups import get_layer_groups
from keras_transfer.language_models.char_lm_dataset import char_lm_dataset
from keras_transfer.language_models.encode_chars import START_TOKEN
from keras_transfer.optimizers.discriminative import discriminative_optimizer
from keras_transfer.schedules.slanted_triangular import SlantedTriangular
from keras_transfer.utils.argument_validation import check_int
from keras_transfer.utils.argument_validation import check_number
from keras_transfer.utils.argument_validation import check_positive

# The char LM's layer groups, input side first (the layer names of
# `load_textgenrnn`'s model and of `build_char_lm_classifier`'s): the
# embedding, each LSTM, then the attention pooling with the output layer.
CHAR_LM_GROUPS = [
    ("embedding", r"(^|/)embedding/"),
    ("rnn_1", r"(^|/)rnn_1/"),
    ("rnn_2", r"(^|/)rnn_2/"),
    ("head", r"(^|/)(attention|output|classifier)/"),
]
# ULMFiT's discriminative decay (Howard & Ruder 2018, section 3.2).
LM_DECAY = 2.6


@keras_transfer_export("keras_transfer.language_models.fine_tune_language_model")
def fine_tune_language_model(model, vocab, texts, epochs=1, learning_rate=4e-3,
                             decay=LM_DECAY, batch_size=128, validation_texts=None, seed=0,
                             verbose=0, start_token=START_TOKEN):
    """Fine-tunes a character LM on unlabelled in-domain text (ULMFiT stage 2).

    The texts become next-character examples
    (`keras_transfer.language_models.char_lm_dataset`) and the whole model
    trains in one `model.fit`, with ULMFiT's two LM fine-tuning pieces from
    the library: discriminative learning rates
    (`keras_transfer.discriminative_optimizer`, each group `decay` times
    slower than the one above, over the groups in `CHAR_LM_GROUPS`) and a
    slanted triangular schedule (`keras_transfer.SlantedTriangular`) over all
    steps. The model is recompiled (Adam, sparse categorical cross-entropy)
    and its weights change in place.

    Args:
        model: `keras.Model`. A character LM with textgenrnn's layer names
            (`embedding`, `rnn_1`, `rnn_2`, `attention`, `output`), such as
            `keras_transfer.language_models.load_textgenrnn`'s.
        vocab: dict. Character -> index, the model's vocabulary.
        texts: list of str. Unlabelled in-domain texts.
        epochs: int. Defaults to 1.
        learning_rate: float. The peak rate of the top group. Defaults to
            4e-3 (textgenrnn's own training rate).
        decay: float. Defaults to 2.6 (ULMFiT).
        batch_size: int. Defaults to 128.
        validation_texts: list of str. Held-out texts whose LM loss is
            reported each epoch (`val_loss`). Defaults to `None`.
        seed: int. Seeds the example order. Defaults to `0`.
        verbose: int. Passed to `fit`. Defaults to `0`.
        start_token: str. See `char_lm_dataset`. Defaults to `"<s>"`.

    Returns:
        The `keras.callbacks.History` of the fit.

    Raises:
        ValueError: on bad arguments, or when the model lacks a layer
            group's variables.

    Example:

    ```python
    model, vocab = keras_transfer.language_models.load_textgenrnn()
    texts = keras_transfer.data.load_rotten_tomatoes_unlabelled(num_examples=200)
    keras_transfer.language_models.fine_tune_language_model(model, vocab, texts)
    ```
    """
    check_int(epochs, "epochs", minimum=1)
    check_positive(learning_rate, "learning_rate")
    check_number(decay, "decay", minimum=1)
    max_length = model.input_shape[1]
    train = char_lm_dataset(texts, vocab, max_length, batch_size, shuffle=True, seed=seed,
                            start_token=start_token)
    validation = None
    if validation_texts is not None:
        validation = char_lm_dataset(validation_texts, vocab, max_length, batch_size,
                                     shuffle=False, start_token=start_token)
    total_steps = int(train.cardinality()) * epochs
    rate = learning_rate
    if total_steps >= 10:  # SlantedTriangular needs a step to rise (cut_frac 0.1)
        rate = SlantedTriangular(learning_rate, total_steps)
    groups = char_lm_groups(model)
    for group in groups:
        group.set_trainable(True)
    model.compile(optimizer=discriminative_optimizer(model, "adam", learning_rate=rate,
                                                     decay=decay, groups=groups),
                  loss="sparse_categorical_crossentropy")
    # The dataset shuffles itself; Keras warns if fit is asked to.
    return model.fit(train, epochs=epochs, validation_data=validation, verbose=verbose,
                     shuffle=False)


def char_lm_groups(model):
    """`CHAR_LM_GROUPS` as the model's `LayerGroup`s; one-line error if one is empty."""
    layers = {layer.name for layer in getattr(model, "layers", [])}
    if not {"embedding", "rnn_1", "rnn_2", "attention"} <= layers or not layers & {
            "output", "classifier"}:
        raise ValueError(
            "`model` must have textgenrnn's layers (embedding, rnn_1, rnn_2, attention "
            f"and output or classifier). Received: layers {sorted(layers)}")
    return get_layer_groups(model, CHAR_LM_GROUPS)


@keras_transfer_export("keras_transfer.language_models.evaluate_language_model")
def evaluate_language_model(model, vocab, texts, batch_size=128, start_token=START_TOKEN):
    """Returns a character LM's mean next-character loss on texts.

    Every example of `char_lm_dataset(texts, ...)` counts once (the end
    token included), so a lower value means the LM predicts these texts
    better; `exp` of it is the per-character perplexity.

    Args:
        model: `keras.Model`. A character LM.
        vocab: dict. Character -> index, the model's vocabulary.
        texts: list of str. Held-out texts.
        batch_size: int. Defaults to 128.
        start_token: str. See `char_lm_dataset`. Defaults to `"<s>"`.

    Returns:
        float. Mean cross-entropy in nats per character.

    Example:

    ```python
    model, vocab = keras_transfer.language_models.load_textgenrnn()
    keras_transfer.language_models.evaluate_language_model(model, vocab, ["A fine film."])
    ```
    """
    dataset = char_lm_dataset(texts, vocab, model.input_shape[1], batch_size, shuffle=False,
                              start_token=start_token)
    loss = keras.losses.SparseCategoricalCrossentropy(reduction="sum")
    total, count = 0.0, 0
    for contexts, targets in dataset:
        total += float(loss(targets, model.predict_on_batch(contexts)))
        count += int(targets.shape[0])
    return total / count
