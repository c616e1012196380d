"""keras_transfer.testing.require: a missing resource skips, except in CI where it fails."""

import pytest

from keras_transfer.testing import require


def test_available_resource_does_nothing(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert require(True, "never shown") is None


def test_missing_resource_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"^sudo apt-get install espeak-ng$"):
        require(False, "sudo apt-get install espeak-ng")
    monkeypatch.setenv("CI", "false")  # only the exact value "true" means CI
    with pytest.raises(pytest.skip.Exception):
        require(False, "sudo apt-get install espeak-ng")


def test_missing_resource_fails_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception,
                       match=r"Required resource missing in CI \(CI=true\): "
                             r"mlxtend wheel unavailable: offline"):
        require(False, "mlxtend wheel unavailable: offline")
