import keras
import numpy as np
import tensorflow as tf

from keras_transfer.layers.hub_backbone import HubBackbone
from keras_transfer.layers.trim_padding import TrimPadding
from keras_transfer.testing import TestCase
from tests import savedmodels


def token_inputs():
    """Two rows padded to 32: 5 and 11 real tokens."""
    mask = np.zeros((2, 32), np.int32)
    mask[0, :5] = 1
    mask[1, :11] = 1
    ids = np.where(mask > 0, 7, 0).astype(np.int32)
    return {"input_word_ids": ids, "input_mask": mask, "input_type_ids": np.zeros_like(ids)}


class TrimPaddingTest(TestCase):
    def test_layer(self):
        """11 real tokens rounded up to 16; config and `.keras` round trips; no weights."""
        keys = ("input_word_ids", "input_mask", "input_type_ids")
        self.run_layer_test(
            TrimPadding, {"mask_key": "input_mask", "multiple_of": 8}, token_inputs(),
            expected_output_shape={key: (2, 16) for key in keys},
            expected_output_dtype={key: "int32" for key in keys},
            expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)

    def test_cuts_to_longest_rounded_and_keeps_outputs(self):
        inputs = {key: tf.constant(value) for key, value in token_inputs().items()}
        out = TrimPadding(multiple_of=8)(inputs)
        self.assertEqual({k: tuple(v.shape) for k, v in out.items()},
                         {k: (2, 16) for k in inputs})
        self.assertEqual(tuple(TrimPadding(multiple_of=1)(inputs)["input_mask"].shape), (2, 11))
        encoder = HubBackbone(savedmodels.mean_pooled_encoder(self.temp_dir()),
                              output_key="default")
        self.assertAllClose(encoder(inputs), encoder(out), atol=1e-6)

    def test_in_a_model_and_serialization(self):
        pre = HubBackbone(savedmodels.string_preprocessor(self.temp_dir(), seq_length=16))
        text = keras.Input((), dtype="string")
        outputs = TrimPadding()(pre(text))
        model = keras.Model(text, outputs["input_word_ids"])
        self.assertEqual(tuple(model(tf.constant(["a b c", "d"])).shape), (2, 8))
        config = TrimPadding(multiple_of=4, name="t").get_config()
        self.assertEqual(TrimPadding.from_config(config).multiple_of, 4)
        with self.assertRaisesRegex(ValueError, "multiple_of=0"):
            TrimPadding(multiple_of=0)
        with self.assertRaisesRegex(ValueError, "'input_mask' entry"):
            TrimPadding()({"ids": tf.ones((1, 2))})
