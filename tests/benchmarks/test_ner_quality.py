"""benchmarks/ner_quality.py: the word-feature baseline's features and tag bookkeeping."""

import numpy as np

from keras_transfer.data.tagged_split import TaggedSplit
from tests.benchmarks import scripts

ner = scripts.load("ner_quality")


def test_word_shape():
    assert ner.word_shape("McDonald's") == "XxXxx'x"
    assert ner.word_shape("@paulwalk") == "@xx"
    assert ner.word_shape("2016") == "dd"
    assert ner.word_shape("A" * 40) == "XX"


def test_word_features_see_the_neighbours():
    words = ["Going", "to", "NYC", "#tonight"]
    features = ner.word_features(words, 2)
    assert features["lower=nyc"] == 1.0 and features["upper"] == 1.0
    assert features["prefix2=ny"] == 1.0 and features["suffix3=nyc"] == 1.0
    assert features["-1:lower=to"] == 1.0 and features["-2:lower=going"] == 1.0
    assert features["1:lower=#tonight"] == 1.0 and features["2:outside"] == 1.0
    assert ner.word_features(words, 3)["hashtag"] == 1.0
    assert ner.word_features(words, 0)["first"] == 1.0


def test_flat_tag_ids_round_trip_per_sentence():
    split = TaggedSplit([["a", "b"], ["c"], ["d", "e", "f"]],
                        [["B-x", "I-x"], ["O"], ["O", "B-x", "O"]], ("O", "B-x", "I-x"))
    ids = ner.tag_ids(split)
    np.testing.assert_array_equal(ids, [1, 2, 0, 0, 1, 0])
    assert ner.tags_from_ids(ids, split) == split.tags
    assert len(ner.sentence_features(split.sentences)) == 6
