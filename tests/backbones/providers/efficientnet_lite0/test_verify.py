"""Tests for efficientnet_lite0/verify.py: the known-answer check."""

import shutil

import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.backbones.hub_format import save_hub_savedmodel
from keras_transfer.backbones.providers.efficientnet_lite0.model import build_model
from keras_transfer.backbones.providers.efficientnet_lite0.verify import verify


ESPRESSO = 967
DOMESTIC_CATS = {281, 282, 283, 284, 285}


@pytest.mark.large
def test_verify_passes_known_answers(converted):
    export_dir, _ = converted

    report = verify(export_dir)

    assert report["feature_dim"] == 1280
    assert report["coffee"][0][0] == ESPRESSO
    assert report["coffee"][0][1] > 0.9
    assert report["chelsea"][0][0] in DOMESTIC_CATS
    assert sum(p for i, p in report["chelsea"] if i in DOMESTIC_CATS) > 0.9


@pytest.mark.large
def test_verify_raises_on_wrong_weights(converted, tmp_path):
    export_dir, _ = converted
    broken = tmp_path / "broken"
    shutil.copytree(export_dir / "feature_vector", broken / "feature_vector")
    model = build_model(weights=None)
    bias = np.zeros(1000, "float32")
    bias[7] = 1e3  # Every image becomes class 7 ("cock").
    model.get_layer("predictions").bias.assign(bias)
    save_hub_savedmodel(model, broken / "classification",
                        tf.TensorSpec([None, None, None, 3], tf.float32))

    with pytest.raises(RuntimeError,
                       match="'coffee' photo: top-1 class is 7, expected"):
        verify(broken)
