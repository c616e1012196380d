"""Tests of the dataset registry."""

import pytest

from keras_transfer.data.registry import DATASETS
from keras_transfer.data.registry import list_datasets
from keras_transfer.data.registry import load_dataset


def test_entries_are_complete():
    for name, entry in DATASETS.items():
        for key in ("modality", "task", "loader", "description", "source", "license",
                    "splits", "num_classes"):
            assert entry[key], (name, key)
        assert entry["task"] in ("classification", "token_classification"), name
    assert DATASETS["spoken_words"]["sample_rate"] == 16000
    assert DATASETS["spoken_commands"]["sample_rate"] == 16000
    assert DATASETS["spoken_commands"]["num_classes"] == 35


def test_list_datasets():
    assert list_datasets() == ["digits", "fashion_mnist", "mnist_5k", "rotten_tomatoes",
                               "spoken_commands", "spoken_words", "vader_amazon",
                               "vader_movies", "vader_nyt",
                               "vader_tweets", "wnut16"]
    assert list_datasets("text") == ["rotten_tomatoes", "vader_amazon",
                                     "vader_movies", "vader_nyt",
                                     "vader_tweets", "wnut16"]
    assert list_datasets("image") == ["digits", "fashion_mnist", "mnist_5k"]
    assert list_datasets("audio") == ["spoken_commands", "spoken_words"]
    with pytest.raises(ValueError, match=r"Received: modality='video'"):
        list_datasets("video")


def test_load_dataset_errors_list_choices():
    with pytest.raises(ValueError, match=r"Available: \['digits', 'fashion_mnist', "
                       r"'mnist_5k', 'rotten_tomatoes', 'spoken_commands', "
                       r"'spoken_words', 'vader_amazon', "
                       r"'vader_movies', 'vader_nyt', "
                       r"'vader_tweets', 'wnut16'\]"):
        load_dataset("cifar10")
    with pytest.raises(ValueError, match=r"splits \['train', 'test'\]. "
                       r"Received: split='validation'"):
        load_dataset("mnist_5k", split="validation")
    with pytest.raises(ValueError, match=r"accepts the options \["
                       r"'num_examples', 'seed', 'path'\]. Received unknown "
                       r"option\(s\): \['image_size'\]"):
        load_dataset("mnist_5k", image_size=96)


def test_vader_entries_bind_their_domain():
    assert DATASETS["vader_tweets"]["num_classes"] == 2
    with pytest.raises(ValueError, match=r"accepts the options \['num_examples', "
                       r"'seed', 'archive'\]. Received unknown "
                       r"option\(s\): \['domain'\]"):
        load_dataset("vader_tweets", domain="vader_nyt")
    for name in ("vader_movies", "vader_amazon",
                 "vader_nyt", "vader_tweets"):
        assert DATASETS[name]["loader"].args == (name,)
