"""The one decorator that makes an object part of keras_transfer's public API."""

import inspect

import keras

# The Keras object types a `.keras` file refers to by registered name.
# `keras.Model` is a `keras.layers.Layer`.
SERIALIZABLE_TYPES = (
    keras.layers.Layer,
    keras.callbacks.Callback,
    keras.optimizers.Optimizer,
    keras.optimizers.schedules.LearningRateSchedule,
    keras.losses.Loss,
    keras.metrics.Metric,
    keras.constraints.Constraint,
    keras.regularizers.Regularizer,
    keras.initializers.Initializer,
)

# Public name ("keras_transfer.HubBackbone") -> exported object.
PUBLIC_API = {}


def is_serializable(obj):
    """Whether `obj` is a Keras class that `.keras` files store by registered name.

    Args:
        obj: any object.

    Returns:
        `True` for subclasses of the types in `SERIALIZABLE_TYPES` (layers,
        models, callbacks, optimizers, learning rate schedules, losses,
        metrics, constraints, regularizers, initializers), `False` otherwise.
    """
    return inspect.isclass(obj) and issubclass(obj, SERIALIZABLE_TYPES)


def keras_transfer_export(path):
    """Exports an object under its public name(s), as `keras_export` does.

    Every public name is recorded in `PUBLIC_API`. Keras objects (see
    `is_serializable`) are also registered with
    `keras.saving.register_keras_serializable(package="keras_transfer")`, so
    `.keras` files that hold them load back once `keras_transfer` is imported
    (or with `custom_objects=keras_transfer.custom_objects()`). Plain
    functions and other classes are exported but not registered: a `.keras`
    file never refers to them.

    Args:
        path: str or list of str. The public name(s), each starting with
            `"keras_transfer."`, e.g. `"keras_transfer.HubBackbone"` or
            `["keras_transfer.write_report", "keras_transfer.report.write_report"]`.

    Returns:
        A decorator that records and (for Keras objects) registers a class
        or function, and returns it.

    Raises:
        TypeError: if `path` is not a str or a list of str (for example when
            the decorator is used bare, `@keras_transfer_export`), or if the
            decorated object is neither a class nor a function.
        ValueError: if a name does not start with `"keras_transfer."`, or is
            already exported for a different object.

    Example:

    ```python
    @keras_transfer_export("keras_transfer.TrimPadding")
    class TrimPadding(keras.layers.Layer):
        ...
    ```
    """
    names = [path] if isinstance(path, str) else path
    if not isinstance(names, (list, tuple)) or not names or not all(
            isinstance(name, str) for name in names):
        raise TypeError(
            "`path` must be a public name or a list of public names, as in "
            "`@keras_transfer_export(\"keras_transfer.HubBackbone\")`. "
            f"Received: path={path!r}")
    for name in names:
        if not name.startswith("keras_transfer."):
            raise ValueError(
                "Each public name in `path` must start with 'keras_transfer.'. "
                f"Received: path={path!r}")

    def decorator(obj):
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            raise TypeError(
                "`keras_transfer_export` decorates classes and functions. "
                f"Received: {obj!r} for path={path!r}")
        for name in names:
            previous = PUBLIC_API.get(name)
            if previous is not None and (
                    _qualified_name(previous) != _qualified_name(obj)):
                raise ValueError(
                    f"The public name {name!r} is already exported for "
                    f"{_qualified_name(previous)}. Received: path={path!r} for "
                    f"{_qualified_name(obj)}")
        if is_serializable(obj):
            obj = keras.saving.register_keras_serializable(package="keras_transfer")(obj)
        for name in names:
            PUBLIC_API[name] = obj
        return obj

    return decorator


def custom_objects():
    """Returns the Keras objects of keras_transfer by registered name.

    `import keras_transfer` registers them with Keras, which is enough for
    `keras.saving.load_model`. Pass this dict as `custom_objects` to name the
    classes a `.keras` file may hold explicitly; it also works after Keras'
    global registry was cleared (`keras.saving.get_custom_objects().clear()`).
    Keras 3 offers no entry-point hook that would load these classes without
    importing the package.

    Returns:
        dict. Registered name (`"keras_transfer>HubBackbone"`) -> class, for
        every public layer, callback, optimizer and learning rate schedule.

    Example:

    ```python
    model = keras.saving.load_model(
        "model.keras", custom_objects=keras_transfer.custom_objects())
    ```
    """
    return {keras.saving.get_registered_name(obj): obj
            for obj in PUBLIC_API.values() if is_serializable(obj)}


def _qualified_name(obj):
    return f"{obj.__module__}.{obj.__qualname__}"
