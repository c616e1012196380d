"""Tests for tiny_face_detector/verify.py: the astronaut's face, known answers."""

import shutil

import numpy as np
import pytest

from keras_transfer.backbones.providers.tiny_face_detector.verify import (
    FACE_BOX, box_iou, verify)


def test_finds_the_astronauts_face(converted):
    export_dir, _ = converted

    report = verify(export_dir)

    face = report["astronaut"]
    assert face["score"] == pytest.approx(0.9755, abs=0.005)
    assert face["iou"] > 0.8
    np.testing.assert_allclose(face["box"], [163.3, 75.7, 279.3, 186.6], atol=1.0)
    assert report["coffee"] == 0 and report["feature_dim"] == 512


def test_fails_on_wrong_weights(converted, tmp_path):
    export_dir, _ = converted
    broken = tmp_path / "broken"
    shutil.copytree(export_dir / "feature_vector", broken / "feature_vector")
    # The feature extractor where the detector should be: 512 channels, not 25.
    shutil.copytree(export_dir / "feature_vector", broken / "detector")

    with pytest.raises(ValueError, match=r"`outputs` must be \[batch, rows, cols, 25\]"):
        verify(broken)


def test_box_iou():
    assert box_iou(FACE_BOX, FACE_BOX) == 1.0
    assert box_iou((0, 0, 2, 2), (1, 1, 3, 3)) == pytest.approx(1 / 7)
    assert box_iou((0, 0, 1, 1), (2, 2, 3, 3)) == 0.0
