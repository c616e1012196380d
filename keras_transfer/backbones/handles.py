"""Turn a backbone handle (local path, TF Hub/Kaggle URL, registry name) into a path."""

import hashlib
import os
import re

_URL = re.compile(r"^(https?|gs)://", re.IGNORECASE)
_RESOLVERS = []


def register_handle_resolver(resolver):
    """Adds a resolver tried before paths and URLs (used by the backbone registry).

    Args:
        resolver: callable. Takes the handle string and returns a local path,
            or `None` when the handle is not its to resolve.
    """
    if resolver not in _RESOLVERS:
        _RESOLVERS.append(resolver)


def hub_cache_dir():
    """Returns the folder tensorflow_hub caches downloads in (`TFHUB_CACHE_DIR`)."""
    import tempfile

    return os.environ.get("TFHUB_CACHE_DIR") or os.path.join(
        tempfile.gettempdir(), "tfhub_modules"
    )


def resolve_handle(handle):
    """Returns the local SavedModel folder for `handle`.

    Resolution order: registered resolvers (registry names such as
    `"minilm_l6"`), an existing local path (`~` expanded; `file://` allowed),
    then a URL, resolved and cached by `tensorflow_hub.resolve` under
    `TFHUB_CACHE_DIR` (so a cached model loads with no network).

    Args:
        handle: str or path-like. The handle.

    Returns:
        str. A local folder that holds `saved_model.pb`.

    Raises:
        FileNotFoundError: if a local path does not exist or holds no
            SavedModel.
        OSError: if a URL cannot be fetched (offline); the message names the
            cache folder to fill or suggests a local path.

    Example:

    ```python
    path = keras_transfer.backbones.handles.resolve_handle("/models/my_encoder")
    ```
    """
    handle = os.fspath(handle)
    for resolver in _RESOLVERS:
        path = resolver(handle)
        if path is not None:
            return os.fspath(path)
    if handle.startswith("file://"):
        handle = handle[len("file://"):]
    if _URL.match(handle):
        return _resolve_url(handle)
    path = os.path.expanduser(handle)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"No SavedModel at {path!r}: the path does not exist. Pass a local "
            "SavedModel folder, a TF Hub / Kaggle URL, or a registry name "
            "(`keras_transfer.list_backbones()`)."
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
