"""A tiny textgenrnn-shaped model whose next-character distribution is fixed."""

import numpy as np

from keras_transfer.language_models.textgenrnn.model import build_textgenrnn

VOCAB = {"<s>": 1, "a": 2, "b": 3, "c": 4}


def fixed_model(probabilities, max_length=6):
    """A model that predicts `probabilities` (over indices 0-4) whatever the input.

    The output layer's kernel is zero, so its softmax is `softmax(bias)`;
    the bias is `log(probabilities)`.
    """
    model = build_textgenrnn(vocab_size=5, embedding_dim=3, rnn_units=2,
                             max_length=max_length)
    kernel, _ = model.get_layer("output").get_weights()
    bias = np.log(np.maximum(np.asarray(probabilities, "float64"), 1e-30))
    model.get_layer("output").set_weights([np.zeros_like(kernel), bias.astype("float32")])
    return model


def random_model(seed=0, max_length=6):
    """A randomly initialized tiny model: its output depends on the input."""
    import keras

    keras.utils.set_random_seed(seed)
    model = build_textgenrnn(vocab_size=5, embedding_dim=3, rnn_units=4,
                             max_length=max_length)
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 1.5, w.shape).astype("float32")
                       for w in model.get_weights()])
    return model
