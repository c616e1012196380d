"""Turn a backbone handle (local path, TF Hub/Kaggle URL, registry name) into a path."""

import dataclasses
import hashlib
import os
import re

from keras_transfer.backbones import registry

_URL = re.compile(r"^(https?|gs)://", re.IGNORECASE)
_VARIANT = re.compile(r"[A-Za-z0-9_\-]*")

KINDS = ("registry", "url", "path", "object")


@dataclasses.dataclass(frozen=True)
class Handle:
    """What a backbone handle names, as decided by `parse_handle`.

    Attributes:
        kind: str. "registry" (a registered name, optionally "/variant"),
            "url" (TF Hub / Kaggle / GCS), "path" (a local folder, `~` and
            `file://` allowed) or "object" (an already loaded SavedModel).
        value: the handle as given (str for every kind but "object").
        name: str. The registry name, for kind "registry"; else `None`.
        variant: str. The registry variant ("encoder", ...), or `None` for the
            entry's default; `None` for other kinds.
    """

    kind: str
    value: object
    name: str = None
    variant: str = None


def parse_handle(handle):
    """Decides whether `handle` is a registry name, a URL, a local path or an object.

    This is the one rule for the whole library (builders, `HubBackbone`, the
    CLI, safe-mode loading):

    1. An object that is not a string or path (what `tf.saved_model.load`
       returns, or any callable) is "object".
    2. A URL (`http(s)://`, `gs://`) is "url".
    3. `file://...`, an `os.PathLike`, or a string that exists on disk
       (after `~` expansion) is "path": a local folder always wins over a
       registry name of the same spelling.
    4. `"name"` or `"name/variant"` where `name` is registered and `variant`
       is letters, digits, `_` or `-` is "registry".
    5. Anything else is "path" (resolving it then fails with a message that
       lists the registry names).

    Args:
        handle: str, path-like, or loaded object.

    Returns:
        A `Handle`.

    Raises:
        ValueError: for an empty string or a value of an unsupported type.

    Example:

    ```python
    keras_transfer.backbones.handles.parse_handle("minilm_l6/encoder")
    # Handle(kind='registry', value='minilm_l6/encoder', name='minilm_l6', variant='encoder')
    ```
    """
    if isinstance(handle, os.PathLike):
        return Handle("path", os.fspath(handle))
    if not isinstance(handle, str):
        if callable(handle) or hasattr(handle, "signatures"):
            return Handle("object", handle)
        raise ValueError(
            "`handle` must be a registry name, a SavedModel path, a URL, or a loaded "
            f"SavedModel. Received: handle={handle!r}"
        )
    if not handle:
        raise ValueError("`handle` must not be empty. Received: handle=''")
    if _URL.match(handle):
        return Handle("url", handle)
    if handle.startswith("file://") or os.path.exists(os.path.expanduser(handle)):
        return Handle("path", handle)
    name, slash, variant = handle.partition("/")
    if name in registry.BACKBONES and _VARIANT.fullmatch(variant):
        return Handle("registry", handle, name, variant or None)
    return Handle("path", handle)


def is_library_conversion(handle):
    """Whether `handle` names a registry backbone that keras_transfer converts itself.

    Such a handle resolves to the library's own conversion of pinned weights
    in the local cache (checked against its manifest), so loading it runs no
    code chosen by whoever wrote a model file that names it. Registry entries
    without a provider (online TF Hub models), paths and URLs are foreign
    SavedModels.
    """
    try:
        parsed = parse_handle(handle)
    except ValueError:
        return False
    return parsed.kind == "registry" and bool(registry.BACKBONES[parsed.name].get("provider"))


def hub_cache_dir():
    """Returns the folder tensorflow_hub caches downloads in (`TFHUB_CACHE_DIR`)."""
    import tempfile

    return os.environ.get("TFHUB_CACHE_DIR") or os.path.join(
        tempfile.gettempdir(), "tfhub_modules"
    )


def resolve_handle(handle):
    """Returns the local SavedModel folder for `handle`.

    `parse_handle` decides what the handle is; a registry name is converted
    or fetched by `keras_transfer.backbones.conversion.backbone_path`, a URL
    is resolved and cached by `tensorflow_hub.resolve` under
    `TFHUB_CACHE_DIR` (so a cached model loads with no network), a local
    path is checked.

    Args:
        handle: str or path-like. The handle.

    Returns:
        str. A local folder that holds `saved_model.pb`.

    Raises:
        FileNotFoundError: if a local path does not exist or holds no
            SavedModel.
        OSError: if a URL cannot be fetched (offline); the message names the
            cache folder to fill or suggests a local path.
        ValueError: for a loaded object (nothing to resolve) or an unknown
            registry variant.

    Example:

    ```python
    path = keras_transfer.backbones.handles.resolve_handle("/models/my_encoder")
    ```
    """
    parsed = parse_handle(handle)
    if parsed.kind == "object":
        raise ValueError("A loaded SavedModel has no path to resolve. Received: "
                         f"handle={handle!r}")
    if parsed.kind == "registry":
        from keras_transfer.backbones.conversion import backbone_path

        return os.fspath(backbone_path(parsed.name, parsed.variant))
    if parsed.kind == "url":
        return _resolve_url(parsed.value)
    path = parsed.value
    if path.startswith("file://"):
        path = path[len("file://"):]
    path = os.path.expanduser(path)
    if not os.path.exists(path):
            raise FileNotFoundError(
            f"No SavedModel at {path!r}: the path does not exist. Pass a local "
            "SavedModel folder, a TF Hub / Kaggle URL, or a registry name "
            f"({', '.join(sorted(registry.BACKBONES))})."
        )
    if not (os.path.exists(os.path.join(path, "saved_model.pb"))
            or os.path.exists(os.path.join(path, "saved_model.pbtxt"))):
        raise FileNotFoundError(
            f"{path!r} exists but holds no saved_model.pb; point the handle at "
            "the SavedModel folder itself."
        )
    return path


def _resolve_url(url):
    """Resolves a URL through tensorflow_hub's resolver and cache."""
    cache = hub_cache_dir()
    expected = os.path.join(cache, hashlib.sha1(url.encode("utf8")).hexdigest())
    try:
        import tensorflow_hub as hub  # resolver and cache only, never hub.KerasLayer
    except ImportError as error:
        raise ImportError(
            "Resolving TF Hub / Kaggle URLs needs `tensorflow-hub` (and `tf-keras`, "
            "which it imports): `pip install tensorflow-hub tf-keras`. "
            f"Or pass a local SavedModel path instead of {url!r}."
        ) from error
    try:
        return hub.resolve(url)
    except Exception as error:  # hub raises assorted network errors
        raise OSError(
            f"Could not fetch {url!r} ({type(error).__name__}: {error}). "
            "This machine may be offline. Either copy the extracted SavedModel "
            f"to {expected} (tensorflow_hub's cache; set TFHUB_CACHE_DIR to move "
            "it), or pass the path of a local SavedModel folder as the handle."
        ) from error
