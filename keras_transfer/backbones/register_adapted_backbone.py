"""Registering an encoder folder written by `adapt_language_model`."""

import json
import os
import re
from pathlib import Path

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.backbones.registry import BACKBONES, register_backbone

RECORD = "adapted.json"
MAX_RECORD_BYTES = 1 << 20
# Keys of the stored entry that describe the encoder; its handles are rebuilt
# from the folder actually given (the stored ones are absolute paths from the
# machine that wrote it, and the folder may have moved).
_KEPT = {"description": str, "output_key": (str, type(None)), "output_dim": (int, type(None)),
         "input": dict, "groups": (list, type(None)), "inference_mode": bool}


def is_adapted_folder(path):
    """Whether `path` is a folder holding an `adapted.json` record."""
    return os.path.isfile(os.path.join(os.path.expanduser(str(path)), RECORD))


@keras_transfer_export("keras_transfer.register_adapted_backbone")
def register_adapted_backbone(folder, name=None):
    """Registers the encoder that `adapt_language_model` saved in `folder`.

    `adapt_language_model(..., export_dir)` writes `export_dir/encoder`,
    `export_dir/preprocessor` and `export_dir/adapted.json`. This reads the
    record back (in a later process, or after the folder moved), checks it,
    and registers a text backbone whose handles are that folder's `encoder`
    and `preprocessor`, so every text builder takes the returned name.

    The record is checked, not trusted: at most 1 MiB of JSON, a text
    entry, known keys of known types; handles stored in it are ignored.
    Like any SavedModel the library did not convert itself, a model built on
    it loads from a `.keras` file only with `safe_mode=False`.

    Args:
        folder: str or path-like. The `export_dir` of `adapt_language_model`
            (or the `--output` of `keras-transfer lm-adapt`).
        name: str. The registry name. Defaults to `adapted_<folder name>`
            (letters, digits, `_` and `-` kept).

    Returns:
        The registry name.

    Raises:
        ValueError: not such a folder, a bad record, or `name` already
            registered for another backbone.

    Example:

    ```python
    name = keras_transfer.register_adapted_backbone("runs/minilm_rt")
    model = keras_transfer.build_text_classifier(name, num_classes=2)
    ```
    """
    root = Path(os.path.expanduser(str(folder))).absolute()
    record_path = root / RECORD
    if not record_path.is_file():
        raise ValueError(f"{folder} holds no {RECORD}: not a folder written by "
                         "adapt_language_model / keras-transfer lm-adapt")
    size = record_path.stat().st_size
    if size > MAX_RECORD_BYTES:
        raise ValueError(f"{record_path} is {size} bytes; an adapted-encoder record is at "
                         f"most {MAX_RECORD_BYTES}")
    try:
        with open(record_path, "rb") as f:
            record = json.loads(f.read(MAX_RECORD_BYTES + 1).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{record_path} is not valid UTF-8 JSON "
                         f"({type(error).__name__})") from None
    stored = record.get("entry") if isinstance(record, dict) else None
    if not isinstance(stored, dict):
        raise ValueError(f"{record_path} has no `entry` object")
    if stored.get("modality") != "text":
        raise ValueError(f"{record_path}: the entry's modality is "
                         f"{ascii(stored.get('modality'))}; adapted encoders are text")
    entry = {"modality": "text"}
    for key, kinds in _KEPT.items():
        if key in stored:
            if not isinstance(stored[key], kinds):
                raise ValueError(f"{record_path}: `{key}` has type "
                                 f"{type(stored[key]).__name__}")
            entry[key] = stored[key]
    entry.setdefault("description", f"masked-LM adapted encoder in {root}")
    for part in ("encoder", "preprocessor"):
        if not (root / part / "saved_model.pb").is_file():
            raise ValueError(f"{root / part} is not a SavedModel folder (no saved_model.pb)")
    entry.update({"handles": {"encoder": str(root / "encoder"),
                              "preprocessor": str(root / "preprocessor")},
                  "variant": "encoder", "preprocessor": "preprocessor",
                  "precision_variants": {}})
    if name is None:
        name = "adapted_" + (re.sub(r"[^A-Za-z0-9_-]", "_", root.name) or "encoder")
    existing = BACKBONES.get(name)
    if existing is not None and existing.get("handles") != entry["handles"]:
        raise ValueError(f"Backbone {name!r} is already registered for another backbone; "
                         "pass another `name`")
    register_backbone(name, entry, overwrite=existing is not None)
    return name
