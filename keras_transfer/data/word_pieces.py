"""Word labels <-> wordpiece positions, for token classification on BERT encoders.

A tagged sentence has one tag per *word*; a BERT encoder sees *wordpieces*
(`"puppeteer"` -> `puppet ##eer`). `align_word_labels` packs words as the
encoder's input and puts each word's tag on its first wordpiece
(`IGNORE_LABEL` elsewhere); `word_tags_from_pieces` reads the prediction at
each word's first wordpiece back as one tag per word. Both use the
tokenizer of the backbone's own preprocessor SavedModel (its `tokenize` and
`bert_pack_inputs` functions), so training, evaluation and serving split
words the same way.
"""

import os

import numpy as np
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.argument_validation import check_int

# The label of positions that carry no word tag ([CLS], [SEP], padding,
# continuation wordpieces); `build_token_classifier`'s loss ignores it.
IGNORE_LABEL = -1


@keras_transfer_export("keras_transfer.data.align_word_labels")
def align_word_labels(tokenizer, sentences, tags=None, tag_names=None, seq_length=128):
    """Packs words for a BERT encoder and puts each word's tag on its first piece.

    Each word is split into wordpieces by `tokenizer.tokenize` on its own
    (WordPiece splits a word the same way whatever surrounds it, and a
    word's punctuation becomes pieces of that word: `"@paulwalk"` ->
    `@ paul ##walk`). The pieces of a sentence are packed by
    `tokenizer.bert_pack_inputs` as `[CLS] pieces [SEP]`, cut to
    `seq_length - 2` pieces and padded. A word's tag id goes to the
    position of its first piece; every other position gets `IGNORE_LABEL`
    (-1), which `keras_transfer.build_token_classifier`'s loss ignores. A
    word left with no piece in the window (cut off by `seq_length`, or made
    only of characters the tokenizer drops, such as zero-width spaces) gets
    no label, and position -1 in `word_positions`.

    Args:
        tokenizer: the backbone's preprocessor, with `tokenize` (strings
            `[n]` -> int32 RaggedTensor `[n, tokens, pieces]`) and
            `bert_pack_inputs`: a loaded SavedModel such as
            `tf.saved_model.load(keras_transfer.backbone_path("minilm_l6",
            "preprocessor"))`, or the handle of one (str or path-like,
            e.g. `"minilm_l6/preprocessor"`).
        sentences: list of lists of str. The words of each sentence.
        tags: list of lists of str. One tag per word, each in `tag_names`.
            Defaults to `None` (no labels, e.g. for prediction).
        tag_names: list of str. `tag_names[i]` is tag id `i`. Required with
            `tags`.
        seq_length: int. Positions per packed sentence, `[CLS]` and `[SEP]`
            included; at least 3. Defaults to `128`.

    Returns:
        A dict: `inputs`, the BERT input dict (`input_word_ids`,
        `input_mask`, `input_type_ids`, int32 arrays `(n, seq_length)`);
        `labels`, int32 `(n, seq_length)` (only when `tags` is given);
        `word_positions`, a list of one int32 array per sentence holding
        each word's first-piece position, -1 where the word has none; and
        `num_dropped_words`, how many words have none.

    Raises:
        ValueError: if `tokenizer` lacks `tokenize` or `bert_pack_inputs`,
            a word is not a non-empty str, `tags` does not match
            `sentences` word for word, a tag is not in `tag_names`, or
            `seq_length < 3`.

    Example:

    ```python
    tokenizer = tf.saved_model.load(
        keras_transfer.backbone_path("minilm_l6", "preprocessor"))
    batch = keras_transfer.data.align_word_labels(
        tokenizer, [["Jim", "Henson", "puppeteer"]],
        tags=[["B-person", "I-person", "O"]],
        tag_names=["O", "B-person", "I-person"], seq_length=8)
    batch["labels"][0]  # [-1, 1, 2, 0, -1, -1, -1, -1]
    model.fit(batch["inputs"], batch["labels"],
              sample_weight=batch["labels"] >= 0)
    ```
    """
    tokenizer = _load_tokenizer(tokenizer)
    seq_length = check_int(seq_length, "seq_length", minimum=3)
    sentences = [list(words) for words in sentences]
    for index, words in enumerate(sentences):
        for word in words:
            if not isinstance(word, str) or not word:
                raise ValueError(
                    "Every word must be a non-empty str. Received: "
                    f"{word!r} in sentence {index}"
                )
    tag_ids = None
    if tags is not None:
        tag_ids = _tag_ids(sentences, tags, tag_names)

    lengths = [len(words) for words in sentences]
    flat = [word for words in sentences for word in words]
    pieces = tokenizer.tokenize(tf.constant(flat, tf.string)).merge_dims(1, 2)
    by_sentence = tf.RaggedTensor.from_row_lengths(
        pieces, tf.constant(lengths, tf.int64))
    inputs = tokenizer.bert_pack_inputs(
        [tf.cast(by_sentence, tf.int32)], tf.constant(seq_length, tf.int32))
    inputs = {key: np.asarray(value, np.int32) for key, value in inputs.items()}

    pieces_per_word = pieces.row_lengths().numpy()
    positions, labels, dropped = [], None, 0
    if tag_ids is not None:
        labels = np.full((len(sentences), seq_length), IGNORE_LABEL, np.int32)
    start = 0
    for row, length in enumerate(lengths):
        counts = pieces_per_word[start:start + length]
        start += length
        first = 1 + np.cumsum(counts) - counts  # each word's first piece
        keep = (counts > 0) & (first <= seq_length - 2)
        first = np.where(keep, first, -1).astype(np.int32)
        positions.append(first)
        dropped += int((~keep).sum())
        if labels is not None:
            labels[row, first[keep]] = tag_ids[row][keep]
    result = {"inputs": inputs, "word_positions": positions,
              "num_dropped_words": dropped}
    if labels is not None:
        result["labels"] = labels
    return result


