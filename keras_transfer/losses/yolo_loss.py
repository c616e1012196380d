"""`YoloLoss`: GIoU box loss + objectness (with ignore) + class cross-entropy for YOLOv2 heads."""

import keras
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.detection.assign_yolo_targets import (
    assign_yolo_targets, check_padded_boxes)
from keras_transfer.detection.box_geometry import generalized_iou, pairwise_iou
from keras_transfer.detection.yolo_v2_boxes import (
    check_anchors, encoding_size, yolo_v2_boxes)
from keras_transfer.utils.argument_validation import check_int, check_number


@keras_transfer_export("keras_transfer.YoloLoss")
class YoloLoss(keras.losses.Loss):
    """The training loss of a YOLOv2-style detector, for `model.fit`.

    `y_true` is a batch of padded ground-truth boxes, `[batch, max_boxes,
    6]`: `x_min, y_min, x_max, y_max` relative to the image (0..1), the
    class id, and 1 for a box or 0 for a padding row
    (`keras_transfer.detection.pad_boxes`). `y_pred` is the raw head output
    `[batch, rows, cols, anchors * (5 + classes)]` (no class logits for one
    class), decoded as `keras_transfer.detection.decode_yolo_v2` decodes it.
    Each ground-truth box is given to one cell and anchor
    (`keras_transfer.detection.assign_yolo_targets`); per image the loss is
    the sum of

    - `box_weight * (1 - GIoU)` between each assigned prediction and its
      box (`keras_transfer.detection.generalized_iou`);
    - `objectness_weight *` binary cross-entropy of the objectness towards 1
      at assigned anchors, and `no_object_weight *` the same towards 0 at
      the others, except those whose predicted box overlaps some
      ground-truth box by IoU above `ignore_threshold` (YOLOv2's ignore
      rule: a good box at the wrong anchor is not punished);
    - `class_weight *` softmax cross-entropy of the class logits at assigned
      anchors (only when `num_classes > 1`).

    Args:
        anchors: sequence of `(width, height)` pairs, in output cells (the
            head's `anchors`).
        num_classes: int. Number of classes.
        box_weight: float. Defaults to `2.0`.
        objectness_weight: float. Defaults to `1.0`.
        no_object_weight: float. Defaults to `1.0`.
        class_weight: float. Defaults to `1.0`.
        ignore_threshold: float in [0, 1]. Defaults to `0.5`.
        name: str. Defaults to `"yolo_loss"`.
        reduction: str. Keras loss reduction over the per-image sums.
            Defaults to `"sum_over_batch_size"`.
        dtype: str. Defaults to `None` (float32).

    Raises:
        ValueError: on a bad argument; at call time, when `y_true` is not
            `[batch, max_boxes, 6]` or the last axis of `y_pred` does not
            match the anchors and classes.

    Example:

    ```python
    model = keras_transfer.build_detector("efficientnet_lite0", ["cat", "dog"])
    head = model.get_layer("head")
    model.compile("adam", keras_transfer.YoloLoss(head.anchors, head.num_classes))
    model.fit(images, padded_boxes, epochs=10)
    ```
    """

    def __init__(self, anchors, num_classes, box_weight=2.0, objectness_weight=1.0,
                 no_object_weight=1.0, class_weight=1.0, ignore_threshold=0.5,
                 name="yolo_loss", reduction="sum_over_batch_size", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.anchors = [[float(w), float(h)] for w, h in check_anchors(anchors)]
        check_int(num_classes, "num_classes", 1)
        for value, argument in ((box_weight, "box_weight"),
                                (objectness_weight, "objectness_weight"),
                                (no_object_weight, "no_object_weight"),
                                (class_weight, "class_weight")):
            check_number(value, argument, 0, finite=True)
        check_number(ignore_threshold, "ignore_threshold", 0, 1)
        self.num_classes = int(num_classes)
        self.box_weight = float(box_weight)
        self.objectness_weight = float(objectness_weight)
        self.no_object_weight = float(no_object_weight)
        self.class_weight = float(class_weight)
        self.ignore_threshold = float(ignore_threshold)

    def call(self, y_true, y_pred):
        return tf.cast(self.terms(y_true, y_pred)["total"], self.dtype)

    def terms(self, y_true, y_pred):
        """The per-image loss and its parts.

        Args:
            y_true: float `[batch, max_boxes, 6]` padded boxes.
            y_pred: float `[batch, rows, cols, anchors * encoding]`.

        Returns:
            dict of float32 `[batch]` tensors: `"box"`, `"objectness"`,
            `"class"` (already weighted) and their sum `"total"`.
        """
        y_true = check_padded_boxes(y_true)
        anchors = check_anchors(self.anchors)
        expected = len(anchors) * encoding_size(self.num_classes)
        if y_pred.shape[-1] is not None and y_pred.shape[-1] != expected:
            raise ValueError(
                f"`y_pred` must have {expected} channels for {len(anchors)} anchors "
                f"and {self.num_classes} classes. Received: shape={list(y_pred.shape)}")
        boxes, objectness, class_logits = yolo_v2_boxes(y_pred, anchors, self.num_classes)
        shape = tf.shape(objectness)
        targets = assign_yolo_targets(y_true, (shape[1], shape[2]), anchors)
        positive = targets["mask"]
        sum_cells = lambda x: tf.reduce_sum(x, axis=[1, 2, 3])  # noqa: E731

        giou = generalized_iou(boxes, targets["boxes"])
        box = self.box_weight * sum_cells(positive * (1.0 - giou))

        # Ignore rule: negatives whose box already overlaps a true box.
        flat = tf.reshape(boxes, [shape[0], -1, 4])
        overlaps = pairwise_iou(tf.stop_gradient(flat), y_true[..., :4])
        overlaps = overlaps * tf.cast(y_true[:, None, :, 5] > 0, tf.float32)
        best = tf.reshape(tf.maximum(tf.reduce_max(overlaps, axis=-1), 0.0), shape)
        negative = (1.0 - positive) * tf.cast(best <= self.ignore_threshold, tf.float32)
        cross_entropy = tf.nn.sigmoid_cross_entropy_with_logits
        objectness_loss = (
            self.objectness_weight * sum_cells(
                positive * cross_entropy(tf.ones_like(objectness), objectness))
            + self.no_object_weight * sum_cells(
                negative * cross_entropy(tf.zeros_like(objectness), objectness)))

        if class_logits is None:
            class_loss = tf.zeros_like(box)
        else:
            class_loss = self.class_weight * sum_cells(
                positive * tf.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=targets["class_ids"], logits=class_logits))
        return {"box": box, "objectness": objectness_loss, "class": class_loss,
                "total": box + objectness_loss + class_loss}

    def get_config(self):
        config = super().get_config()
        config.update({
            "anchors": self.anchors,
            "num_classes": self.num_classes,
            "box_weight": self.box_weight,
            "objectness_weight": self.objectness_weight,
            "no_object_weight": self.no_object_weight,
            "class_weight": self.class_weight,
            "ignore_threshold": self.ignore_threshold,
        })
        return config
