"""Tests for keras_transfer/evaluation/evaluate_detections.py, against pycocotools."""

import contextlib
import importlib.util
import io

import numpy as np
import pytest

from keras_transfer.data.image_boxes import make_image_boxes
from keras_transfer.evaluation.evaluate_detections import box_iou_matrix, evaluate_detections
from keras_transfer.testing import require

CLASSES = ("cat", "dog", "bird")  # no bird in the ground truth: left out of the means


def _random_case(seed, num_images=8):
    rng = np.random.default_rng(seed)
    truth, predicted = [], []
    for index in range(num_images):
        n = int(rng.integers(0, 6))
        xy = rng.uniform(0, 150, (n, 2))
        wh = rng.uniform(8, 60, (n, 2))
        boxes = np.concatenate([xy, xy + wh], axis=1)
        classes = rng.integers(0, 2, n)
        truth.append(make_image_boxes(f"img{index}", 200, 200, boxes, classes, CLASSES))
        # Detections: most true boxes, jittered (some IoUs fall between the
        # thresholds), a few with the wrong class, plus false positives.
        keep = rng.uniform(size=n) < 0.8
        jitter = rng.normal(0, 0.08, (n, 4)) * np.concatenate([wh, wh], axis=1)
        found = (boxes + jitter)[keep]
        found[:, 2:] = np.maximum(found[:, 2:], found[:, :2] + 1)
        labels = np.where(rng.uniform(size=n) < 0.1, rng.integers(0, 3, n), classes)[keep]
        m = int(rng.integers(0, 4))
        xy = rng.uniform(0, 150, (m, 2))
        extra = np.concatenate([xy, xy + rng.uniform(8, 60, (m, 2))], axis=1)
        found = np.concatenate([found, extra])
        labels = np.concatenate([labels, rng.integers(0, 3, m)])
        scores = rng.uniform(0.05, 1.0, len(found))
        predicted.append(make_image_boxes(f"img{index}", 200, 200, found, labels, CLASSES,
                                          scores=scores))
    return truth, predicted


def _pycocotools(truth, predicted):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    def xywh(box):
        x0, y0, x1, y1 = (float(v) for v in box)
        return [x0, y0, x1 - x0, y1 - y0]

    annotations = [
        {"id": len(annotations_seen) + 1, "image_id": i, "category_id": int(c) + 1,
         "bbox": xywh(b), "area": xywh(b)[2] * xywh(b)[3], "iscrowd": 0}
        for annotations_seen in [[]]
        for i, t in enumerate(truth) for b, c in zip(t.boxes, t.class_ids)
        if not annotations_seen.append(1)]
    ground = COCO()
    ground.dataset = {
        "images": [{"id": i, "width": t.width, "height": t.height} for i, t in enumerate(truth)],
        "categories": [{"id": k + 1, "name": n} for k, n in enumerate(CLASSES)],
        "annotations": annotations}
    results = [{"image_id": i, "category_id": int(c) + 1, "bbox": xywh(b), "score": float(s)}
               for i, p in enumerate(predicted)
               for b, c, s in zip(p.boxes, p.class_ids, p.scores)]
    with contextlib.redirect_stdout(io.StringIO()):
        ground.createIndex()
        evaluation = COCOeval(ground, ground.loadRes(results), "bbox")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    precision = evaluation.eval["precision"][:, :, :, 0, 2]  # area all, 100 dets
    return evaluation.stats, precision


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_matches_pycocotools(seed):
    require(importlib.util.find_spec("pycocotools") is not None,
            "needs pycocotools: pip install keras_transfer[dev]")
    truth, predicted = _random_case(seed)

    ours = evaluate_detections(truth, predicted)
    stats, precision = _pycocotools(truth, predicted)

    assert 0.2 < ours["map"] < ours["map_50"] < 1.0  # a case with real errors
    assert ours["map"] == pytest.approx(stats[0], abs=1e-12)
    assert ours["map_50"] == pytest.approx(stats[1], abs=1e-12)
    assert ours["map_75"] == pytest.approx(stats[2], abs=1e-12)
    for k, name in enumerate(CLASSES[:2]):
        assert ours["per_class"][name] == pytest.approx(precision[:, :, k].mean(), abs=1e-12)
        assert ours["per_class_50"][name] == pytest.approx(precision[0, :, k].mean(), abs=1e-12)
    assert "bird" not in ours["per_class"] and ours["num_ground_truth"]["bird"] == 0


def test_known_answers_by_hand():
    truth = [make_image_boxes("a", 100, 100, [[0, 0, 10, 10], [50, 50, 70, 70]], [0, 0],
                              ("cat",))]
    # A perfect box (score 0.9), a false positive (0.8), and a box of IoU 0.6
    # with the second cat (0.7): at IoU 0.5 precision 1 up to recall 0.5,
    # then 2/3 up to recall 1.
    predicted = [make_image_boxes("a", 100, 100,
                                  [[0, 0, 10, 10], [80, 80, 90, 90], [50, 50, 70, 62]],
                                  [0, 0, 0], ("cat",), scores=[0.9, 0.8, 0.7])]

    result = evaluate_detections(truth, predicted, iou_thresholds=[0.5, 0.75])

    assert box_iou_matrix([[50, 50, 70, 62]], [[50, 50, 70, 70]])[0, 0] == pytest.approx(0.6)
    assert result["map_50"] == pytest.approx((51 * 1.0 + 50 * 2 / 3) / 101)
    assert result["map_75"] == pytest.approx(51 / 101)
    assert result["map"] == pytest.approx((result["map_50"] + result["map_75"]) / 2)
    perfect = evaluate_detections(truth, [truth[0]._replace(scores=np.ones(2, "float32"))])
    assert perfect["map"] == 1.0


@pytest.mark.parametrize("change, message", [
    ({"predictions": []}, "one entry per ground-truth image"),
    ({"iou_thresholds": [0.0]}, "`iou_thresholds` must be a non-empty sequence"),
    ({"max_detections": 0}, "max_detections"),
    ({"predictions": [make_image_boxes("b", 1, 1, [], [], ("cat",), scores=[])]},
     "in the order of `ground_truth`"),
    ({"predictions": [make_image_boxes("a", 1, 1, [], [], ("cat",))]}, "has no `scores`"),
    ({"predictions": [make_image_boxes("a", 1, 1, [], [], ("dog",), scores=[])]},
     "share the class names"),
])
def test_refuses_bad_arguments(change, message):
    arguments = {"ground_truth": [make_image_boxes("a", 1, 1, [], [], ("cat",))],
                 "predictions": [make_image_boxes("a", 1, 1, [], [], ("cat",), scores=[])]}
    arguments.update(change)
    with pytest.raises(ValueError, match=message):
        evaluate_detections(**arguments)
