"""Tests for vgg16_hed/verify.py: the known-answer check."""

import shutil

import keras
import pytest
import tensorflow as tf

from keras_transfer.backbones.hub_format import save_hub_savedmodel
from keras_transfer.backbones.providers.vgg16_hed.model import build_model
from keras_transfer.backbones.providers.vgg16_hed.verify import (
    KNOWN_ANSWER_PHOTOS, verify)


def _save_edges(model, export_dir, source):
    shutil.copytree(source / "feature_vector", export_dir / "feature_vector")
    save_hub_savedmodel(model, export_dir / "edges",
                        tf.TensorSpec([None, None, None, 3], tf.float32))


@pytest.mark.large
def test_verify_passes_known_answers(converted):
    export_dir, _ = converted

    report = verify(export_dir)

    assert report["feature_dim"] == 512
    assert report["feature_norm"] == pytest.approx(142.1151, rel=1e-4)
    for name in KNOWN_ANSWER_PHOTOS:
        assert report[name]["sobel_pearson"] > 0.55, report
        assert report[name]["mean_on_canny"] > 2 * report[name]["mean_off_canny"]


@pytest.mark.large
def test_verify_raises_on_untrained_weights(converted, tmp_path):
    export_dir, _ = converted
    keras.utils.set_random_seed(0)
    _save_edges(build_model(weights=None), tmp_path, export_dir)

    with pytest.raises(RuntimeError, match="'camera' photo the edge map's "
                                           "Pearson r with Sobel"):
        verify(tmp_path)


@pytest.mark.large
def test_verify_raises_on_bgr_mixup(converted, tmp_path):
    export_dir, _ = converted
    model = build_model(weights="bsds500")
    kernel = model.get_layer("block1_conv1").kernel
    kernel.assign(kernel.numpy()[:, :, ::-1, :])  # Feeds RGB to a BGR kernel.
    _save_edges(model, tmp_path, export_dir)

    # The edge statistics still pass; the reference mean catches it.
    with pytest.raises(RuntimeError, match="photo the mean edge probability "
                                           r"is 0\.\d+, expected"):
        verify(tmp_path)
