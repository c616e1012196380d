"""Tests of generate: seeded determinism, temperature, stopping, validation."""

import numpy as np
import pytest

from keras_transfer.language_models.generate import generate
from tests.language_models.tiny import VOCAB, fixed_model, random_model


def test_same_seed_same_text_and_seeds_differ():
    model = random_model()
    first = generate(model, VOCAB, "ab", num_chars=25, temperature=1.0, seed=3)
    assert generate(model, VOCAB, "ab", num_chars=25, temperature=1.0, seed=3) == first
    others = {generate(model, VOCAB, "ab", num_chars=25, temperature=1.0, seed=s)
              for s in (4, 5, 6)}
    assert others != {first}
    assert set("".join(others) + first) <= set("abc")


def test_temperature_zero_is_greedy():
    model = random_model(seed=1)
    from keras_transfer.language_models.next_char_probabilities import (
        next_char_probabilities)

    text, expected = "ca", ""
    for _ in range(8):
        probs = next_char_probabilities(model, VOCAB, text)
        best = max(probs, key=probs.get)
        if best == "<s>":
            break
        expected += best
        text += best
    assert generate(model, VOCAB, "ca", num_chars=8, temperature=0, seed=0) == expected
    assert generate(model, VOCAB, "ca", num_chars=8, temperature=0, seed=9) == expected


@pytest.mark.parametrize("temperature, expected", [(0.5, 0.64 / 0.68), (2.0, 0.6667)])
def test_temperature_reshapes_the_distribution(temperature, expected):
    # p(a) = 0.8, p(b) = 0.2 -> p(a)^(1/T) / (p(a)^(1/T) + p(b)^(1/T)).
    model = fixed_model([0.0, 0.0, 0.8, 0.2, 0.0])
    text = generate(model, VOCAB, num_chars=300, temperature=temperature, seed=0)
    assert len(text) == 300
    share = text.count("a") / len(text)
    # 4 standard deviations of a 300-draw binomial share.
    assert abs(share - expected) < 4 * np.sqrt(expected * (1 - expected) / 300), share


def test_stops_at_the_start_token_and_never_draws_padding():
    assert generate(fixed_model([0.0, 0.99, 0.01, 0.0, 0.0]), VOCAB, "ab",
                    num_chars=10, temperature=0) == ""
    # Padding (index 0) is the most likely output, but is never drawn.
    model = fixed_model([0.9, 0.0, 0.1, 0.0, 0.0])
    assert generate(model, VOCAB, num_chars=5, temperature=0) == "aaaaa"
    assert generate(model, VOCAB, num_chars=5, temperature=1.0, seed=0) == "aaaaa"


@pytest.mark.parametrize("kwargs, message", [
    ({"temperature": -0.1}, r"`temperature` must be a finite number >= 0. "
                            r"Received: temperature=-0.1"),
    ({"temperature": float("nan")}, r"Received: temperature=nan"),
    ({"temperature": float("inf")}, r"Received: temperature=inf"),
    ({"temperature": "hot"}, r"Received: temperature='hot'"),
    ({"temperature": True}, r"Received: temperature=True"),
    ({"num_chars": 0}, r"`num_chars` must be an integer >= 1. Received: num_chars=0"),
    ({"num_chars": 2.5}, r"Received: num_chars=2.5"),
    ({"seed": -1}, r"`seed` must be an integer >= 0 or None. Received: seed=-1"),
    ({"prefix": None}, r"`prefix` must be a str. Received: prefix=None"),
])
def test_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate(fixed_model([0.2] * 5), VOCAB, **kwargs)
