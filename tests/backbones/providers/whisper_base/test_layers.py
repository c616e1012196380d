"""Tests for whisper_base/layers.py: front end, positions, block (no wheel)."""

import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.backbones.providers.whisper_base.layers import (
    PositionalTable, WhisperEncoderBlock, WhisperLogMel, _hz_to_mel, _mel_to_hz,
    slaney_mel_filters)
from keras_transfer.backbones.providers.whisper_base.verify import reference_log_mel
from keras_transfer.testing import TestCase


class WhisperLayersTest(TestCase):

    def test_slaney_scale_known_points(self):
        # Slaney: 3 mel per 200 Hz below 1 kHz (15 mel), log step ln(6.4)/27 above.
        np.testing.assert_allclose(_hz_to_mel([0.0, 200.0, 1000.0, 6400.0]),
                                   [0.0, 3.0, 15.0, 42.0])
        hz = [123.0, 4567.0]
        np.testing.assert_allclose(_mel_to_hz(_hz_to_mel(hz)), hz)

    def test_mel_filters_are_equal_area_triangles(self):
        filters = slaney_mel_filters()
        self.assertEqual(filters.shape, (201, 80))
        self.assertGreaterEqual(filters.min(), 0.0)
        # Slaney normalisation: each triangle integrates to 1 over Hz. On a
        # fine grid (0.4 Hz bins) the Riemann sum shows it.
        fine = slaney_mel_filters(fft_length=40000)
        np.testing.assert_allclose(fine.sum(0) * 0.4, 1.0, atol=2e-3)
        self.assertTrue(np.all(np.diff(filters.argmax(0)) >= 0))  # centres ascend
        self.assertEqual(filters[200].max(), 0.0)  # nothing at exactly 8 kHz

    def test_log_mel_equals_numpy_reference(self):
        rng = np.random.default_rng(0)
        audio = np.stack([rng.normal(0, 0.1, 4000),
                          np.sin(np.arange(4000) / 7.0) * 0.5])
        got = np.asarray(WhisperLogMel()(audio.astype("float32")))
        self.assertEqual(got.shape, (2, 25, 80))
        for i in range(2):
            np.testing.assert_allclose(got[i], reference_log_mel(audio[i]), atol=1e-4)
        # The clamp: nothing below each example's max minus 8 / 4.
        self.assertAlmostEqual(float(got[1].min()), float(got[1].max()) - 2.0, places=5)

    def test_log_mel_rejects_out_of_range_lengths(self):
        layer = WhisperLogMel()
        with self.assertRaisesRegex(ValueError, "Received: samples=480001"):
            layer(np.zeros((1, 480001), "float32"))
        with self.assertRaisesRegex(ValueError, "Received: samples=399"):
            layer(np.zeros((1, 399), "float32"))
        traced = tf.function(layer, input_signature=[tf.TensorSpec([None, None])])
        with self.assertRaises(tf.errors.InvalidArgumentError):
            traced(tf.zeros((1, 480001)))

    def test_positional_table_adds_the_first_rows(self):
        layer = PositionalTable(5)
        layer.build((None, None, 2))
        table = np.arange(10, dtype="float32").reshape(5, 2)
        layer.set_weights([table])
        out = np.asarray(layer(np.ones((1, 3, 2), "float32")))
        np.testing.assert_array_equal(out[0], table[:3] + 1)
        with self.assertRaisesRegex(ValueError, "Received: max_positions=0"):
            PositionalTable(0)

    def test_block_layer_and_serialization(self):
        self.run_layer_test(
            WhisperEncoderBlock, {"num_heads": 2, "intermediate_dim": 8},
            np.zeros((2, 5, 4), "float32"), expected_output_shape=(2, 5, 4))
        with pytest.raises(ValueError, match="Received: num_heads=0"):
            WhisperEncoderBlock(0, 8)
        with pytest.raises(ValueError, match="not divisible"):
            WhisperEncoderBlock(3, 8)(np.zeros((1, 2, 4), "float32"))
