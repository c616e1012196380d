"""A toy WordPiece tokenizer and a tiny token classifier for the NER tests."""

import os

import numpy as np
import pytest

from tests import savedmodels

TAG_NAMES = ["O", "B-person", "I-person", "B-facility", "I-facility"]
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "jim", "hen", "##son", "puppet", "##eer",
         "@", "paul", "##walk", "empire", "state", "building"]
SENTENCES = [["Jim", "Henson", "puppeteer"],
             ["@paulwalk", "Empire", "State", "Building", "jim"],
             ["puppeteer"]]
TAGS = [["B-person", "I-person", "O"],
        ["O", "B-facility", "I-facility", "I-facility", "B-person"],
        ["O"]]


def toy_tokenizer(root, seq_length=16):
    """The library's BERT preprocessor on the 15-token `VOCAB`."""
    pytest.importorskip("tensorflow_text")
    from keras_transfer.backbones.providers.minilm.preprocessor import BertPreprocessor

    path = os.path.join(root, "vocab.txt")
    with open(path, "w") as f:
        f.write("\n".join(VOCAB) + "\n")
    return BertPreprocessor(path, seq_length=seq_length)


def token_classifier(root, seed=0):
    """A token classifier on a tiny BERT-shaped encoder whose head is scaled up,
    so that different tokens get different tags (a fresh head predicts one)."""
    from keras_transfer.models.build_token_classifier import build_token_classifier

    encoder = savedmodels.bert_encoder(root, vocab_size=50, hidden=8, seed=seed)
    model = build_token_classifier(encoder, len(TAG_NAMES), dropout=0.0)
    dense = model.get_layer("head").dense
    rng = np.random.default_rng(seed)
    dense.kernel.assign(rng.normal(0, 3, dense.kernel.shape).astype("float32"))
    return model
