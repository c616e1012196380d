"""The one decorator that makes an object part of keras_transfer's public API."""

import keras

EXPORTED = {}


def keras_transfer_export(obj):
    """Registers `obj` as public and as a Keras serializable of this package.

    The object is registered with
    `keras.saving.register_keras_serializable(package="keras_transfer")`, so
    `.keras` files that contain it load back with no `custom_objects`, and it is
    listed in `EXPORTED` for the API reference (`docs/build_api.py`).

    Args:
        obj: class or function. The object to export.

    Returns:
        `obj`, registered.
    """
    registered = keras.saving.register_keras_serializable(package="keras_transfer")(obj)
    EXPORTED[f"{obj.__module__}.{obj.__qualname__}"] = registered
    return registered
