"""Known-answer check of a converted Tiny face detector (the face in the astronaut photo)."""

from pathlib import Path

import tensorflow as tf

from keras_transfer.backbones.providers.tiny_face_detector.config import (
    ANCHORS, CLASS_NAMES, FEATURE_DIM, IMAGE_SIZE, IOU_THRESHOLD, SCORE_THRESHOLD)

# Known answers. scikit-image's `astronaut` (512x512) shows one face, labelled
# by hand as this box (xyxy pixels, hairline to chin, ear to ear); the
# detector must find exactly one face overlapping it by at least MIN_IOU.
# `coffee` shows no face. Measured with the converted weights (float32 CPU,
# 416-pixel input): one box [163.3, 75.7, 279.3, 186.6], score 0.9755, IoU
# 0.85 with the hand-labelled box; no box above 0.5 on `coffee`.
FACE_BOX = (170.0, 70.0, 275.0, 185.0)
MIN_IOU = 0.6
REFERENCE_SCORE = 0.9755
SCORE_ATOL = 0.01
NO_FACE_PHOTO = "coffee"


def load_photo(name):
    """Returns a scikit-image sample photo as uint8 RGB `[height, width, 3]`.

    Raises:
        ImportError: if scikit-image is not installed.
    """
    try:
        import skimage.data
    except ImportError:
        raise ImportError(
            "The Tiny face detector known-answer check needs scikit-image. "
            "Install it with `pip install keras_transfer[dev]` or "
            "`pip install scikit-image`.") from None
    return getattr(skimage.data, name)()


def box_iou(a, b):
    """IoU of two xyxy boxes."""
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def verify(export_dir):
    """Checks the converted SavedModels against known answers.

    Loads both SavedModels with `tf.saved_model.load`, detects faces in
    scikit-image's `astronaut` photo (exactly one, overlapping the
    hand-labelled `FACE_BOX` by IoU >= 0.6, score within 0.01 of the
    measured 0.9755) and in `coffee` (none), and checks that the feature
    vector is 512-d and the feature map `[13, 13, 512]` at 416 pixels.

    Args:
        export_dir: str or path. The folder `convert` wrote.

    Returns:
        dict with `"astronaut"` (`{"box": [4 floats], "score": float, "iou":
        float}`), `"coffee"` (number of faces found) and `"feature_dim"`.

    Raises:
        RuntimeError: if a known answer is not met or an output has the wrong
            shape.
        ImportError: if scikit-image is not installed.

    Example:

    ```python
    report = keras_transfer.backbones.providers.tiny_face_detector.verify(
        "/tmp/tiny_face_detector")
    report["astronaut"]["score"]  # 0.975...
    ```
    """
    from keras_transfer.detection.detect_objects import detect_objects

    export_dir = Path(export_dir)
    detector = tf.saved_model.load(str(export_dir / "detector"))
    features = tf.saved_model.load(str(export_dir / "feature_vector"))
    astronaut, no_face = load_photo("astronaut"), load_photo(NO_FACE_PHOTO)
    found = detect_objects(detector, [astronaut, no_face], ANCHORS, CLASS_NAMES,
                           input_size=IMAGE_SIZE, score_threshold=SCORE_THRESHOLD,
                           iou_threshold=IOU_THRESHOLD)
    vectors = features(tf.zeros([1, IMAGE_SIZE, IMAGE_SIZE, 3]), training=False)
    if tuple(vectors.shape) != (1, FEATURE_DIM):
        raise RuntimeError(
            f"Tiny face detector feature vector has shape {tuple(vectors.shape)}; "
            f"expected {(1, FEATURE_DIM)}.")
    feature_map = tf.saved_model.load(str(export_dir / "feature_map"))
    spatial = feature_map(tf.zeros([1, IMAGE_SIZE, IMAGE_SIZE, 3]), training=False)
    cells = IMAGE_SIZE // 32
    if tuple(spatial.shape) != (1, cells, cells, FEATURE_DIM):
        raise RuntimeError(
            f"Tiny face detector feature map has shape {tuple(spatial.shape)}; "
            f"expected {(1, cells, cells, FEATURE_DIM)}.")
    faces = found[0]
    report = {"feature_dim": int(vectors.shape[-1]),
              NO_FACE_PHOTO: int(len(found[1].boxes))}
    fix = f"The converted weights are wrong; delete {export_dir} and convert again."
    if len(faces.boxes) != 1:
        raise RuntimeError(
            f"Known-answer check failed: {len(faces.boxes)} faces in the "
            f"astronaut photo, expected 1 (scores {faces.scores.tolist()}). {fix}")
    box, score = faces.boxes[0].tolist(), float(faces.scores[0])
    report["astronaut"] = {"box": box, "score": score, "iou": box_iou(box, FACE_BOX)}
    if report["astronaut"]["iou"] < MIN_IOU or abs(score - REFERENCE_SCORE) > SCORE_ATOL:
        raise RuntimeError(
            f"Known-answer check failed on the astronaut photo: {report['astronaut']}; "
            f"expected IoU >= {MIN_IOU} with {FACE_BOX} and score "
            f"{REFERENCE_SCORE} +- {SCORE_ATOL}. {fix}")
    if report[NO_FACE_PHOTO]:
        raise RuntimeError(
            f"Known-answer check failed: {report[NO_FACE_PHOTO]} faces in the "
            f"{NO_FACE_PHOTO!r} photo, expected none. {fix}")
    return report
