"""Tests of fine_tune_language_model: lower held-out loss, ULMFiT's rates, groups."""

import keras
import numpy as np
import pytest

from keras_transfer.language_models.fine_tune_language_model import (
    evaluate_language_model, fine_tune_language_model)
from keras_transfer.schedules.slanted_triangular import SlantedTriangular
from tests.language_models.tiny import VOCAB, random_model


def test_lowers_the_loss_on_held_out_in_domain_text():
    model = random_model(seed=0)
    # The "domain": texts made of the repeated phrase "abc".
    rng = np.random.default_rng(0)
    texts = ["abc" * int(n) for n in rng.integers(2, 6, 40)]
    held_out = ["abc" * int(n) for n in rng.integers(2, 6, 10)]
    before = evaluate_language_model(model, VOCAB, held_out)
    history = fine_tune_language_model(model, VOCAB, texts, epochs=2, learning_rate=2e-2,
                                       batch_size=16, validation_texts=held_out)
    after = evaluate_language_model(model, VOCAB, held_out)
    assert after < 0.5 * before, (before, after)
    np.testing.assert_allclose(history.history["val_loss"][-1], after, rtol=1e-4)


def test_evaluate_is_the_mean_cross_entropy():
    model = random_model(seed=1)
    texts = ["ab", "cab"]
    from keras_transfer.language_models.encode_chars import encode_chars

    losses = []
    for text in texts:  # <s> text <s>: predict each character, then the end
        following = list(text) + ["<s>"]
        for i, char in enumerate(following):
            x = encode_chars(text[:i], VOCAB, 6)[None]
            losses.append(-np.log(model.predict_on_batch(x)[0, VOCAB[char]]))
    np.testing.assert_allclose(evaluate_language_model(model, VOCAB, texts),
                               np.mean(losses), rtol=1e-5)


def test_discriminative_rates_and_slanted_triangular_schedule():
    model = random_model(seed=2)
    fine_tune_language_model(model, VOCAB, ["abcabc"] * 30, learning_rate=1e-2, decay=2.0,
                             batch_size=8)
    optimizer = model.optimizer
    assert isinstance(optimizer._learning_rate, SlantedTriangular)
    assert optimizer._learning_rate.total_steps == 27  # 210 examples / 8
    rates = optimizer.group_learning_rates()
    top = rates["head"]
    np.testing.assert_allclose([rates["rnn_2"] / top, rates["rnn_1"] / top,
                                rates["embedding"] / top], [0.5, 0.25, 0.125])


def test_errors():
    plain = keras.Sequential([keras.Input((6,), dtype="int32"),
                              keras.layers.Embedding(5, 2, name="embedding"),
                              keras.layers.GlobalAveragePooling1D(),
                              keras.layers.Dense(5, name="output")])
    with pytest.raises(ValueError, match="textgenrnn's layers"):
        fine_tune_language_model(plain, VOCAB, ["abc"])
    with pytest.raises(ValueError, match="decay"):
        fine_tune_language_model(random_model(), VOCAB, ["abc"], decay=0.5)
