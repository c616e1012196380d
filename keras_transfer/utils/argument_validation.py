"""Checks of numeric and choice arguments, with Keras-style messages.

Every public class and function of keras_transfer validates its arguments
with these helpers, so that a wrong value always gives the same kind of
message: the argument's name, what it must be, and the value received, as
Keras does (`"`every` must be an integer >= 1. Received: every=0"`).

Not public API.
"""

import math
import numbers


def check_int(value, name, minimum=None, *, allow_none=False, note=None):
    """Checks that `value` is an integer (not a bool), at least `minimum`.

    Args:
        value: the argument's value.
        name: str. The argument's name, for the message.
        minimum: int or None. The smallest value allowed. Defaults to `None`
            (any integer).
        allow_none: bool. Also accept `None`. Defaults to `False`.
        note: str or None. A short reason, added in parentheses after the
            condition. Defaults to `None`.

    Returns:
        `value`, unchanged.

    Raises:
        ValueError: naming `name` and echoing `value`.

    Example:

    >>> check_int(3, "every", minimum=1)
    3
    """
    if value is None and allow_none:
        return value
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral)
            or (minimum is not None and value < minimum)):
        condition = "an integer" + (f" >= {minimum}" if minimum is not None else "")
        _fail(name, value, condition, allow_none, note)
    return value


def check_number(value, name, minimum=None, maximum=None, *, min_open=False,
                 max_open=False, finite=False, allow_none=False, note=None):
    """Checks that `value` is a real number (not a bool) within bounds.

    NaN is always refused (it compares false with every bound).

    Args:
        value: the argument's value.
        name: str. The argument's name, for the message.
        minimum: number or None. The lower bound. Defaults to `None`.
        maximum: number or None. The upper bound. Defaults to `None`.
        min_open: bool. Exclude `minimum` itself (`> minimum`). Defaults to
            `False` (`>= minimum`).
        max_open: bool. Exclude `maximum` itself. Defaults to `False`.
        finite: bool. Also refuse infinities. Defaults to `False`.
        allow_none: bool. Also accept `None`. Defaults to `False`.
        note: str or None. A short reason, added in parentheses after the
            condition. Defaults to `None`.

    Returns:
        `value`, unchanged.

    Raises:
        ValueError: naming `name` and echoing `value`.

    Example:

    >>> check_number(0.1, "cut_frac", 0, 1, min_open=True, max_open=True)
    0.1
    """
    if value is None and allow_none:
        return value
    valid = (not isinstance(value, bool) and isinstance(value, numbers.Real)
             and not math.isnan(value) and (not finite or math.isfinite(value)))
    if valid and minimum is not None:
        valid = value > minimum if min_open else value >= minimum
    if valid and maximum is not None:
        valid = value < maximum if max_open else value <= maximum
    if not valid:
        condition = ("a finite number" if finite else "a number") + _bounds(
            minimum, maximum, min_open, max_open)
        _fail(name, value, condition, allow_none, note)
    return value


def check_positive(value, name, *, allow_none=False, note=None):
    """Checks that `value` is a number > 0 (see `check_number`).

    Example:

    >>> check_positive(1e-3, "learning_rate")
    0.001
    """
    return check_number(value, name, 0, min_open=True, allow_none=allow_none, note=note)


def check_one_of(value, name, choices):
    """Checks that `value` is one of `choices`, listing them when it is not.

    Args:
        value: the argument's value.
        name: str. The argument's name, for the message.
        choices: sequence. The values allowed.

    Returns:
        `value`, unchanged.

    Raises:
        ValueError: naming `name`, listing `choices` and echoing `value`.

    Example:

    >>> check_one_of("step", "unit", ("epoch", "step"))
    'step'
    """
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {list(choices)}. Received: {name}={value!r}")
    return value


def _bounds(minimum, maximum, min_open, max_open):
    if minimum is not None and maximum is not None:
        return (f" in {'(' if min_open else '['}{minimum}, "
                f"{maximum}{')' if max_open else ']'}")
    if minimum is not None:
        return f" {'>' if min_open else '>='} {minimum}"
    if maximum is not None:
        return f" {'<' if max_open else '<='} {maximum}"
    return ""


def _fail(name, value, condition, allow_none, note):
    message = f"`{name}` must be {condition}"
    if allow_none:
        message += " or None"
    if note:
        message += f" ({note})"
    raise ValueError(f"{message}. Received: {name}={value!r}")
