"""Known-answer check of a converted EfficientNet-Lite0 (ImageNet photos)."""

from pathlib import Path

import numpy as np
import tensorflow as tf

from keras_transfer.backbones.providers.efficientnet_lite0.config import (
    FEATURE_DIM, IMAGE_SIZE, NUM_CLASSES)


# Known-answer photos (scikit-image's bundled data) and the ImageNet classes
# each must be classified as (top-1).
KNOWN_ANSWERS = {
    "coffee": {"espresso": 967, "cup": 968},
    "chelsea": {"tabby": 281, "tiger cat": 282, "Persian cat": 283,
                "Siamese cat": 284, "Egyptian cat": 285},
}


def load_photo(name, size=IMAGE_SIZE):
    """Returns a scikit-image sample photo, center-cropped as in EfficientNet eval.

    The central `size / (size + 32)` of the shorter side is cropped and resized
    (bicubic) to `size` x `size`, as EfficientNet's evaluation preprocessing.

    Args:
        name: str. A `skimage.data` photo, e.g. `"coffee"` or `"chelsea"`.
        size: int. Output height and width. Defaults to 224.

    Returns:
        float32 `np.ndarray` of shape `[size, size, 3]` with values in [0, 1].

    Raises:
        ImportError: if scikit-image is not installed.
    """
    try:
        import skimage.data
    except ImportError:
        raise ImportError(
            "The EfficientNet-Lite0 known-answer check needs scikit-image. "
            "Install it with `pip install keras_transfer[dev]` or "
            "`pip install scikit-image`."
        ) from None
    image = getattr(skimage.data, name)()
    height, width = image.shape[:2]
    crop = int(round(size / (size + 32) * min(height, width)))
    top, left = (height - crop + 1) // 2, (width - crop + 1) // 2
    image = image[top:top + crop, left:left + crop].astype("float32") / 255.0
    image = tf.image.resize(image[None], (size, size), method="bicubic")[0]
    return np.clip(image.numpy(), 0.0, 1.0)


def verify(export_dir):
    """Checks the converted SavedModels against known answers.

    Loads the SavedModels with `tf.saved_model.load`, classifies
    scikit-image's `coffee` and `chelsea` (a cat) photos and checks that the
    top-1 class is espresso or cup (967, 968) for the coffee and a domestic cat
    (281-285) for the cat, that the feature vector is 1280-d, and that the
    feature map is `[7, 7, 1280]` at 224 pixels and averages to the feature
    vector.

    Args:
        export_dir: str or path. The folder `convert` wrote.

    Returns:
        dict mapping each photo name to its top-5 predictions, a list of
        `(class_index, probability)` pairs, best first, plus
        `"feature_dim"`: the feature vector size.

    Raises:
        RuntimeError: if a photo is misclassified or an output has the wrong
            shape.
        ImportError: if scikit-image is not installed.

    Example:

    ```python
    report = keras_transfer.backbones.providers.efficientnet_lite0.verify(
        "/tmp/efficientnet_lite0")
    report["coffee"][0]  # (967, 0.94...): espresso
    ```
    """
    export_dir = Path(export_dir)
    classifier = tf.saved_model.load(str(export_dir / "classification"))
    features = tf.saved_model.load(str(export_dir / "feature_vector"))
    names = list(KNOWN_ANSWERS)
    images = tf.constant(np.stack([load_photo(name) for name in names]))

    logits = classifier(images, training=False).numpy()
    if logits.shape != (len(names), NUM_CLASSES):
        raise RuntimeError(
            f"EfficientNet-Lite0 classification output has shape "
            f"{logits.shape}; expected {(len(names), NUM_CLASSES)}.")
    vectors = features(images, training=False).numpy()
    if vectors.shape != (len(names), FEATURE_DIM):
        raise RuntimeError(
            f"EfficientNet-Lite0 feature vector has shape {vectors.shape}; "
            f"expected {(len(names), FEATURE_DIM)}.")
    feature_map = tf.saved_model.load(str(export_dir / "feature_map"))
    spatial = feature_map(images, training=False).numpy()
    cells = -(-IMAGE_SIZE // 32)
    if spatial.shape != (len(names), cells, cells, FEATURE_DIM):
        raise RuntimeError(
            f"EfficientNet-Lite0 feature map has shape {spatial.shape}; "
            f"expected {(len(names), cells, cells, FEATURE_DIM)}.")
    if not np.allclose(spatial.mean(axis=(1, 2)), vectors, atol=1e-4):
        raise RuntimeError(
            "EfficientNet-Lite0 feature map does not average to the feature "
            f"vector. Delete {export_dir} and convert again.")

    probabilities = tf.nn.softmax(logits).numpy()
    report = {"feature_dim": int(vectors.shape[-1])}
    for name, probs in zip(names, probabilities):
        top5 = np.argsort(-probs)[:5]
        report[name] = [(int(i), float(probs[i])) for i in top5]
        expected = KNOWN_ANSWERS[name]
        if int(top5[0]) not in expected.values():
            raise RuntimeError(
                f"Known-answer check failed for the {name!r} photo: top-1 class "
                f"is {int(top5[0])}, expected one of {expected}. Top-5: "
                f"{report[name]}. The converted weights are wrong; delete "
                f"{export_dir} and convert again."
            )
    return report
