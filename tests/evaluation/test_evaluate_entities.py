"""Tests of evaluate_entities / entity_spans, against seqeval (an independent conlleval port)."""

import random
import warnings

import pytest

from keras_transfer.evaluation.evaluate_entities import entity_spans
from keras_transfer.evaluation.evaluate_entities import evaluate_entities

# Hand-made edge cases of conlleval's chunk rules.
EDGE_CASES = [
    ([], []),
    (["O", "O"], []),
    (["I-per"], [("per", 0, 1)]),                                   # I- starts a chunk
    (["O", "I-per", "I-per"], [("per", 1, 3)]),
    (["B-per", "B-per"], [("per", 0, 1), ("per", 1, 2)]),           # B- always starts
    (["B-per", "I-loc"], [("per", 0, 1), ("loc", 1, 2)]),           # type change
    (["I-per", "I-loc", "I-loc"], [("per", 0, 1), ("loc", 1, 3)]),
    (["B-per", "I-per", "O", "I-per"], [("per", 0, 2), ("per", 3, 4)]),
    (["I-geo-loc", "B-geo-loc", "I-geo-loc"],                       # dashes in the type
     [("geo-loc", 0, 1), ("geo-loc", 1, 3)]),
    (["O", "B-x", "I-x", "I-x"], [("x", 1, 4)]),                    # ends with the sentence
]


@pytest.fixture(scope="module")
def seqeval():
    return pytest.importorskip("seqeval.metrics", reason="pip install seqeval (dev extra)")


def _seqeval_spans(tags):
    from seqeval.metrics.sequence_labeling import get_entities

    # seqeval's `end` is inclusive.
    return [(kind, start, end + 1) for kind, start, end in get_entities(list(tags))]


@pytest.mark.parametrize("tags, expected", EDGE_CASES)
def test_edge_cases_match_hand_and_seqeval(seqeval, tags, expected):
    assert entity_spans(tags) == expected
    assert entity_spans(tags) == _seqeval_spans(tags)


def test_known_answer_computed_by_hand():
    true = [["B-person", "I-person", "O", "B-geo-loc", "O"],
            ["I-company", "I-company", "B-company", "O"]]
    predicted = [["B-person", "I-person", "O", "B-geo-loc", "I-geo-loc"],
                 ["B-company", "I-company", "B-company", "B-other"]]
    # True: person 0-2, geo-loc 3-4 | company 0-2 (I- after the start), company 2-3.
    # Predicted: person 0-2, geo-loc 3-5 (wrong end) | company 0-2, 2-3, other 3-4.
    result = evaluate_entities(true, predicted)
    assert (result["num_true"], result["num_predicted"], result["num_correct"]) == (4, 5, 3)
    assert result["precision"] == pytest.approx(3 / 5)
    assert result["recall"] == pytest.approx(3 / 4)
    assert result["f1"] == pytest.approx(2 / 3)
    assert result["accuracy"] == pytest.approx(6 / 9)
    assert list(result["per_type"]) == ["company", "geo-loc", "other", "person"]
    assert result["per_type"]["geo-loc"] == {
        "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1, "predicted": 1,
        "correct": 0}
    assert result["per_type"]["other"]["support"] == 0
    assert result["per_type"]["company"]["f1"] == 1.0
    assert result["macro_f1"] == pytest.approx(0.5)  # (1 + 0 + 0 + 1) / 4


def _random_corpus(rng, types, num_sentences, max_length):
    tags = ["O"] + [f"{p}-{t}" for t in types for p in "BI"]
    weights = [6] + [1] * (len(tags) - 1)
    return [rng.choices(tags, weights, k=rng.randint(0, max_length))
            for _ in range(num_sentences)]


@pytest.mark.parametrize("seed", range(5))
def test_random_tag_sequences_match_seqeval(seqeval, seed):
    rng = random.Random(seed)
    types = ["per", "geo-loc", "org"]
    true = _random_corpus(rng, types, 60, 12)
    # Predictions: the truth with ~30% of tags replaced, so some spans match.
    predicted = [[tag if rng.random() < 0.7 else rng.choice(
        ["O", "B-per", "I-per", "B-geo-loc", "I-geo-loc", "B-org", "I-org"])
        for tag in sentence] for sentence in true]

    for sentence in true + predicted:
        assert entity_spans(sentence) == _seqeval_spans(sentence)
    result = evaluate_entities(true, predicted)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # seqeval warns on 0/0
        report = seqeval.classification_report(true, predicted, output_dict=True,
                                               zero_division=0)
        assert result["precision"] == pytest.approx(seqeval.precision_score(true, predicted))
        assert result["recall"] == pytest.approx(seqeval.recall_score(true, predicted))
        assert result["f1"] == pytest.approx(seqeval.f1_score(true, predicted))
        assert result["accuracy"] == pytest.approx(seqeval.accuracy_score(true, predicted))
    assert result["num_correct"] > 0 and result["f1"] < 1
    for kind, scores in result["per_type"].items():
        assert scores["precision"] == pytest.approx(report[kind]["precision"])
        assert scores["recall"] == pytest.approx(report[kind]["recall"])
        assert scores["f1"] == pytest.approx(report[kind]["f1-score"])
        assert scores["support"] == report[kind]["support"]
    assert result["macro_f1"] == pytest.approx(report["macro avg"]["f1-score"])
    assert result["num_true"] == report["micro avg"]["support"]


def test_perfect_and_empty_predictions():
    true = [["B-a", "I-a", "O"], ["O"]]
    assert evaluate_entities(true, true)["f1"] == 1.0
    empty = evaluate_entities(true, [["O", "O", "O"], ["O"]])
    assert (empty["precision"], empty["recall"], empty["f1"]) == (0.0, 0.0, 0.0)
    assert empty["accuracy"] == pytest.approx(2 / 4)


def test_errors():
    with pytest.raises(ValueError, match=r"Received: tag='E-per' at position 1"):
        entity_spans(["O", "E-per"])
    with pytest.raises(ValueError, match=r"Received: tag='B-' at position 0"):
        entity_spans(["B-"])
    with pytest.raises(ValueError, match=r"same number of sentences. Received: 2 and 1"):
        evaluate_entities([["O"], ["O"]], [["O"]])
    with pytest.raises(ValueError, match=r"Sentence 0 has 2 true tags but 1 predicted"):
        evaluate_entities([["O", "O"]], [["O"]])
