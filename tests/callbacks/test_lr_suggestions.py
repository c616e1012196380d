import math

import numpy as np
import pytest

from keras_transfer.callbacks.lr_suggestions import suggest, trim_curve, valley_index

RATES = [10.0 ** (-5 + k / 4) for k in range(17)]  # 1e-5 .. 1e-1


def test_valley_index_matches_fastai_on_a_known_curve():
    # Longest strictly decreasing run: indices 0..6 (lds = 7 at index 6);
    # fastai's bookkeeping gives max_start = 6 - 7 = -1, sections = 7 / 3:
    # index -1 + int(2.33) + int(1.17) = 2.
    losses = [5.0, 4.0, 3.5, 3.0, 2.0, 1.5, 1.0, 2.0, 9.0]
    assert valley_index(losses) == 2
    assert valley_index([1.0, 2.0, 3.0]) == 0  # nothing decreases: the start


def test_rules_on_a_known_curve():
    losses = [3.0, 2.9, 2.5, 1.0, 0.9, 0.8, 2.0]
    rates = RATES[:7]
    # Steepest drop per log-rate: 2.5 -> 1.0, between indices 2 and 3.
    assert suggest(rates, losses, "steepest") == rates[2]
    # Lowest loss 0.8 at index 5, divided by 10.
    assert suggest(rates, losses, "minimum") == rates[5] / 10
    # Decreasing run 3.0 .. 0.8 (lds = 6 at index 5): -1 + int(2) + int(1) = 2.
    assert suggest(rates, losses, "valley") == rates[2]
    assert suggest(rates, losses) == rates[2]


def test_unknown_rule_lists_the_rules():
    with pytest.raises(ValueError, match=r"`rule` must be one of \['valley', 'steepest', "
                                         r"'minimum'\]. Received: rule='lowest'"):
        suggest(RATES[:3], [3.0, 2.0, 1.0], "lowest")


def test_trim_curve_drops_non_finite_then_the_ends():
    losses = [float(k) for k in range(17)]
    losses[3] = math.nan
    losses[4] = math.inf
    rates, kept = trim_curve(RATES, losses, skip_start=2)
    # 15 finite points (3 and 4 dropped); then the first 2 and the last 5 go.
    np.testing.assert_array_equal(kept, [2.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0])
    np.testing.assert_array_equal(rates, [RATES[k] for k in (2, 5, 6, 7, 8, 9, 10, 11)])
    assert rates.dtype == np.float64


def test_trim_curve_keeps_a_short_curve_and_refuses_an_empty_one():
    rates, kept = trim_curve(RATES[:4], [3.0, 2.0, 1.0, 0.5], skip_start=1)
    np.testing.assert_array_equal(kept, [3.0, 2.0, 1.0, 0.5])
    with pytest.raises(ValueError, match="at least 2 recorded steps .* it has 1"):
        trim_curve(RATES[:2], [1.0, math.nan], skip_start=0)
