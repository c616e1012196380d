"""`encode_chars`: a text as the left-padded character indices a char LM reads."""

import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.argument_validation import check_int

START_TOKEN = "<s>"


@keras_transfer_export("keras_transfer.language_models.encode_chars")
def encode_chars(text, vocab, max_length, start_token=START_TOKEN):
    """Encodes a text the way textgenrnn does, for one next-character prediction.

    The start token (when given) is put before the text's characters, each
    character is looked up in `vocab` (unknown ones become 0, the padding
    index), only the last `max_length` are kept and the rest is padded with
    0 on the left (`keras.utils.pad_sequences`' defaults).

    Args:
        text: str. The context so far; may be empty.
        vocab: dict. Character -> index (>= 1).
        max_length: int. The model's context length (40 for textgenrnn).
        start_token: str or None. The vocab entry that starts every text.
            Defaults to `"<s>"`; `None` for none.

    Returns:
        int32 numpy array of shape `(max_length,)`.

    Raises:
        ValueError: if `text` is not a str, `max_length` is not an integer >= 1
            or `start_token` is not in `vocab`.

    Example:

    ```python
    model, vocab = keras_transfer.language_models.load_textgenrnn()
    ids = keras_transfer.language_models.encode_chars("Hello", vocab, 40)
    ```
    """
    if not isinstance(text, str):
        raise ValueError(f"`text` must be a str. Received: text={text!r}")
    check_int(max_length, "max_length", minimum=1)
    tokens = list(text)
    if start_token is not None:
        if start_token not in vocab:
            raise ValueError(
                "`start_token` must be an entry of `vocab` (or None). "
                f"Received: start_token={start_token!r}")
        tokens = [start_token] + tokens
    ids = [vocab.get(token, 0) for token in tokens[-max_length:]]
    encoded = np.zeros((max_length,), dtype="int32")
    if ids:
        encoded[-len(ids):] = ids
    return encoded
