"""Fixtures of the Tiny face detector provider tests.

The weights come from the pinned npm tarball `@vladmandic/face-api@1.7.15`
(only its model files are copied into keras_transfer's cache by
`fetch_npm_members`). Tests that need them are skipped (failed in CI) when
the tarball is neither cached nor downloadable.
"""

import pytest

from keras_transfer.backbones.providers.tiny_face_detector.model import build_model
from keras_transfer.backbones.providers.tiny_face_detector.weights import (
    package_root, read_weights)
from keras_transfer.testing import require


@pytest.fixture(scope="package")
def root():
    try:
        return package_root()
    except RuntimeError as error:
        require(False, f"needs the @vladmandic/face-api@1.7.15 npm tarball: {error}")


@pytest.fixture(scope="package")
def tensors(root):
    return read_weights(root)


@pytest.fixture(scope="package")
def detector(root):
    return build_model(weights=root)


@pytest.fixture(scope="package")
def converted(tmp_path_factory, root):
    from keras_transfer.backbones.providers.tiny_face_detector.convert import convert

    export_dir = tmp_path_factory.mktemp("tiny_face_detector")
    return export_dir, convert(export_dir)
