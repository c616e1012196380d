"""Object detection: targets, losses' geometry, decoding and running detectors."""

from keras_transfer.detection.assign_yolo_targets import assign_yolo_targets
from keras_transfer.detection.augment_boxes import augment_boxes
from keras_transfer.detection.box_geometry import generalized_iou
from keras_transfer.detection.decode_yolo_v2 import decode_yolo_v2
from keras_transfer.detection.detect_objects import detect_objects
from keras_transfer.detection.pad_boxes import pad_boxes
from keras_transfer.detection.square_resize import square_resize, square_resize_boxes
from keras_transfer.detection.yolo_detections import yolo_detections

__all__ = ["assign_yolo_targets", "augment_boxes", "decode_yolo_v2", "detect_objects",
           "generalized_iou", "pad_boxes", "square_resize", "square_resize_boxes", "yolo_detections"]
