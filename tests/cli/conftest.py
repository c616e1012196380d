"""Fixtures of the CLI tests: a tiny image folder and a tiny image backbone."""

import numpy as np
import pytest
import tensorflow as tf

from tests import savedmodels


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for label, level in (("dark", 40), ("light", 200)):
            folder = root / split / label
            folder.mkdir(parents=True)
            for i in range(8 if split == "train" else 4):
                pixels = np.clip(level + rng.normal(0, 10, (12, 12, 3)), 0, 255).astype("uint8")
                (folder / f"{i}.png").write_bytes(tf.io.encode_png(pixels).numpy())
    return root


@pytest.fixture(scope="module")
def tiny_backbone(tmp_path_factory):
    return savedmodels.image_feature_vector(str(tmp_path_factory.mktemp("backbone")))
