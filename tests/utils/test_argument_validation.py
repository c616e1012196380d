import math

import numpy as np
import pytest

from keras_transfer.utils.argument_validation import (
    check_int,
    check_number,
    check_one_of,
    check_positive,
)


@pytest.mark.parametrize("value", [1, 7, np.int64(3)])
def test_check_int_accepts_integers_at_or_above_minimum(value):
    assert check_int(value, "every", minimum=1) is value


@pytest.mark.parametrize("value", [0, -2, 1.0, 2.5, True, "3", None])
def test_check_int_refuses_with_name_and_value(value):
    with pytest.raises(ValueError) as error:
        check_int(value, "every", minimum=1)
    assert str(error.value) == f"`every` must be an integer >= 1. Received: every={value!r}"


def test_check_int_without_minimum_and_with_none():
    assert check_int(-5, "offset") == -5
    assert check_int(None, "batch_size", minimum=1, allow_none=True) is None
    with pytest.raises(ValueError, match=r"^`batch_size` must be an integer >= 1 or None. "
                                         r"Received: batch_size=0$"):
        check_int(0, "batch_size", minimum=1, allow_none=True)
    with pytest.raises(ValueError, match=r"^`offset` must be an integer. Received: offset=1.5$"):
        check_int(1.5, "offset")


@pytest.mark.parametrize(
    "kwargs, condition",
    [
        (dict(minimum=0, min_open=True), "a number > 0"),
        (dict(minimum=1), "a number >= 1"),
        (dict(maximum=1, max_open=True), "a number < 1"),
        (dict(maximum=1), "a number <= 1"),
        (dict(minimum=0, maximum=1, min_open=True, max_open=True), "a number in (0, 1)"),
        (dict(minimum=0, maximum=1, max_open=True), "a number in [0, 1)"),
        (dict(minimum=0, finite=True), "a finite number >= 0"),
    ],
)
def test_check_number_message_states_the_bounds(kwargs, condition):
    with pytest.raises(ValueError) as error:
        check_number(-3.0 if "minimum" in kwargs else 4.0, "x", **kwargs)
    value = -3.0 if "minimum" in kwargs else 4.0
    assert str(error.value) == f"`x` must be {condition}. Received: x={value!r}"


@pytest.mark.parametrize(
    "value, kwargs, ok",
    [
        (0.0, dict(minimum=0), True),
        (0.0, dict(minimum=0, min_open=True), False),
        (1.0, dict(maximum=1), True),
        (1.0, dict(maximum=1, max_open=True), False),
        (np.float32(0.5), dict(minimum=0, maximum=1), True),
        (math.inf, dict(minimum=0), True),
        (math.inf, dict(minimum=0, finite=True), False),
        (math.nan, dict(), False),
        (math.nan, dict(minimum=0), False),
        (True, dict(), False),
        ("1", dict(), False),
        (None, dict(), False),
        (None, dict(allow_none=True), True),
    ],
)
def test_check_number_bounds(value, kwargs, ok):
    if ok:
        assert check_number(value, "x", **kwargs) is value
    else:
        with pytest.raises(ValueError, match=r"^`x` must be .*Received: x="):
            check_number(value, "x", **kwargs)


def test_check_positive_and_note():
    assert check_positive(1e-3, "learning_rate") == 1e-3
    with pytest.raises(ValueError, match=r"^`learning_rate` must be a number > 0. "
                                         r"Received: learning_rate=0$"):
        check_positive(0, "learning_rate")
    with pytest.raises(ValueError) as error:
        check_number(0.5, "decay", minimum=1, note="lower groups train slower")
    assert str(error.value) == ("`decay` must be a number >= 1 (lower groups train slower). "
                                "Received: decay=0.5")


def test_check_one_of_lists_the_choices():
    assert check_one_of("step", "unit", ("epoch", "step")) == "step"
    with pytest.raises(ValueError) as error:
        check_one_of("batch", "unit", ("epoch", "step"))
    assert str(error.value) == "`unit` must be one of ['epoch', 'step']. Received: unit='batch'"
