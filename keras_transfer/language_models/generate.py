"""`generate`: sample text from a character LM, one character at a time."""

import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.language_models.encode_chars import START_TOKEN
from keras_transfer.language_models.next_char_probabilities import predict_next
from keras_transfer.utils.argument_validation import check_int
from keras_transfer.utils.argument_validation import check_number

_EPSILON = 1e-7  # as textgenrnn's sampling (keras.backend.epsilon())


@keras_transfer_export("keras_transfer.language_models.generate")
def generate(model, vocab, prefix="", num_chars=100, temperature=0.5, seed=None,
             start_token=START_TOKEN):
    """Continues `prefix` with characters sampled from a character LM.

    At each step the model's next-character probabilities `p` are sharpened
    or flattened by the temperature (`p ** (1 / temperature)`, renormalized,
    computed as textgenrnn does from `log(p + 1e-7) / temperature`) and one
    character is drawn. The padding index is never drawn. Generation stops
    after `num_chars` characters, or earlier when the start token (which
    also ends a text) is drawn. The same `seed` always gives the same text.

    Args:
        model: `keras.Model`. A character LM such as
            `keras_transfer.language_models.load_textgenrnn`'s.
        vocab: dict. Character -> index, the model's vocabulary.
        prefix: str. The text to continue. Defaults to `""`.
        num_chars: int. The most characters to generate. Defaults to 100.
        temperature: float. `0` picks the most probable character every
            time; small values (0.2-0.5) give likely text, 1.0 samples the
            model's distribution as is, larger values give more surprising
            text. Defaults to 0.5.
        seed: int or None. Seeds the sampling. Defaults to `None` (a fresh
            seed each call).
        start_token: str or None. See
            `keras_transfer.language_models.encode_chars`. Defaults to `"<s>"`.

    Returns:
        str. The generated characters only (not `prefix`, not the start
        token).

    Raises:
        ValueError: if `prefix` is not a str, `num_chars` is not an integer
            >= 1, `temperature` is not a finite number >= 0, `seed` is not
            an integer >= 0 or None, or `model` does not fit `vocab`.

    Example:

    ```python
    model, vocab = keras_transfer.language_models.load_textgenrnn()
    text = keras_transfer.language_models.generate(
        model, vocab, "The movie was", num_chars=60, temperature=0.5, seed=0)
    ```
    """
    if not isinstance(prefix, str):
        raise ValueError(f"`prefix` must be a str. Received: prefix={prefix!r}")
    check_int(num_chars, "num_chars", minimum=1)
    check_number(temperature, "temperature", minimum=0, finite=True)
    check_int(seed, "seed", minimum=0, allow_none=True)
    index_to_token = {index: token for token, index in vocab.items()}
    rng = np.random.default_rng(seed)
    text = prefix
    generated = []
    for _ in range(num_chars):
        probabilities = predict_next(model, vocab, text, start_token)
        # Only vocab entries are drawn: never the padding index 0.
        allowed = np.full(probabilities.shape, False)
        allowed[list(index_to_token)] = True
        if temperature == 0:
            index = int(np.argmax(np.where(allowed, probabilities, -1.0)))
        else:
            logits = np.where(allowed, np.log(probabilities + _EPSILON), -np.inf)
            # Shifted before dividing, so that a tiny temperature cannot overflow.
            weights = np.exp((logits - logits.max()) / temperature)
            index = int(rng.choice(len(weights), p=weights / weights.sum()))
        token = index_to_token[index]
        if token == start_token:
            break
        generated.append(token)
        text += token
    return "".join(generated)
