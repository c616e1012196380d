"""Test session set-up: quiet TF, two logical CPUs for MirroredStrategy tests.

Also the fixtures for resources from outside the repository (Debian packages):
a test that asks for one is skipped when it is missing, and fails in CI
(`CI=true`), through `keras_transfer.testing.require`.
"""

import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_transfer.testing import require  # noqa: E402

_cpus = tf.config.list_physical_devices("CPU")
try:
    tf.config.set_logical_device_configuration(
        _cpus[0], [tf.config.LogicalDeviceConfiguration()] * 2
    )
except RuntimeError:  # already initialized by another import
    pass


@pytest.fixture
def espeak_ng():
    """The espeak-ng binary (Debian package `espeak-ng`), which renders speech."""
    require(shutil.which("espeak-ng") is not None,
            "needs the espeak-ng binary: sudo apt-get install espeak-ng")


@pytest.fixture
def fashion_mnist_files():
    """Debian's `dataset-fashion-mnist` files, which the Fashion-MNIST loader reads."""
    from keras_transfer.data.datasets.fashion_mnist import DEFAULT_PATH

    require(os.path.isdir(DEFAULT_PATH),
            f"no Fashion-MNIST files at {DEFAULT_PATH}: "
            "sudo apt-get install dataset-fashion-mnist")
