"""Tests of tensorflow-io feature detection."""

import sys
import types

import pytest

from keras_transfer.data import tfio_support
from keras_transfer.data.tfio_support import tensorflow_io_available


@pytest.fixture(autouse=True)
def fresh_probe():
    tfio_support._probe_tensorflow_io.cache_clear()
    yield
    tfio_support._probe_tensorflow_io.cache_clear()


def _fake_tfio(resample):
    module = types.ModuleType("tensorflow_io")
    module.__version__ = "0.37.1"
    module.audio = types.SimpleNamespace(resample=resample)
    return module


def test_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow_io", None)
    available, reason = tensorflow_io_available(return_reason=True)
    assert available is False
    assert reason.startswith("tensorflow_io is not installed")
    assert tensorflow_io_available() is False


def test_installed_but_native_ops_do_not_load(monkeypatch):
    def broken(*args, **kwargs):
        raise NotImplementedError(
            "unable to open file: libtensorflow_io.so, from paths: ['x']\n"
            "caused by: ['libtensorflow_io.so: undefined symbol: _ZN3tsl5mutex']"
        )

    monkeypatch.setitem(sys.modules, "tensorflow_io", _fake_tfio(broken))
    available, reason = tensorflow_io_available(return_reason=True)
    assert available is False
    assert "tensorflow_io 0.37.1 is installed but its native ops do not load" in reason
    assert "unable to open file: libtensorflow_io.so" in reason
    assert "undefined symbol" in reason


def test_working_tensorflow_io(monkeypatch):
    import tensorflow as tf

    def works(x, rate_in, rate_out):
        return tf.zeros([x.shape[0] * rate_out // rate_in, 1])

    monkeypatch.setitem(sys.modules, "tensorflow_io", _fake_tfio(works))
    assert tensorflow_io_available() is True


@pytest.mark.large
def test_real_tensorflow_io_on_this_tensorflow():
    pytest.importorskip("tensorflow_io")
    available, reason = tensorflow_io_available(return_reason=True)
    # tensorflow-io 0.37.1 on TensorFlow 2.21: imports, native ops fail.
    assert available or "native ops do not load" in reason
