"""The Tiny-YOLOv2 face detector of face-api as data: the pinned package and the network."""

REQUIREMENT = "@vladmandic/face-api@1.7.15"
WEIGHTS_MEMBER = "package/model/tiny_face_detector_model.bin"
MANIFEST_MEMBER = "package/model/tiny_face_detector_model-weights_manifest.json"
LICENSE_MEMBER = "package/LICENSE"
# Exact member name -> the largest size read, in bytes (193,321 and 3,219
# in 1.7.15).
MEMBERS = {
    WEIGHTS_MEMBER: 1 << 20,
    MANIFEST_MEMBER: 1 << 16,
    LICENSE_MEMBER: 1 << 14,
}

# From face-api's src/tinyFaceDetector/const.ts and TinyFaceDetector.ts.
# Anchor (width, height) in output cells, one per box of each cell.
ANCHORS = (
    (1.603231, 2.094468),
    (6.041143, 7.080126),
    (2.882459, 3.518061),
    (4.266906, 5.178857),
    (9.041765, 10.66308),
)
MEAN_RGB = (117.001, 114.697, 97.404)
IOU_THRESHOLD = 0.4
SCORE_THRESHOLD = 0.5
CLASS_NAMES = ("face",)
# Output channels of conv0 and the five separable blocks (filterSizes[1:]).
FILTERS = (16, 32, 64, 128, 256, 512)
LEAKY_ALPHA = 0.1
# face-api's default input size; any multiple of 32 works (one output cell
# per 32 pixels).
IMAGE_SIZE = 416
FEATURE_DIM = 512
# 5 anchors x (4 box offsets, objectness); one class needs no class scores.
NUM_OUTPUTS = len(ANCHORS) * 5
