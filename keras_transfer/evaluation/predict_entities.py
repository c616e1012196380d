"""`predict_entities`: a token classifier's word tags and entity spans for sentences."""

import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.data.tagged_dataset import trim_batch
from keras_transfer.data.word_pieces import align_word_labels
from keras_transfer.data.word_pieces import word_tags_from_pieces
from keras_transfer.evaluation.evaluate_entities import entity_spans
from keras_transfer.utils.argument_validation import check_int


@keras_transfer_export(["keras_transfer.predict_entities",
                        "keras_transfer.evaluation.predict_entities"])
def predict_entities(model, tokenizer, sentences, tag_names, batch_size=32,
                     seq_length=128):
    """Tags the words of sentences with a token classifier, and reads the entities.

    The Python counterpart of the serving export
    (`keras_transfer.export.export_token_classifier`): the words are packed
    by `keras_transfer.data.align_word_labels` with the backbone's own
    tokenizer, each batch is cut to its longest row and run through the
    model, and each word takes the tag predicted at its first wordpiece
    (`keras_transfer.data.word_tags_from_pieces`; a word with no piece in
    the window is `"O"`). The spans follow conlleval's rules
    (`keras_transfer.evaluation.entity_spans`).

    Args:
        model: `keras.Model`. A token classifier on the BERT input dict, as
            built by `keras_transfer.build_token_classifier`, returning
            `[batch, length, num_tags]` scores.
        tokenizer: the backbone's preprocessor (a loaded SavedModel with
            `tokenize` and `bert_pack_inputs`, or its handle).
        sentences: list of lists of str. The words of each sentence.
        tag_names: list of str. `tag_names[i]` is the model's tag `i`; must
            hold `"O"`.
        batch_size: int. Sentences per model call. Defaults to `32`.
        seq_length: int. The most wordpieces per sentence, `[CLS]` and
            `[SEP]` included. Defaults to `128`.

    Returns:
        A dict with `tags` (list of lists of str, one tag per word) and
        `spans` (for each sentence, a list of `(type, start, end)` tuples,
        `end` exclusive).

    Raises:
        ValueError: for a word that is not a non-empty str, a bad tokenizer,
            a model whose output does not score `len(tag_names)` tags, or
            `batch_size < 1`.

    Example:

    ```python
    test = keras_transfer.data.load_dataset("wnut16", split="test")
    predicted = keras_transfer.predict_entities(
        model, tokenizer, test.sentences, test.tag_names)
    keras_transfer.evaluate_entities(test.tags, predicted["tags"])["f1"]
    ```
    """
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    batch = align_word_labels(tokenizer, sentences, seq_length=seq_length)
    inputs, positions = batch["inputs"], batch["word_positions"]
    tags = []
    for start in range(0, len(positions), batch_size):
        rows = slice(start, start + batch_size)
        (rows_inputs,) = trim_batch({k: v[rows] for k, v in inputs.items()})
        scores = np.asarray(model(rows_inputs, training=False))
        tags.extend(word_tags_from_pieces(scores, positions[rows], tag_names))
    return {"tags": tags, "spans": [entity_spans(t) for t in tags]}
