"""Object detection: decoding detector outputs and running detectors on photos."""

from keras_transfer.detection.decode_yolo_v2 import decode_yolo_v2
from keras_transfer.detection.detect_objects import detect_objects

__all__ = ["decode_yolo_v2", "detect_objects"]
