"""Tests for keras_transfer/report/write_detection_report.py."""

import numpy as np

from keras_transfer.data.image_boxes import make_image_boxes
from keras_transfer.report.write_detection_report import write_detection_report


def test_report_has_map_per_class_ap_and_the_pictures(tmp_path):
    truth = [make_image_boxes("a.jpg", 20, 20, [[1, 1, 9, 9]], [1], ("cat", "dog"))]
    found = [make_image_boxes("a.jpg", 20, 20, [[1, 1, 9, 9]], [1], ("cat", "dog"),
                              scores=[0.8])]
    evaluation = {"map": 0.7, "map_50": 1.0, "map_75": 1.0, "per_class": {"dog": 0.7},
                  "per_class_50": {"dog": 1.0}, "num_ground_truth": {"cat": 0, "dog": 1}}

    path = write_detection_report(tmp_path, {"loss": [3.0, 2.0]}, evaluation,
                                  [np.zeros((20, 20, 3), np.uint8)], truth, found,
                                  extra={"seconds": 1.5}, config={"epochs": 2})

    report = open(path).read()
    assert "| mAP@0.5 | 1.0000 |" in report and "| mAP@[.5:.95] | 0.7000 |" in report
    assert "| dog | 1.0000 | 0.7000 | 1 |" in report and "| cat | \u2013 | \u2013 | 0 |" in report
    assert "| Final training loss | 2.0000 |" in report
    assert "![Predicted boxes](detections.png)" in report
    assert (tmp_path / "detections.png").exists() and (tmp_path / "learning_curves.png").exists()
