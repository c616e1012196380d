"""The textgenrnn network in Keras 3: embedding, two LSTMs, attention pooling, softmax."""

import keras

from keras_transfer.language_models.textgenrnn.config import ARCHITECTURE
from keras_transfer.layers.attention_weighted_average import AttentionWeightedAverage
from keras_transfer.utils.argument_validation import check_int


def build_textgenrnn(vocab_size=ARCHITECTURE["vocab_size"],
                     embedding_dim=ARCHITECTURE["embedding_dim"],
                     rnn_units=ARCHITECTURE["rnn_units"],
                     rnn_layers=ARCHITECTURE["rnn_layers"],
                     max_length=ARCHITECTURE["max_length"]):
    """Builds textgenrnn's character LM, randomly initialized.

    `input [batch, max_length] int32` -> `embedding` -> `rnn_1` ... `rnn_N`
    (LSTMs returning sequences, each fed by the previous one) ->
    `rnn_concat` (the embedding and every LSTM's outputs) -> `attention`
    (`keras_transfer.AttentionWeightedAverage`) -> `output` (softmax over
    `vocab_size` characters, index 0 being padding). The layer names are
    textgenrnn's, which its HDF5 weights file is keyed by. The defaults are
    the pretrained model's.

    Args:
        vocab_size: int. Characters, including padding index 0. Defaults to 465.
        embedding_dim: int. Defaults to 100.
        rnn_units: int. Units of each LSTM. Defaults to 128.
        rnn_layers: int. Number of stacked LSTMs. Defaults to 2.
        max_length: int. Characters of context. Defaults to 40.

    Returns:
        `keras.Model` mapping `[batch, max_length]` indices to
        `[batch, vocab_size]` next-character probabilities.
    """
    for value, name in ((vocab_size, "vocab_size"), (embedding_dim, "embedding_dim"),
                        (rnn_units, "rnn_units"), (rnn_layers, "rnn_layers"),
                        (max_length, "max_length")):
        check_int(value, name, minimum=1)
    inputs = keras.Input((max_length,), dtype="int32", name="input")
    embedded = keras.layers.Embedding(vocab_size, embedding_dim, name="embedding")(inputs)
    sequences = [embedded]
    for i in range(rnn_layers):
        sequences.append(keras.layers.LSTM(
            rnn_units, return_sequences=True, name=f"rnn_{i + 1}")(sequences[-1]))
    concat = keras.layers.Concatenate(name="rnn_concat")(sequences)
    pooled = AttentionWeightedAverage(name="attention")(concat)
    outputs = keras.layers.Dense(vocab_size, activation="softmax", name="output")(pooled)
    return keras.Model(inputs, outputs, name="textgenrnn")
