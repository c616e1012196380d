"""face-api's Tiny face detector (Tiny-YOLOv2, MIT) rebuilt in Keras 3 from an npm package.

The weights are the uint8-quantised TensorFlow.js weights of
`@vladmandic/face-api@1.7.15` (MIT), fetched from the npm registry as a
sha256-pinned tarball of which only the model files are read
(`keras_transfer.backbones.npm_packages`). `weights.py` dequantises them
(`q * scale + min`), `model.py` rebuilds the network in Keras 3, and
`convert.py` writes two TF Hub-format SavedModels: the raw YOLOv2
`detector` outputs (5 anchors x (box, objectness) per 32-pixel cell, one
class, "face") and a 512-d `feature_vector`. `verify.py` finds the face in
scikit-image's astronaut photo.
"""

from keras_transfer.backbones.providers.tiny_face_detector.config import REQUIREMENT
from keras_transfer.backbones.providers.tiny_face_detector.convert import convert
from keras_transfer.backbones.providers.tiny_face_detector.verify import verify

__all__ = ["REQUIREMENT", "convert", "verify"]
