"""FixMatch's weak and strong image augmentations, from Keras' preprocessing layers."""

import keras

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.argument_validation import check_int, check_number


@keras_transfer_export("keras_transfer.weak_image_augmentation")
def weak_image_augmentation(flip=True, translation=0.125, seed=None,
                            name="weak_augmentation"):
    """FixMatch's weak augmentation: a random horizontal flip and a small shift.

    Sohn et al. (2020) flip half the images horizontally and translate by up
    to 12.5% of the side. Turn the flip off where it changes the class
    (digits, text in images).

    Args:
        flip: bool. Random horizontal flip. Defaults to `True`.
        translation: float. Largest shift as a fraction of height and width,
            in [0, 1). Defaults to `0.125`.
        seed: int. Seed of the random layers. Defaults to `None`.
        name: str. Defaults to `"weak_augmentation"`.

    Returns:
        A `keras.Sequential` of Keras preprocessing layers (identity when
        called with `training=False`).

    Raises:
        ValueError: for a bad `translation`.

    Example:

    ```python
    weak = keras_transfer.weak_image_augmentation(flip=False)
    views = weak(images, training=True)
    ```
    """
    check_number(translation, "translation", 0, 1, max_open=True)
    layers = [keras.layers.RandomFlip("horizontal", seed=seed)] if flip else []
    layers.append(keras.layers.RandomTranslation(
        translation, translation, fill_mode="constant", seed=seed))
    return keras.Sequential(layers, name=name)


@keras_transfer_export("keras_transfer.strong_image_augmentation")
def strong_image_augmentation(value_range=(0, 255), num_ops=2, magnitude=0.5,
                              erasing=True, seed=None, name="strong_augmentation"):
    """FixMatch's strong augmentation: RandAugment, then a random erased patch.

    `keras.layers.RandAugment` applies `num_ops` operations drawn from
    shear, translation, rotation, brightness, colour degeneration,
    contrast, sharpness and posterization, at random strengths up to
    `magnitude`; FixMatch follows it with Cutout, here
    `keras.layers.RandomErasing` on every image (a patch whose sides are
    14-50% of the image's, filled with noise).
    Works on any number of channels.

    Args:
        value_range: tuple. The pixel range of the input images, e.g.
            `(0, 1)` or `(0, 255)`. Defaults to `(0, 255)`.
        num_ops: int. Operations per image, >= 1. Defaults to `2` (FixMatch).
        magnitude: float. RandAugment's `factor`, in (0, 1]. Defaults to
            `0.5`.
        erasing: bool. Erase a random patch. Defaults to `True`.
        seed: int. Seed of the random layers. Defaults to `None`.
        name: str. Defaults to `"strong_augmentation"`.

    Returns:
        A `keras.Sequential` of Keras preprocessing layers (identity when
        called with `training=False`).

    Raises:
        ValueError: for a bad argument.

    Example:

    ```python
    strong = keras_transfer.strong_image_augmentation(value_range=(0, 1))
    views = strong(images, training=True)
    ```
    """
    if (not isinstance(value_range, (list, tuple)) or len(value_range) != 2
            or not value_range[0] < value_range[1]):
        raise ValueError(
            "`value_range` must be a (low, high) pair with low < high. "
            f"Received: value_range={value_range!r}")
    check_int(num_ops, "num_ops", minimum=1)
    check_number(magnitude, "magnitude", 0, 1, min_open=True)
    value_range = tuple(value_range)
    layers = [keras.layers.RandAugment(value_range=value_range, num_ops=num_ops,
                                       factor=magnitude, seed=seed)]
    if erasing:
        layers.append(keras.layers.RandomErasing(factor=(1.0, 1.0), scale=(0.02, 0.25),
                                                 value_range=value_range, seed=seed))
    return keras.Sequential(layers, name=name)
