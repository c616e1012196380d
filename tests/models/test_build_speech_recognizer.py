import shutil
import tempfile

import keras
import numpy as np
import pytest

from keras_transfer.backbones import conversion
from keras_transfer.callbacks.progressive_unfreezing import ProgressiveUnfreezing
from keras_transfer.data.pad_speech import pad_speech
from keras_transfer.groups.model_groups import get_layer_groups
from keras_transfer.models.build_speech_recognizer import build_speech_recognizer
from keras_transfer.speech.character_vocabulary import CharacterVocabulary
from keras_transfer.speech.decode_ctc import decode_ctc
from keras_transfer.speech.transcribe import transcribe
from keras_transfer.testing import TestCase, require
from tests import savedmodels


def clips(lengths, seed=0):
    rng = np.random.default_rng(seed)
    return [(0.3 * rng.normal(size=n)).astype("float32") for n in lengths]


class BuildSpeechRecognizerTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = tempfile.mkdtemp()
        cls.path = savedmodels.tiny_whisper_encoder(cls.root)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)
        super().tearDownClass()

    def test_shapes_padding_groups_and_transcribe(self):
        model = build_speech_recognizer(self.path, max_seconds=0.5, dropout=0.0,
                                        compile=False)
        # 8000 samples -> 50 mel frames -> 25 encoder steps, 50 per second: no upsampling.
        self.assertEqual(model.get_layer("head").upsample, 1)
        inputs = pad_speech(clips([8000, 3200]), 8000)
        logits = keras.ops.convert_to_numpy(model(inputs))
        self.assertEqual(logits.shape, (2, 25, 29))
        # 3200 of 8000 samples are real: 10 of 25 frames; the rest are certain blanks.
        self.assertTrue(np.all(logits[1, 10:, 0] == 0.0))
        self.assertTrue(np.all(logits[1, 10:, 1:] == -1e4))
        self.assertFalse(np.any(logits[1, :10, 1:] == -1e4))
        self.assertEqual([g.name for g in get_layer_groups(model)],
                         ["backbone/stem", "backbone/block_0", "backbone/block_1",
                          "backbone/top", "head"])
        self.assertEqual(transcribe(model, clips([8000, 3200]), batch_size=1),
                         decode_ctc(logits))

    def test_fit_with_progressive_unfreezing_trains_only_the_head_first(self):
        vocabulary = CharacterVocabulary()
        model = build_speech_recognizer(self.path, max_seconds=0.5, learning_rate=1e-2,
                                        dropout=0.0, seed=0)
        backbone = model.get_layer("backbone")
        before = self.weights_snapshot(backbone.trainable_weights)
        head_before = self.weights_snapshot(model.get_layer("head").weights)
        inputs = pad_speech(clips([8000, 6000, 5000, 7000]), 8000)
        labels = vocabulary.encode(["ab", "ba", "a", "b"])
        history = model.fit(inputs, labels, epochs=2, batch_size=4, verbose=0,
                            callbacks=[ProgressiveUnfreezing(every=10, initial_groups=1)])
        losses = history.history["loss"]
        self.assertLess(losses[-1], losses[0])
        self.assertIn("cer", history.history)
        self.assertIn("wer", history.history)
        for old, new in zip(before, backbone.trainable_weights):
            self.assertAllEqual(old, keras.ops.convert_to_numpy(new))
        self.assertNotAllClose(head_before[0],
                               keras.ops.convert_to_numpy(model.get_layer("head").weights[0]))

    def test_scratch_baseline_has_the_same_size_and_new_weights(self):
        pretrained = build_speech_recognizer(self.path, max_seconds=0.5, compile=False)
        scratch = build_speech_recognizer(self.path, max_seconds=0.5, compile=False,
                                          pretrained=False, seed=3)
        self.assertEqual(pretrained.count_params(), scratch.count_params())
        old = {w.path: keras.ops.convert_to_numpy(w)
               for w in pretrained.get_layer("backbone").weights}
        changed, kernels = 0, 0
        for w in scratch.get_layer("backbone").weights:
            value = keras.ops.convert_to_numpy(w)
            if w.trainable and value.ndim >= 2:  # re-drawn kernels
                kernels += 1
                changed += not np.allclose(value, old[w.path])
            if w.trainable:
                if w.path.endswith("gamma"):
                    self.assertAllEqual(value, np.ones_like(value))
            else:  # log-mel filters and positions are kept
                self.assertAllEqual(value, old[w.path])
        self.assertEqual(kernels, 10)  # 2 convolutions + 4 dense layers per block
        self.assertEqual(changed, kernels)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "expects 16000 Hz"):
            build_speech_recognizer("whisper_base", sample_rate=8000)
        with self.assertRaisesRegex(ValueError, "400 to 480000 samples"):
            build_speech_recognizer("whisper_base", max_seconds=31.0)
        with self.assertRaisesRegex(ValueError, "audio backbone"):
            build_speech_recognizer("efficientnet_lite0")
        with self.assertRaisesRegex(ValueError, "trainable=True"):
            build_speech_recognizer(self.path, pretrained=False, trainable=False)
        with self.assertRaisesRegex(ValueError, "CharacterVocabulary"):
            build_speech_recognizer(self.path, vocabulary="abc")
        model = build_speech_recognizer(self.path, max_seconds=0.5, compile=False)
        with self.assertRaisesRegex(ValueError, "more than max_samples=8000"):
            transcribe(model, clips([9000]))

    @pytest.mark.large
    def test_real_encoders_reach_the_frame_rate(self):
        # whisper_base: 2 s -> 100 steps (50/s), no upsampling; speech_embedding:
        # 16 windows of 80 ms (8/s) -> upsampled 5x to 40 frames per second.
        for name, upsample, frames in (("whisper_base", 1, 100), ("speech_embedding", 5, 80)):
            try:
                conversion.backbone_path(name)
            except Exception as error:  # noqa: BLE001 (the provider needs its wheel)
                require(False, f"{name} is not available: {error}")
            model = build_speech_recognizer(name, max_seconds=2.0, compile=False)
            self.assertEqual(model.get_layer("head").upsample, upsample)
            logits = model(pad_speech(clips([32000, 16000]), 32000))
            self.assertEqual(tuple(logits.shape), (2, frames, 29))
            self.assertTrue(np.all(logits[1, frames // 2 + 1:, 1:] == -1e4))
