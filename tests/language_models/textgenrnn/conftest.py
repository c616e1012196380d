"""Fixtures of the textgenrnn tests that need the real sdist (1.7 MB, from PyPI once)."""

import pytest

from keras_transfer.testing import require


@pytest.fixture(scope="package")
def files():
    from keras_transfer.language_models.textgenrnn.weights import textgenrnn_files

    try:
        return textgenrnn_files()
    except RuntimeError as error:
        require(False, f"textgenrnn==2.0.0 sdist unavailable: {error}")


@pytest.fixture(scope="package")
def loaded(files):
    from keras_transfer.language_models import load_textgenrnn

    return load_textgenrnn()
