"""Argument checks and set-up shared by the builders in `keras_transfer.models`.

Not public API: each builder documents the behaviour it takes from here.
"""

import contextlib
import os

import keras

from keras_transfer.backbones import registry
from keras_transfer.backbones.handles import parse_handle
from keras_transfer.layers.hub_backbone import HubBackbone
from keras_transfer.recipes import defaults
from keras_transfer.utils.argument_validation import check_int, check_one_of, check_positive

PRECISIONS = (None, "float32", "mixed_bfloat16", "mixed_float16")


def resolve_backbone(backbone, modality, builder):
    """Splits `backbone` into a registry entry or a plain handle.

    `keras_transfer.backbones.handles.parse_handle` decides what `backbone`
    is (the one rule the whole library uses).

    Args:
        backbone: str or path-like. A registry name (optionally
            `"name/variant"`), or a SavedModel path/URL.
        modality: str. What the builder needs ("image", "text", "audio").
        builder: str. The builder's name, for messages.

    Returns:
        `(name, entry)`: the registry name and a copy of its entry (with
        `variant` set when `backbone` names one), or `(None, None)` for a
        path or URL (which `HubBackbone` resolves itself).

    Raises:
        ValueError: for an unknown registry name (listing the names of this
            modality) or a registered backbone of another modality.
    """
    try:
        parsed = parse_handle(backbone)
    except ValueError:
        parsed = None
    if parsed is None or parsed.kind == "object":
        raise ValueError(
            "`backbone` must be a registry name, a SavedModel path or a URL. "
            f"Received: backbone={backbone!r}"
        )
    if parsed.kind == "url":
        return None, None
    if parsed.kind == "path":
        if (isinstance(backbone, os.PathLike) or _looks_like_path(parsed.value)
                or os.path.exists(os.path.expanduser(parsed.value))):
            return None, None
        raise ValueError(
            f"Unknown backbone {backbone!r}. Registered {modality} backbones: "
            f"{names_of(modality)} (all registered: {sorted(registry.BACKBONES)}). "
            "Or pass a local SavedModel folder or a TF Hub URL."
        )
    entry = registry.get_backbone(parsed.name)
    if entry["modality"] != modality:
        raise ValueError(
            f"`backbone={backbone!r}` is {_a(entry['modality'])} backbone, but "
            f"`{builder}` needs {_a(modality)} backbone: one of {names_of(modality)}. "
            f"For {entry['modality']} use "
            f"`keras_transfer.{_BUILDER_FOR[entry['modality']]}`."
        )
    if parsed.variant is not None:
        entry["variant"] = parsed.variant
        entry["precision_variants"] = {}  # the variant asked for by name wins
    return parsed.name, entry


_BUILDER_FOR = {
    "image": "build_image_classifier",
    "text": "build_text_classifier",
    "audio": "build_audio_classifier",
}


def _a(word):
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def _looks_like_path(text):
    """A string meant as a path (not a mistyped registry name)."""
    return os.sep in text or "/" in text or text.startswith(("~", ".", "file://"))


def names_of(modality):
    """Registered backbone names of one modality, sorted."""
    return sorted(name for name, entry in registry.BACKBONES.items()
                  if entry["modality"] == modality)


def registry_handle(name, variant):
    """The handle `HubBackbone` resolves through the registry ("name/variant")."""
    return f"{name}/{variant}" if variant else name


def check_num_classes(value, argument="num_classes"):
    """At least two classes: the builders train with a softmax."""
    check_int(value, argument, minimum=2,
              note=f"a softmax over classes; for a yes/no task use {argument}=2")
    return int(value)


def check_precision(precision):
    """Returns the dtype policy name for the created layers (None: global)."""
    return check_one_of(precision, "precision", PRECISIONS)


def strategy_scope(strategy):
    """`strategy.scope()`, or a no-op context when `strategy` is None."""
    if strategy is None:
        return contextlib.nullcontext()
    if not hasattr(strategy, "scope"):
        raise ValueError(
            "`strategy` must be a `tf.distribute.Strategy` (for example "
            f"`tf.distribute.MirroredStrategy()`). Received: strategy={strategy!r}"
        )
    return strategy.scope()


def default_learning_rate(learning_rate, trainable):
    """The recipe defaults: a head on a frozen backbone, or fine-tuning.

    `keras_transfer.recipes.defaults.HEAD_LEARNING_RATE` (1e-3) with
    `trainable=False`, `FINE_TUNING_LEARNING_RATE` (1e-4) with
    `trainable=True`.
    """
    if learning_rate is None:
        return (defaults.FINE_TUNING_LEARNING_RATE if trainable
                else defaults.HEAD_LEARNING_RATE)
    return check_positive(learning_rate, "learning_rate")


def make_optimizer(learning_rate, precision):
    """Adam, wrapped in a `LossScaleOptimizer` under mixed_float16."""
    optimizer = keras.optimizers.Adam(learning_rate)
    if precision == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def compile_classifier(model, learning_rate, precision, loss=None,
                       metrics=("accuracy",), weighted_metrics=None):
    """Compiles with Adam, sparse categorical crossentropy and accuracy."""
    model.compile(
        optimizer=make_optimizer(learning_rate, precision),
        loss=loss or keras.losses.SparseCategoricalCrossentropy(),
        metrics=list(metrics) if metrics else None,
        weighted_metrics=list(weighted_metrics) if weighted_metrics else None,
    )
    return model



def backbone_layer(backbone, name, entry, trainable, precision, output_key=None):
    """The `HubBackbone` named "backbone", configured from the registry entry.

    `output_key` overrides the entry's key (for a handle it is used as is).
    """
    if entry is None:
        return HubBackbone(backbone, trainable=trainable, output_key=output_key,
                           dtype=precision, name="backbone")
    # A backbone saved computing in the requested precision, when the registry
    # has one (a SavedModel's compute dtype is fixed when it is saved).
    variant = (entry.get("precision_variants") or {}).get(precision, entry.get("variant"))
    return HubBackbone(
        registry_handle(name, variant),
        trainable=trainable,
        output_key=output_key if output_key is not None else entry.get("output_key"),
        groups=entry.get("groups"),
        inference_mode=entry.get("inference_mode", False),
        dtype=precision,
        name="backbone",
    )


def text_layers(backbone, name, entry, preprocessor, output_key, trainable, precision):
    """Returns `(backbone layer, preprocessor layer or None)` for a text model."""
    if entry is not None and preprocessor is None and entry.get("preprocessor"):
        preprocessor = registry_handle(name, entry["preprocessor"])
    pre = None
    if preprocessor is not None:
        pre = HubBackbone(preprocessor, name="preprocessor")
    encoder = backbone_layer(backbone, name, entry, trainable, precision, output_key)
    return encoder, pre
