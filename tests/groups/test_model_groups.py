import keras
import numpy as np

from keras_transfer.groups.model_groups import get_layer_groups
from keras_transfer.groups.naming import group_names
from keras_transfer.layers.hub_backbone import HubBackbone
from keras_transfer.testing import TestCase
from tests import savedmodels


class ModelGroupsTest(TestCase):
    def _hub_model(self):
        backbone = HubBackbone(savedmodels.image_feature_vector(self.temp_dir()), name="backbone")
        inputs = keras.Input((8, 8, 3))
        x = keras.layers.Rescaling(1 / 255.0)(inputs)
        return keras.Model(inputs, keras.layers.Dense(2, name="head")(backbone(x)))

    def test_backbone_groups_then_head(self):
        groups = get_layer_groups(self._hub_model())
        self.assertEqual([g.name for g in groups],
                         ["backbone/block1", "backbone/block2", "backbone/top", "head"])
        self.assertEqual(groups[-1].paths, ["head/kernel", "head/bias"])

    def test_patterns_keep_batchnorm_statistics_frozen(self):
        model = self._hub_model()
        groups = get_layer_groups(model, patterns=[("lower", "backbone/block1"),
                                                   ("upper", "backbone/"), ("head", "head/")])
        self.assertEqual([g.name for g in groups], ["lower", "upper", "head"])
        for group in groups:
            group.set_trainable(True)
        trainable = [v.path for v in model.trainable_variables]
        self.assertLen(trainable, 10)  # 8 backbone + head kernel and bias
        self.assertFalse(any("moving" in path for path in trainable))
        groups[0].set_trainable(False)
        self.assertFalse(any("block1" in v.path for v in model.trainable_variables))
        self.assertTrue(any("block2" in v.path for v in model.trainable_variables))

    def test_nested_keras_model_and_plain_stack(self):
        inner_in = keras.Input((4,))
        x = keras.layers.Dense(4, name="block1_dense")(inner_in)
        x = keras.layers.Dense(4, name="block2_dense")(x)
        inner = keras.Model(inner_in, x, name="encoder")
        inputs = keras.Input((4,))
        model = keras.Model(inputs, keras.layers.Dense(2, name="classifier")(inner(inputs)))
        self.assertEqual([g.name for g in get_layer_groups(model)],
                         ["encoder/block1", "encoder/block2", "head"])
        stack = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="a"),
                                  keras.layers.Dense(2, name="b")])
        self.assertEqual([g.name for g in get_layer_groups(stack)], ["a", "b"])

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "must be a keras.Model"):
            get_layer_groups(keras.layers.Dense(2))
        with self.assertRaisesRegex(ValueError, "no weights yet"):
            get_layer_groups(keras.Sequential([keras.layers.Dense(2)]))


def test_naming_rules():
    names = ["embeddings/x", "encoder/layer_1/a", "encoder/layer_10/a", "encoder/layer_2/a",
             "pooler/dense/kernel"]
    assert [g for g, _ in group_names(names)] == ["stem", "layer_1", "layer_2", "layer_10", "top"]
    keras_app = ["stem_conv/kernel", "block1a_dwconv/kernel", "block2a_expand/kernel",
                 "block2b_project/kernel", "top_conv/kernel"]
    assert group_names(keras_app) == [("stem", [0]), ("block1", [1]), ("block2", [2, 3]),
                                      ("top", [4])]
    assert group_names(["a/kernel", "b/kernel"]) == [("all", [0, 1])]


def test_one_regex_rule_search_first_match_wins_and_empty_groups_warn():
    """Issue 11 item 9: `match_group` is the rule every component uses."""
    import pytest

    from keras_transfer.groups.naming import compile_group_patterns, match_group

    compiled = compile_group_patterns([("low", "d0/.*"), ("any_d", "d"), ("exact", "^d1/bias$")])
    assert match_group("sequential/d0/kernel", compiled) == 0  # search, not fullmatch
    assert match_group("sequential/d1/bias:0", compiled) == 1  # first match wins
    assert match_group("top/kernel", compiled) is None
    with pytest.warns(UserWarning, match=r"matched no variable: 'typo' \('\^d0/'\)"):
        groups = group_names(["m/d0/kernel", "m/d1/kernel"], [("typo", "^d0/"), ("all", ".*")])
    assert groups == [("all", [0, 1])]
    with pytest.raises(ValueError, match=r"Invalid regex in `groups`: '\('"):
        compile_group_patterns(["("])
