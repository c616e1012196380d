"""`char_lm_dataset`: (context, next character) examples from texts, as a tf.data pipeline."""

import numpy as np
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.language_models.encode_chars import START_TOKEN
from keras_transfer.utils.argument_validation import check_int


@keras_transfer_export("keras_transfer.language_models.char_lm_dataset")
def char_lm_dataset(texts, vocab, max_length=40, batch_size=128, shuffle=True, seed=0,
                    start_token=START_TOKEN):
    """Turns texts into next-character examples for training a character LM.

    Each text is read as textgenrnn trains on it: the start token, the
    text's characters, and the start token again (which ends a text). Every
    position after the first gives one example: the characters before it,
    encoded exactly as `keras_transfer.language_models.encode_chars` does
    (last `max_length` kept, left-padded with 0, never reaching into another
    text), and the index of the character at that position. A text of `n`
    characters gives `n + 1` examples. The texts are stored once as one
    index stream; the windows are cut inside the pipeline.

    Args:
        texts: list or array of str. The training texts.
        vocab: dict. Character -> index (>= 1); unknown characters become 0.
        max_length: int. Characters of context. Defaults to 40 (textgenrnn).
        batch_size: int. Defaults to 128.
        shuffle: bool. Shuffle the examples every epoch. Defaults to `True`.
        seed: int. Seeds the shuffling. Defaults to `0`.
        start_token: str. The vocab entry that starts and ends every text.
            Defaults to `"<s>"`.

    Returns:
        `tf.data.Dataset` of `(contexts [batch, max_length] int32,
        next characters [batch] int32)` batches, with a known length.

    Raises:
        ValueError: if `texts` is empty or holds a non-str, an argument is
            out of range or `start_token` is not in `vocab`.

    Example:

    ```python
    model, vocab = keras_transfer.language_models.load_textgenrnn()
    dataset = keras_transfer.language_models.char_lm_dataset(
        ["A fine film.", "Dull."], vocab, batch_size=8)
    ```
    """
    check_int(max_length, "max_length", minimum=1)
    check_int(batch_size, "batch_size", minimum=1)
    check_int(seed, "seed", minimum=0)
    if isinstance(texts, str) or len(texts) == 0:
        raise ValueError("`texts` must be a non-empty list of str. "
                         f"Received: texts={texts!r:.80}")
    if start_token not in vocab:
        raise ValueError(f"`start_token` must be an entry of `vocab`. "
                         f"Received: start_token={start_token!r}")
    start = vocab[start_token]
    pieces, targets, offset = [], [], 0
    for text in texts:
        if not isinstance(text, str):
            raise ValueError(f"`texts` must hold str only. Received: {text!r:.80}")
        ids = [start] + [vocab.get(char, 0) for char in text] + [start]
        # max_length - 1 zeros, so every window stays inside its own text.
        piece = np.zeros(max_length - 1 + len(ids), dtype="int32")
        piece[max_length - 1:] = ids
        pieces.append(piece)
        first = offset + max_length  # the character after the start token
        targets.append(np.arange(first, offset + len(piece), dtype="int64"))
        offset += len(piece)
    stream = tf.constant(np.concatenate(pieces))
    targets = np.concatenate(targets)

    offsets = tf.range(-max_length, 0, dtype=tf.int64)

    def windows(positions):
        contexts = tf.gather(stream, positions[:, None] + offsets[None, :])
        return contexts, tf.gather(stream, positions)

    dataset = tf.data.Dataset.from_tensor_slices(targets)
    if shuffle:
        dataset = dataset.shuffle(len(targets), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size).map(windows, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)
