"""`evaluate_entities`: entity-level precision, recall and F1 (conlleval rules)."""

import re

from keras_transfer.api_export import keras_transfer_export

_TAG = re.compile(r"^(?:O|[BI]-\S+)$")


@keras_transfer_export("keras_transfer.evaluation.entity_spans")
def entity_spans(tags):
    """Returns the entities of one tagged sentence, under conlleval's rules.

    Tags are `"O"`, `"B-<type>"` or `"I-<type>"` (IOB2, as in CoNLL-2003 and
    WNUT-16, or IOB1). An entity starts at every `B-X`, and at an `I-X` that
    follows `O` or a tag of another type (so `O I-X I-X` is one entity, and
    `B-X I-Y` two); it ends before the first tag that does not continue it
    (`O`, any `B-`, or a tag of another type). These are the start and end
    rules of the CoNLL shared tasks' `conlleval` script for IOB tags; the
    sentence boundary counts as `O`.

    Args:
        tags: list of str. One tag per word.

    Returns:
        list of `(type, start, end)` tuples: the entity's type and its words
        `tags[start:end]` (`end` exclusive), in order.

    Raises:
        ValueError: if a tag is not `O`, `B-<type>` or `I-<type>` (IOBES
            tags such as `E-X` and `S-X` are not accepted).

    Example:

    ```python
    keras_transfer.evaluation.entity_spans(
        ["B-person", "I-person", "O", "I-geo-loc", "B-geo-loc"])
    # [('person', 0, 2), ('geo-loc', 3, 4), ('geo-loc', 4, 5)]
    ```
    """
    spans = []
    start, current = None, None
    for index, tag in enumerate(tags):
        if not isinstance(tag, str) or not _TAG.match(tag):
            raise ValueError(
                "Tags must be 'O', 'B-<type>' or 'I-<type>'. Received: "
                f"tag={tag!r} at position {index}"
            )
        prefix, kind = tag[0], tag[2:]
        continues = prefix == "I" and kind == current
        if current is not None and not continues:
            spans.append((current, start, index))
            current = None
        if prefix != "O" and not continues:
            start, current = index, kind
    if current is not None:
        spans.append((current, start, len(tags)))
    return spans


@keras_transfer_export(["keras_transfer.evaluate_entities",
                        "keras_transfer.evaluation.evaluate_entities"])
def evaluate_entities(true_tags, predicted_tags):
    """Computes entity-level precision, recall and F1 with exact span match.

    The CoNLL evaluation: each sentence's entities are read from its tags by
    `keras_transfer.evaluation.entity_spans` (conlleval's rules); a predicted
    entity is correct only when a true entity has the same type, the same
    first word and the same last word. Precision is correct / predicted,
    recall correct / true, F1 their harmonic mean; a ratio with a zero
    denominator is 0. The micro average pools the counts of all types (the
    number `conlleval` prints as "FB1" on its first line); the macro average
    is the unweighted mean over the types that occur in the true or the
    predicted tags. `accuracy` is the fraction of words whose predicted tag
    equals the true tag, `O` included.

    Args:
        true_tags: list of lists of str. The true tags of each sentence.
        predicted_tags: list of lists of str. The predicted tags, one list
            per sentence and one tag per word, as in `true_tags`.

    Returns:
        A JSON-serializable dict with keys `precision`, `recall`, `f1` (micro
        averages), `macro_precision`, `macro_recall`, `macro_f1`, `accuracy`,
        `num_sentences`, `num_words`, `num_true` (true entities),
        `num_predicted`, `num_correct`, and `per_type`: a dict from each type
        (sorted) to a dict with `precision`, `recall`, `f1`, `support`
        (true entities of the type), `predicted` and `correct`.

    Raises:
        ValueError: if the two lists have different numbers of sentences, a
            sentence has different numbers of true and predicted tags, or a
            tag is not `O`, `B-<type>` or `I-<type>`.

    Example:

    ```python
    result = keras_transfer.evaluate_entities(
        [["B-person", "I-person", "O", "B-geo-loc"]],
        [["B-person", "I-person", "O", "B-company"]])
    result["f1"]  # 0.5: one of two entities found, one of two predictions right
    ```
    """
    if len(true_tags) != len(predicted_tags):
        raise ValueError(
            "`true_tags` and `predicted_tags` must hold the same number of "
            f"sentences. Received: {len(true_tags)} and {len(predicted_tags)}"
        )
    counts = {}  # type -> [true, predicted, correct]
    num_words = matching_words = 0
    for index, (truth, prediction) in enumerate(zip(true_tags, predicted_tags)):
        if len(truth) != len(prediction):
            raise ValueError(
                f"Sentence {index} has {len(truth)} true tags but "
                f"{len(prediction)} predicted tags; each word needs one of each."
            )
        true_spans = set(entity_spans(truth))
        predicted_spans = set(entity_spans(prediction))
        for kind, _, _ in true_spans:
            counts.setdefault(kind, [0, 0, 0])[0] += 1
        for kind, _, _ in predicted_spans:
            counts.setdefault(kind, [0, 0, 0])[1] += 1
        for kind, _, _ in true_spans & predicted_spans:
            counts[kind][2] += 1
        num_words += len(truth)
        matching_words += sum(t == p for t, p in zip(truth, prediction))

    per_type = {kind: _scores(*counts[kind]) for kind in sorted(counts)}
    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    micro = _scores(*total)

    def macro(key):
        values = [scores[key] for scores in per_type.values()]
        return sum(values) / len(values) if values else 0.0

    return {
        "precision": micro["precision"],
        "recall": micro["recall"],
        "f1": micro["f1"],
        "macro_precision": macro("precision"),
        "macro_recall": macro("recall"),
        "macro_f1": macro("f1"),
        "accuracy": matching_words / num_words if num_words else 0.0,
        "num_sentences": len(true_tags),
        "num_words": num_words,
        "num_true": total[0],
        "num_predicted": total[1],
        "num_correct": total[2],
        "per_type": per_type,
    }


def _scores(true, predicted, correct):
    precision = correct / predicted if predicted else 0.0
    recall = correct / true if true else 0.0
    f1 = (2 * precision * recall / (precision + recall)
          if precision + recall else 0.0)
    return {"precision": precision, "recall": recall, "f1": f1,
            "support": true, "predicted": predicted, "correct": correct}
