"""`load_textgenrnn`: textgenrnn's pretrained character LM as a Keras 3 model."""

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.language_models.textgenrnn.model import build_textgenrnn
from keras_transfer.language_models.textgenrnn.weights import (
    keras_weights, read_hdf5_weights, read_vocab, textgenrnn_files)


@keras_transfer_export("keras_transfer.language_models.load_textgenrnn")
def load_textgenrnn(archive=None):
    """Returns textgenrnn's pretrained character-level LM and its vocabulary.

    A causal LM of the ULMFiT shape, small enough for a CPU (0.4 M weights):
    given the last 40 characters it predicts the next one, over 463
    characters and the start/end token `"<s>"`. The weights and vocabulary
    come from the PyPI sdist `textgenrnn==2.0.0` (MIT), fetched once without
    its dependencies and sha256-checked
    (`keras_transfer.backbones.sdists.fetch_sdist_members`); the cuDNN LSTM
    weights are converted for Keras 3 LSTMs (see
    `keras_transfer.language_models.textgenrnn.weights`). Use it with
    `keras_transfer.language_models.next_char_probabilities` and
    `keras_transfer.language_models.generate`.

    Args:
        archive: str or path. A local copy of `textgenrnn-2.0.0.tar.gz`, for
            machines without access to PyPI. Defaults to `None` (download).

    Returns:
        tuple `(model, vocab)`: a `keras.Model` from `[batch, 40]` int32
        character indices (left-padded with 0) to `[batch, 465]`
        probabilities, and the dict character -> index.

    Raises:
        RuntimeError: if the sdist cannot be fetched or its files fail their
            checks.

    Example:

    ```python
    model, vocab = keras_transfer.language_models.load_textgenrnn()
    probs = keras_transfer.language_models.next_char_probabilities(
        model, vocab, "Thank you very muc")
    max(probs, key=probs.get)  # 'h'
    ```
    """
    weights_path, vocab_path = textgenrnn_files(archive)
    vocab = read_vocab(vocab_path)
    model = build_textgenrnn()
    for layer, arrays in keras_weights(read_hdf5_weights(weights_path)).items():
        model.get_layer(layer).set_weights(arrays)
    return model, vocab
