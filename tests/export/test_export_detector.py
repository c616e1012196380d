"""export_detector: image bytes -> boxes in the graph, parity with detect_objects, bad images."""

import os
import shutil
import struct
import tempfile
import zlib

import numpy as np
import tensorflow as tf

from keras_transfer.detection.detect_objects import detect_objects
from keras_transfer.export.export_detector import export_detector
from keras_transfer.export.export_for_serving import export_for_serving
from keras_transfer.testing import TestCase
from tests.detection.tiny_detectors import builder_like_detector
from tests.export import tiny_classifiers as tiny

CLASS_NAMES = ["cat", "dog", "fox"]
# Low enough that the random tiny model reports a few boxes per photo.
SCORE_THRESHOLD = 0.2


def _photos():
    """scikit-image's real photos, three shapes (portrait, landscape, square)."""
    import skimage.data

    return [np.ascontiguousarray(skimage.data.chelsea()[:, :200]),  # 300 x 200
            skimage.data.coffee(),  # 400 x 600
            skimage.data.astronaut()]  # 512 x 512


def _png_header(width, height):
    ihdr = b"IHDR" + struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + ihdr
            + struct.pack(">I", zlib.crc32(ihdr)))


class ExportDetectorTest(TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = tempfile.mkdtemp()
        cls.addClassCleanup(shutil.rmtree, cls.root, ignore_errors=True)
        cls.model = builder_like_detector(rows_cols=(3, 2), num_classes=3, seed=1)
        # Objectness logits around 2 (the head starts at logit(0.01)): with the
        # random kernel, scores vary around the threshold from photo to photo.
        bias = cls.model.get_layer("head").output_conv.bias
        bias.assign(np.where(np.arange(bias.shape[0]) % 8 == 4, 2.0, 0.0).astype("float32"))
        cls.path = export_detector(cls.model, os.path.join(cls.root, "detector"),
                                   class_names=CLASS_NAMES, score_threshold=SCORE_THRESHOLD,
                                   max_detections=20, warmup=False)
        cls.serve = tf.saved_model.load(cls.path).signatures["serving_default"]

    def test_served_boxes_equal_python_predictions_on_real_photos(self):
        photos = _photos()
        encoded = [tf.io.encode_png(photos[0]).numpy(),
                   tf.io.encode_jpeg(photos[1], quality=90).numpy(),
                   tf.io.encode_jpeg(photos[2], quality=90).numpy()]
        # Python sees the pixels the server decodes.
        decoded = [tf.io.decode_image(data, channels=3).numpy() for data in encoded]

        served = self.serve(image_bytes=tf.constant(encoded))
        expected = detect_objects(self.model, decoded, class_names=CLASS_NAMES,
                                  score_threshold=SCORE_THRESHOLD, max_detections=20)

        counts = served["num_detections"].numpy()
        self.assertEqual(counts.tolist(), [len(item.boxes) for item in expected])
        self.assertGreater(counts.min(), 0)
        for index, item in enumerate(expected):
            count = counts[index]
            self.assertAllClose(served["boxes"][index, :count], item.boxes, atol=2e-3)
            self.assertAllClose(served["scores"][index, :count], item.scores, atol=1e-5)
            self.assertAllEqual(served["class_ids"][index, :count], item.class_ids)
            names = [name.decode() for name in served["class_names"].numpy()[index]]
            self.assertEqual(names[:count], [CLASS_NAMES[i] for i in item.class_ids])
            self.assertEqual(set(names[count:]), {""} if count < 20 else set())
            height, width = item.height, item.width
            boxes = served["boxes"].numpy()[index, :count]
            self.assertTrue(np.all(boxes >= 0) and np.all(boxes[:, [0, 2]] <= width)
                            and np.all(boxes[:, [1, 3]] <= height))

    def test_signature_outputs(self):
        self.assertEqual(sorted(self.serve.structured_input_signature[1]), ["image_bytes"])
        out = self.serve(image_bytes=tf.constant([tiny_jpeg()]))
        self.assertEqual(
            {key: (value.dtype, value.shape.as_list()) for key, value in out.items()},
            {"boxes": (tf.float32, [1, 20, 4]), "scores": (tf.float32, [1, 20]),
             "class_ids": (tf.int32, [1, 20]), "class_names": (tf.string, [1, 20]),
             "num_detections": (tf.int32, [1])})

    def test_bad_images_fail_with_the_classifiers_errors(self):
        jpeg = tiny_jpeg()
        cases = [
            ([jpeg, b""], r"Invalid `image_bytes`: empty image.*index\(es\):\] \[1\]"),
            ([jpeg, b"hello, not an image"],
             r"not an encoded image \(JPEG, PNG.*index\(es\):\] \[1\]"),
            ([jpeg[: len(jpeg) // 2]], r"JPEG data"),
            ([jpeg, _png_header(100000, 100000)],
             r"declares more than 89478485 pixels.*index\(es\):\] \[1\]"),
            (np.array([], dtype=object), r"the request holds no instances"),
        ]
        for values, pattern in cases:
            with self.assertRaisesRegex(tf.errors.InvalidArgumentError, pattern):
                self.serve(image_bytes=tf.constant(values, tf.string))
        # Still serving afterwards.
        self.assertEqual(self.serve(image_bytes=tf.constant([jpeg]))["scores"].shape, (1, 20))

    def test_export_for_serving_hands_detectors_over(self):
        path = export_for_serving(self.model, os.path.join(self.root, "via_classifier_api"),
                                  class_names=CLASS_NAMES, warmup=False)
        out = tf.saved_model.load(path).signatures["serving_default"](
            image_bytes=tf.constant([tiny_jpeg()]))
        self.assertIn("num_detections", out)
        self.assertEqual(out["boxes"].shape, (1, 100, 4))

    def test_refuses_models_without_a_yolo_head_and_bad_arguments(self):
        classifier = tiny.image_classifier(self.root)
        with self.assertRaisesRegex(ValueError, "YoloHead named 'head'"):
            export_detector(classifier, os.path.join(self.root, "x"), warmup=False)
        with self.assertRaisesRegex(ValueError, "predicts 3 classes but `class_names` has 2"):
            export_detector(self.model, os.path.join(self.root, "x"), class_names=["a", "b"],
                            warmup=False)
        with self.assertRaisesRegex(ValueError, "iou_threshold"):
            export_detector(self.model, os.path.join(self.root, "x"), iou_threshold=2.0,
                            warmup=False)
        self.assertFalse(os.path.exists(os.path.join(self.root, "x", "1")))


def tiny_jpeg():
    pixels = np.full((20, 30, 3), 120, np.uint8)
    return tf.io.encode_jpeg(pixels).numpy()
