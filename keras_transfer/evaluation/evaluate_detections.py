"""`evaluate_detections`: COCO-style average precision of boxes (mAP@0.5, mAP@[.5:.95])."""

import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.argument_validation import check_int

COCO_IOU_THRESHOLDS = tuple(np.round(np.linspace(0.5, 0.95, 10), 2).tolist())
_RECALL_THRESHOLDS = np.linspace(0.0, 1.0, 101)


def box_iou_matrix(boxes_a, boxes_b):
    """IoU of every pair of xyxy boxes: `[len(a), len(b)]`, float64.

    Areas are `(x_max - x_min) * (y_max - y_min)` (continuous coordinates,
    no `+ 1`), as COCO's `maskUtils.iou` computes them.
    """
    a = np.asarray(boxes_a, "float64").reshape(-1, 4)
    b = np.asarray(boxes_b, "float64").reshape(-1, 4)
    width = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    height = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.where((width > 0) & (height > 0), width * height, 0.0)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _match(gt_boxes, dt_boxes, thresholds):
    """COCO's greedy matching of one image and class: `[thresholds, detections]` bool."""
    matched = np.zeros((len(thresholds), len(dt_boxes)), bool)
    if not len(gt_boxes) or not len(dt_boxes):
        return matched
    ious = box_iou_matrix(dt_boxes, gt_boxes)
    for t, threshold in enumerate(thresholds):
        taken = np.zeros(len(gt_boxes), bool)
        for d in range(len(dt_boxes)):
            best, match = min(threshold, 1 - 1e-10), -1
            for g in range(len(gt_boxes)):
                if taken[g] or ious[d, g] < best:
                    continue
                best, match = ious[d, g], g
            if match >= 0:
                taken[match] = True
                matched[t, d] = True
    return matched


def _average_precision(matched, num_gt):
    """101-point interpolated AP per threshold, from matches in score order."""
    tp = np.cumsum(matched, axis=1, dtype="float64")
    fp = np.cumsum(~matched, axis=1, dtype="float64")
    ap = np.zeros(len(matched))
    for t in range(len(matched)):
        if not matched.shape[1]:
            continue
        recall = tp[t] / num_gt
        precision = tp[t] / (tp[t] + fp[t] + np.spacing(1))
        precision = np.maximum.accumulate(precision[::-1])[::-1]
        indices = np.searchsorted(recall, _RECALL_THRESHOLDS, side="left")
        valid = indices < len(precision)
        ap[t] = precision[indices[valid]].sum() / len(_RECALL_THRESHOLDS)
    return ap


@keras_transfer_export("keras_transfer.evaluation.evaluate_detections")
def evaluate_detections(ground_truth, predictions, iou_thresholds=COCO_IOU_THRESHOLDS,
                        max_detections=100):
    """COCO-style average precision of predicted boxes against ground truth.

    Computes what `pycocotools.cocoeval.COCOeval` reports for boxes with
    area range "all": per class, each image's detections (best
    `max_detections` by score) are matched greedily, best score first, to
    the unmatched ground-truth box of highest IoU at or above each
    threshold; precision is made monotone and read at 101 recall points;
    AP is their mean. Classes without ground-truth boxes are left out of the
    means. COCO "crowd" boxes are not modelled (read them with
    `include_crowd=False`).

    Args:
        ground_truth: list of `keras_transfer.data.ImageBoxes`.
        predictions: list of `ImageBoxes` with `scores`, one per ground-truth
            image, in the same order (same `image_id`).
        iou_thresholds: sequence of float in (0, 1]. Defaults to COCO's
            0.50, 0.55, ..., 0.95.
        max_detections: int. Detections per image and class considered.
            Defaults to 100.

    Returns:
        dict with `"map"` (mean AP over the thresholds and classes: COCO's
        AP@[.5:.95] with the default thresholds), `"map_50"` and `"map_75"`
        (AP at IoU 0.5 and 0.75, `None` if not among the thresholds),
        `"per_class"` (class name -> AP over the thresholds) and
        `"per_class_50"` (class name -> AP at 0.5, `None` if 0.5 is not a
        threshold), and `"num_ground_truth"` (class name -> boxes).

    Raises:
        ValueError: if the lists differ in length or image order, the class
            names differ, a prediction has no scores, or an argument is bad.

    Example:

    ```python
    result = keras_transfer.evaluation.evaluate_detections(ground_truth, predictions)
    result["map_50"], result["map"]
    ```
    """
    check_int(max_detections, "max_detections", 1)
    thresholds = tuple(float(t) for t in iou_thresholds)
    if not thresholds or not all(0 < t <= 1 for t in thresholds):
        raise ValueError(
            "`iou_thresholds` must be a non-empty sequence of numbers in (0, 1]. "
            f"Received: iou_thresholds={list(iou_thresholds)!r}")
    if len(ground_truth) != len(predictions):
        raise ValueError(
            f"`predictions` must have one entry per ground-truth image. Received: "
            f"{len(predictions)} predictions for {len(ground_truth)} images")
    if not ground_truth:
        raise ValueError("`ground_truth` must not be empty.")
    class_names = tuple(ground_truth[0].class_names)
    for truth, predicted in zip(ground_truth, predictions):
        if truth.image_id != predicted.image_id:
            raise ValueError(
                "`predictions` must be in the order of `ground_truth`. Received: "
                f"image_id={predicted.image_id!r} where {truth.image_id!r} was expected")
        if tuple(truth.class_names) != class_names or tuple(predicted.class_names) != class_names:
            raise ValueError(
                f"All images must share the class names {list(class_names)}. "
                f"Received: {list(predicted.class_names)} for {predicted.image_id!r}")
        if predicted.scores is None:
            raise ValueError(f"The prediction for {predicted.image_id!r} has no `scores`.")

    per_class, num_gt = {}, {}
    for class_id, name in enumerate(class_names):
        scores, matches, count = [], [], 0
        for truth, predicted in zip(ground_truth, predictions):
            gt_boxes = truth.boxes[truth.class_ids == class_id]
            mine = predicted.class_ids == class_id
            order = np.argsort(-predicted.scores[mine], kind="mergesort")[:max_detections]
            dt_boxes = predicted.boxes[mine][order]
            count += len(gt_boxes)
            scores.append(predicted.scores[mine][order])
            matches.append(_match(gt_boxes, dt_boxes, thresholds))
        num_gt[name] = count
        if not count:
            continue
        scores = np.concatenate(scores)
        order = np.argsort(-scores, kind="mergesort")
        per_class[name] = _average_precision(np.concatenate(matches, axis=1)[:, order], count)

    def mean_at(index):
        values = [ap[index] for ap in per_class.values()]
        return float(np.mean(values)) if values else None

    at = {t: i for i, t in enumerate(thresholds)}
    ap_all = [float(np.mean(ap)) for ap in per_class.values()]
    return {
        "map": float(np.mean(ap_all)) if ap_all else None,
        "map_50": mean_at(at[0.5]) if 0.5 in at else None,
        "map_75": mean_at(at[0.75]) if 0.75 in at else None,
        "per_class": {name: float(np.mean(ap)) for name, ap in per_class.items()},
        "per_class_50": ({name: float(ap[at[0.5]]) for name, ap in per_class.items()}
                         if 0.5 in at else None),
        "num_ground_truth": num_gt,
    }
