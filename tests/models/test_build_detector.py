"""Tests for keras_transfer/models/build_detector.py: the three set-ups and their groups."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.backbones import conversion, registry
from keras_transfer.callbacks.progressive_unfreezing import ProgressiveUnfreezing
from keras_transfer.groups.model_groups import get_layer_groups
from keras_transfer.losses.yolo_loss import YoloLoss
from keras_transfer.models.build_detector import build_detector, reinitialize_variables
from keras_transfer.testing import require


def feature_map(name):
    try:
        return tf.saved_model.load(conversion.backbone_path(name, "feature_map"))
    except Exception as error:  # noqa: BLE001 (conversion needs the weights package)
        require(False, f"{name} is not available: {error}")


def test_tiny_face_detector_with_a_new_conv8():
    saved = feature_map("tiny_face_detector")
    model = build_detector("tiny_face_detector", num_classes=3, image_size=128)
    pixels = np.random.default_rng(0).uniform(0, 255, (2, 128, 128, 3)).astype("float32")

    head = model.get_layer("head")
    # 5 face anchors x (4 + objectness + 3 classes) on a 4x4 grid.
    assert model(pixels).shape == (2, 4, 4, 40)
    assert head.filters == 0 and len(head.weights) == 2  # one 1x1 conv: conv8
    face = registry.get_backbone("tiny_face_detector")["detection"]["anchors"]
    np.testing.assert_allclose(head.anchors, np.array(face) * 4 / 13, rtol=1e-6)
    backbone = model.get_layer("backbone")
    np.testing.assert_allclose(backbone(pixels / 255.0), saved(pixels / 255.0, training=False),
                               atol=1e-5)  # the pretrained features, untouched
    assert [g.name for g in get_layer_groups(model)] == [
        "backbone/stem", "backbone/block1", "backbone/block2", "backbone/block3",
        "backbone/block4", "backbone/block5", "head"]
    assert isinstance(model.loss, YoloLoss) and model.loss.num_classes == 3


def test_progressive_unfreezing_trains_the_head_first():
    feature_map("tiny_face_detector")
    model = build_detector("tiny_face_detector", num_classes=2, image_size=64,
                           learning_rate=1e-2)
    pixels = np.random.default_rng(1).uniform(0, 255, (4, 64, 64, 3)).astype("float32")
    boxes = np.zeros((4, 2, 6), "float32")
    boxes[:, 0] = [0.2, 0.2, 0.6, 0.7, 1, 1]
    groups = get_layer_groups(model)
    stem, head = groups[0].variables[0], groups[-1].variables[0]
    stem_before, head_before = stem.numpy(), head.numpy()

    model.fit(pixels, boxes, epochs=1, batch_size=4, verbose=0,
              callbacks=[ProgressiveUnfreezing(every=5, verbose=0)])

    np.testing.assert_array_equal(stem.numpy(), stem_before)
    assert not np.allclose(head.numpy(), head_before)


def test_from_scratch_reinitializes_every_backbone_variable():
    feature_map("tiny_face_detector")
    pretrained = build_detector("tiny_face_detector", 1, image_size=64, compile=False)
    scratch = build_detector("tiny_face_detector", 1, image_size=64, pretrained=False,
                             compile=False, seed=3)

    old = pretrained.get_layer("backbone").saved_model_variables
    new = scratch.get_layer("backbone").saved_model_variables
    assert [v.path for v in old] == [v.path for v in new]
    for before, after in zip(old, new):
        assert not np.allclose(before.numpy(), after.numpy()), after.path
        if after.path.endswith("bias"):
            np.testing.assert_array_equal(after.numpy(), 0)
    kernel = new[0].numpy()  # conv0: 3x3x3 -> 16, Glorot limit sqrt(6 / (27 + 144))
    assert np.abs(kernel).max() <= np.sqrt(6 / 171) and kernel.std() > 0.05
    assert not scratch.get_layer("backbone").inference_mode


def test_reinitialize_refuses_an_unknown_variable():
    variable = keras.Variable(np.ones((3, 3)), name="alpha")
    with pytest.raises(ValueError, match="Cannot re-initialize variable 'alpha'"):
        reinitialize_variables([variable], 0)


@pytest.mark.parametrize("kwargs, message", [
    ({"backbone": "vgg16_hed"}, r"backbone with a feature map: one of \['efficientnet_lite0', "
                                r"'tiny_face_detector'\]"),
    ({"image_size": 100}, r"multiples of 32. Received: image_size=100"),
    ({"anchors": [(0.5, 1.5)]}, r"fractions of the image in \(0, 1\]"),
    ({"num_classes": 0}, r"`num_classes` must be"),
    ({"pretrained": False, "trainable": False}, "must be trainable"),
])
def test_refuses_bad_arguments(kwargs, message):
    arguments = dict({"backbone": "tiny_face_detector", "num_classes": 2}, **kwargs)
    with pytest.raises(ValueError, match=message):
        build_detector(**arguments)


@pytest.mark.large
def test_efficientnet_lite0_yolo_head_pretrained_and_scratch():
    feature_map("efficientnet_lite0")
    model = build_detector("efficientnet_lite0", num_classes=4, image_size=96)
    scratch = build_detector("efficientnet_lite0", num_classes=4, image_size=96,
                             pretrained=False)
    pixels = np.random.default_rng(0).uniform(0, 255, (1, 96, 96, 3)).astype("float32")

    assert model(pixels).shape == (1, 3, 3, 5 * 9)
    assert model.get_layer("head").filters == 256
    names = [g.name for g in get_layer_groups(model)]
    assert names[0] == "backbone/stem" and names[-1] == "head" and len(names) > 10
    gammas = [v for v in scratch.get_layer("backbone").saved_model_variables
              if v.path.endswith("gamma")]
    assert gammas and all(np.all(v.numpy() == 1) for v in gammas)
