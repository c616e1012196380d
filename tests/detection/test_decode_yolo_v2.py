"""Tests for keras_transfer/detection/decode_yolo_v2.py."""

import math

import numpy as np
import pytest

from keras_transfer.detection.decode_yolo_v2 import decode_yolo_v2

ANCHORS = [(1.0, 2.0), (3.0, 1.0)]
LOW = -10.0  # sigmoid(-10) = 4.5e-5: no object


def _logit(p):
    return math.log(p / (1 - p))


def _outputs(rows=2, cols=4, encoding=5):
    out = np.zeros((1, rows, cols, len(ANCHORS), encoding), "float32")
    out[..., 4] = LOW
    return out


def test_decodes_cell_offsets_anchor_sizes_and_sigmoid_scores():
    out = _outputs()
    # Row 1, column 2, anchor 1: centre offsets 0.25/0.75, size exp(ln 2) x anchor.
    out[0, 1, 2, 1] = [_logit(0.25), _logit(0.75), math.log(2.0), 0.0, _logit(0.9)]
    # Row 0, column 0, anchor 0: centred in its cell, anchor-sized.
    out[0, 0, 0, 0] = [0.0, 0.0, 0.0, 0.0, _logit(0.6)]

    found = decode_yolo_v2(out.reshape(1, 2, 4, 10), ANCHORS)[0]

    cx, cy, w, h = (2 + 0.25) / 4, (1 + 0.75) / 2, 2 * 3.0 / 4, 1.0 / 2
    np.testing.assert_allclose(found["scores"], [0.9, 0.6], atol=1e-6)
    np.testing.assert_allclose(found["boxes"], [
        [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2],
        [0.125 - 0.125, 0.25 - 0.5, 0.125 + 0.125, 0.25 + 0.5]], atol=1e-6)
    np.testing.assert_array_equal(found["class_ids"], [0, 0])


def test_non_max_suppression_drops_overlaps_above_the_threshold():
    out = _outputs(rows=1, cols=1)
    out[0, 0, 0, 0] = [0, 0, 0, 0, _logit(0.8)]
    out[0, 0, 0, 1] = [0, 0, 0, 0, _logit(0.7)]  # same centre, IoU 1/4 with the first
    flat = out.reshape(1, 1, 1, 10)

    kept = decode_yolo_v2(flat, ANCHORS, iou_threshold=0.3)[0]["scores"]
    suppressed = decode_yolo_v2(flat, ANCHORS, iou_threshold=0.2)[0]["scores"]
    above = decode_yolo_v2(flat, ANCHORS, score_threshold=0.75)[0]["scores"]

    np.testing.assert_allclose(kept, [0.8, 0.7], atol=1e-6)
    np.testing.assert_allclose(suppressed, [0.8], atol=1e-6)
    np.testing.assert_allclose(above, [0.8], atol=1e-6)


def test_class_scores_multiply_objectness_by_the_best_softmax_probability():
    out = _outputs(rows=1, cols=1, encoding=7)
    out[0, 0, 0, 0, :5] = [0, 0, 0, 0, _logit(0.9)]
    out[0, 0, 0, 0, 5:] = [0.0, math.log(3.0)]  # softmax (0.25, 0.75)

    found = decode_yolo_v2(out.reshape(1, 1, 1, 14), ANCHORS, num_classes=2)[0]

    np.testing.assert_allclose(found["scores"], [0.9 * 0.75], atol=1e-6)
    np.testing.assert_array_equal(found["class_ids"], [1])


def test_each_image_is_decoded_on_its_own():
    out = np.concatenate([_outputs(), _outputs()])
    out[1, 0, 3, 0, 4] = _logit(0.95)

    found = decode_yolo_v2(out.reshape(2, 2, 4, 10), ANCHORS)

    assert [len(f["scores"]) for f in found] == [0, 1]


@pytest.mark.parametrize("kwargs, message", [
    ({"outputs": np.zeros((1, 2, 2, 11))}, r"`outputs` must be \[batch, rows, cols, 10\]"),
    ({"anchors": []}, "`anchors` must be a non-empty sequence"),
    ({"score_threshold": 1.0}, "score_threshold"),
    ({"num_classes": 0}, "num_classes"),
])
def test_refuses_bad_arguments(kwargs, message):
    arguments = dict(outputs=np.zeros((1, 2, 2, 10)), anchors=ANCHORS)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        decode_yolo_v2(**arguments)
