"""Tests of tagged_dataset (a TaggedSplit as batches for a token classifier)."""

import numpy as np
import pytest

from keras_transfer.data.tagged_dataset import tagged_dataset
from keras_transfer.data.tagged_split import TaggedSplit
from keras_transfer.data.word_pieces import align_word_labels
from keras_transfer.models.build_token_classifier import build_token_classifier
from tests import savedmodels
from tests import tiny_tagger
from tests.tiny_tagger import SENTENCES
from tests.tiny_tagger import TAG_NAMES
from tests.tiny_tagger import TAGS


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    return tiny_tagger.toy_tokenizer(tmp_path_factory.mktemp("vocab"))


def test_batches_are_the_aligned_labels_cut_to_the_longest_row(tokenizer):
    split = TaggedSplit(SENTENCES, TAGS, tuple(TAG_NAMES))
    dataset = tagged_dataset(split, tokenizer, batch_size=2, seq_length=16, shuffle=False)
    batches = list(dataset)
    assert len(batches) == 2
    full = align_word_labels(tokenizer, SENTENCES, TAGS, TAG_NAMES, seq_length=16)
    # [CLS] jim hen ##son puppet ##eer [SEP] = 7; the second tweet has 8 pieces
    # with [CLS]/[SEP]; the last batch holds "puppeteer" alone: 4.
    (inputs, labels, weights), (inputs2, labels2, _) = batches
    assert labels.shape == (2, 9) and labels2.shape == (1, 4)
    np.testing.assert_array_equal(labels, full["labels"][:2, :9])
    np.testing.assert_array_equal(labels2, full["labels"][2:, :4])
    for key in inputs:
        np.testing.assert_array_equal(inputs[key], full["inputs"][key][:2, :9])
    np.testing.assert_array_equal(weights, (full["labels"][:2, :9] >= 0).astype("float32"))
    assert labels.dtype == "int32" and weights.dtype == "float32"
    # Every label outside the cut is -1: nothing was lost.
    assert (full["labels"][:2, 9:] == -1).all() and (full["labels"][2:, 4:] == -1).all()


def test_shuffle_keeps_inputs_and_labels_together(tokenizer):
    split = TaggedSplit(SENTENCES * 4, TAGS * 4, tuple(TAG_NAMES))
    dataset = tagged_dataset(split, tokenizer, batch_size=12, seed=3)
    first, second = ([b[0]["input_word_ids"].numpy().tolist() for b in dataset]
                     for _ in range(2))
    assert first != second  # reshuffled every epoch
    (inputs, labels, _), = list(dataset.take(1))
    by_ids = {}  # each distinct tweet's ids -> its labels
    full = align_word_labels(tokenizer, SENTENCES, TAGS, TAG_NAMES)
    for row in range(3):
        by_ids[tuple(full["inputs"]["input_word_ids"][row, :9])] = full["labels"][row, :9]
    for ids, row_labels in zip(inputs["input_word_ids"].numpy(), labels.numpy()):
        np.testing.assert_array_equal(row_labels, by_ids[tuple(ids)])


def test_fit_on_the_dataset_learns_the_tags(tokenizer, tmp_path):
    encoder = savedmodels.bert_encoder(str(tmp_path), vocab_size=50, hidden=8)
    model = build_token_classifier(encoder, len(TAG_NAMES), dropout=0.0,
                                   learning_rate=0.05)
    split = TaggedSplit(SENTENCES, TAGS, tuple(TAG_NAMES))
    dataset = tagged_dataset(split, tokenizer, batch_size=3, seed=0)
    history = model.fit(dataset, epochs=30, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    # Accuracy is weighted by labels >= 0: 11 labelled words, all right.
    assert history.history["accuracy"][-1] == 1.0


def test_errors(tokenizer):
    split = TaggedSplit(SENTENCES, TAGS, tuple(TAG_NAMES))
    with pytest.raises(ValueError, match=r"`batch_size` must be an integer >= 1"):
        tagged_dataset(split, tokenizer, batch_size=0)
    with pytest.raises(ValueError, match=r"Sentence 0 has 3 words but 1 tags"):
        tagged_dataset(TaggedSplit(SENTENCES, [["O"]] * 3, TAG_NAMES), tokenizer)