@keras_transfer_export("keras_transfer.data.word_tags_from_pieces")
def word_tags_from_pieces(predictions, word_positions, tag_names):
    """Reads one tag per word from per-wordpiece predictions.

    The inverse of `align_word_labels`: each word takes the tag predicted at
    its first wordpiece; a word with no piece (position -1) gets `"O"`.
    `keras_transfer.evaluation.entity_spans` then turns the tags of a
    sentence into entity spans.

    Args:
        predictions: array-like. Tag ids `(n, seq_length)`, or tag scores
            (probabilities or logits) `(n, seq_length, num_tags)`, whose
            argmax is taken.
        word_positions: list of int arrays. `align_word_labels`'s
            `word_positions`, one per sentence.
        tag_names: list of str. `tag_names[i]` is tag id `i`; must hold
            `"O"`.

    Returns:
        list of lists of str: the tags of each sentence's words.

    Raises:
        ValueError: if `predictions` is not 2-D or 3-D, its number of rows
            differs from `len(word_positions)`, a position is outside the
            sequence, a predicted id is not a valid index of `tag_names`,
            or `tag_names` has no `"O"`.

    Example:

    ```python
    batch = keras_transfer.data.align_word_labels(tokenizer, sentences)
    probabilities = model.predict(batch["inputs"])
    tags = keras_transfer.data.word_tags_from_pieces(
        probabilities, batch["word_positions"], tag_names)
    spans = [keras_transfer.evaluation.entity_spans(t) for t in tags]
    ```
    """
    predictions = np.asarray(predictions)
    tag_names = list(tag_names)
    if "O" not in tag_names:
        raise ValueError(f"`tag_names` must hold 'O'. Received: tag_names={tag_names}")
    if predictions.ndim == 3:
        if predictions.shape[-1] != len(tag_names):
            raise ValueError(
                f"`predictions` scores {predictions.shape[-1]} tags but `tag_names` "
                f"has {len(tag_names)}. Received: shape={predictions.shape}"
            )
        predictions = predictions.argmax(axis=-1)
    if predictions.ndim != 2 or len(predictions) != len(word_positions):
        raise ValueError(
            "`predictions` must be tag ids (n, seq_length) or scores (n, "
            f"seq_length, num_tags) with one row per sentence ({len(word_positions)})."
            f" Received: shape={predictions.shape}"
        )
    if not np.issubdtype(predictions.dtype, np.integer):
        raise ValueError(
            "`predictions` of shape (n, seq_length) must be integer tag ids. "
            f"Received: dtype={predictions.dtype}"
        )
    outside = int(predictions.min(initial=0)) < 0 or int(
        predictions.max(initial=0)) >= len(tag_names)
    if outside:
        raise ValueError(
            f"Predicted tag ids must be in [0, {len(tag_names)}). Received ids from "
            f"{predictions.min()} to {predictions.max()}"
        )
    seq_length = predictions.shape[1]
    result = []
    for row, positions in enumerate(word_positions):
        positions = np.asarray(positions, np.int64)
        if positions.size and (positions.max() >= seq_length or positions.min() < -1):
            raise ValueError(
                f"Sentence {row} has word positions outside [-1, {seq_length}). "
                f"Received: {positions.tolist()}"
            )
        result.append([tag_names[predictions[row, p]] if p >= 0 else "O"
                       for p in positions])
    return result


def _load_tokenizer(tokenizer):
    if isinstance(tokenizer, (str, os.PathLike)):
        from keras_transfer.backbones.handles import resolve_handle

        try:
            import tensorflow_text  # noqa: F401 (registers the WordPiece ops)
        except ImportError as error:
            raise ImportError(
                "Loading a BERT preprocessor needs tensorflow-text: "
                "`pip install keras-transfer[text]`."
            ) from error
        tokenizer = tf.saved_model.load(resolve_handle(tokenizer))
    missing = [name for name in ("tokenize", "bert_pack_inputs")
               if not hasattr(tokenizer, name)]
    if missing:
        raise ValueError(
            "`tokenizer` must be a BERT preprocessor with `tokenize` and "
            "`bert_pack_inputs` (e.g. the 'preprocessor' variant of minilm_l6); "
            f"it lacks {missing}. Received: tokenizer={tokenizer!r}"
        )
    return tokenizer


def _tag_ids(sentences, tags, tag_names):
    if tag_names is None:
        raise ValueError("`tag_names` is required with `tags` (tag id i is tag_names[i]).")
    index = {name: i for i, name in enumerate(tag_names)}
    if len(tags) != len(sentences):
        raise ValueError(
            f"`tags` must hold one list per sentence ({len(sentences)}). Received "
            f"{len(tags)} lists"
        )
    ids = []
    for row, (words, sentence_tags) in enumerate(zip(sentences, tags)):
        sentence_tags = list(sentence_tags)
        if len(sentence_tags) != len(words):
            raise ValueError(
                f"Sentence {row} has {len(words)} words but {len(sentence_tags)} tags."
            )
        unknown = [tag for tag in sentence_tags if tag not in index]
        if unknown:
            raise ValueError(
                f"Sentence {row} has tags not in `tag_names`: {unknown[:5]}. "
                f"tag_names={list(tag_names)}"
            )
        ids.append(np.array([index[tag] for tag in sentence_tags], np.int32))
    return ids
