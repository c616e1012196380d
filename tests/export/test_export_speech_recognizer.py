import os
import shutil
import tempfile

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.data.audio import resample
from keras_transfer.data.load_transcribed_audio import load_transcribed_audio
from keras_transfer.data.pad_speech import pad_speech
from keras_transfer.data.read_pocketsphinx_librivox import DEFAULT_FOLDER
from keras_transfer.data.read_pocketsphinx_librivox import read_pocketsphinx_librivox
from keras_transfer.export.export_for_serving import export_for_serving
from keras_transfer.export.export_speech_recognizer import decode_speech
from keras_transfer.export.export_speech_recognizer import encoder_sample_rate
from keras_transfer.export.export_speech_recognizer import export_speech_recognizer
from keras_transfer.export.export_speech_recognizer import greedy_transcripts
from keras_transfer.models.build_speech_recognizer import build_speech_recognizer
from keras_transfer.speech.character_vocabulary import CharacterVocabulary
from keras_transfer.speech.decode_ctc import decode_ctc
from keras_transfer.speech.transcribe import transcribe
from keras_transfer.testing import TestCase, require
from tests import savedmodels
from tests.export import tiny_classifiers

# The tiny Whisper-layout encoder holds 200 positions: 4 s at 16 kHz.
MAX_SECONDS = 4.0
# The two pocketsphinx LibriVox recordings shorter than that (2.99 s, 3.29 s).
SHORT_CLIPS = ("sense_and_sensibility_01_austen_64kb-0880.wav",
               "sense_and_sensibility_01_austen_64kb-0930.wav")


def wav(waveform, rate):
    return tf.audio.encode_wav(np.asarray(waveform, np.float32)[:, None], rate).numpy()


def tone(frequency, rate, seconds, amplitude=0.5):
    return amplitude * np.sin(2 * np.pi * frequency * np.arange(int(rate * seconds)) / rate)


def error_line(call):
    """The first line of the error a request fails with, from the failed assertion on."""
    try:
        call()
    except tf.errors.InvalidArgumentError as error:
        # The first line, or after "Graph execution error:"; without the
        # graph's function name.
        line = next(line for line in error.message.splitlines() if "assertion failed:" in line)
        return line[line.index("assertion failed:"):]
    raise AssertionError("no InvalidArgumentError")


class ExportSpeechRecognizerTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = tempfile.mkdtemp()
        keras.utils.set_random_seed(0)
        cls.model = build_speech_recognizer(savedmodels.tiny_whisper_encoder(cls.root),
                                            max_seconds=MAX_SECONDS, dropout=0.0,
                                            compile=False, seed=0)
        cls.path = export_speech_recognizer(cls.model, os.path.join(cls.root, "asr"),
                                            warmup=False)
        cls.served = tf.saved_model.load(cls.path)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)
        super().tearDownClass()

    def serve(self, files, signature="serving_default"):
        outputs = self.served.signatures[signature](audio_bytes=tf.constant(files))
        if signature == "serving_default":
            return [t.decode("utf-8") for t in outputs["transcript"].numpy()]
        return outputs["logits"].numpy()

    def test_transcripts_equal_python_transcribe_on_real_recordings(self):
        require(os.path.isdir(DEFAULT_FOLDER),
                "needs the LibriVox recordings: sudo apt-get install pocketsphinx-testdata")
        pairs = [p for p in read_pocketsphinx_librivox() if p[0].endswith(SHORT_CLIPS)]
        self.assertLen(pairs, 2)
        waveforms, _ = load_transcribed_audio(pairs)
        expected = transcribe(self.model, waveforms)
        # A seeded (untrained) head: noise, but characters to compare.
        self.assertTrue(all(len(text) > 3 for text in expected), expected)
        files = [open(path, "rb").read() for path, _ in pairs]
        self.assertEqual(self.serve(files), expected)  # one batch of two lengths
        self.assertEqual(self.serve(files[1:]), expected[1:])
        logits = self.serve(files, "frame_logits")
        reference = keras.ops.convert_to_numpy(
            self.model(pad_speech(waveforms, int(MAX_SECONDS * 16000))))
        self.assertAllClose(logits, reference, atol=1e-5)
        # The speech as a 44.1 kHz file: resampled in the graph as
        # load_transcribed_audio resamples it in Python (the gather and the
        # polyphase forms of one filter).
        path_44k = os.path.join(self.root, "speech_44k.wav")
        with open(path_44k, "wb") as f:
            f.write(wav(resample(waveforms[0], 16000, 44100).numpy(), 44100))
        waveforms_44k, _ = load_transcribed_audio([(path_44k, "")])
        served = self.serve([open(path_44k, "rb").read()], "frame_logits")
        reference = keras.ops.convert_to_numpy(
            self.model(pad_speech(waveforms_44k, int(MAX_SECONDS * 16000))))
        self.assertAllClose(served, reference, atol=1e-4)
        self.assertEqual(self.serve([open(path_44k, "rb").read()]),
                         transcribe(self.model, waveforms_44k))

    def test_resampling_keeps_a_tone_at_its_frequency(self):
        # 1 s of 440 Hz at 8 kHz and 44.1 kHz becomes 16,000 samples of the
        # same tone at 16 kHz, marked real, and zeros after it.
        expected = tone(440.0, 16000, 1.0)
        inputs = decode_speech(tf.constant([wav(tone(440.0, 8000, 1.0), 8000),
                                            wav(tone(440.0, 44100, 1.0), 44100)]),
                               16000, 32000)
        waveforms = inputs["waveform"].numpy()
        self.assertAllEqual(inputs["padding_mask"].numpy().sum(axis=1), [16000, 16000])
        self.assertAllEqual(waveforms[:, 16000:], np.zeros((2, 16000)))
        for waveform in waveforms:
            spectrum = np.abs(np.fft.rfft(waveform[:16000]))
            self.assertEqual(int(np.argmax(spectrum)), 440)  # 1 Hz bins
            # Away from the edges (the filter's 16 zero crossings, zero padded
            # outside), the samples are the analytic tone.
            middle = slice(200, 15800)
            self.assertLess(np.max(np.abs(waveform[middle] - expected[middle])), 2e-3)

    def test_bad_requests_fail_like_an_audio_classifier(self):
        classifier = tiny_classifiers.audio_classifier(tempfile.mkdtemp(dir=self.root))
        served = tf.saved_model.load(export_for_serving(
            classifier, os.path.join(self.root, "classifier"), warmup=False))
        classify = served.signatures["serving_default"]
        good = wav(tone(440.0, 16000, 0.5), 16000)
        for bad in (b"definitely not a wav file", good[:-200], b""):
            request = tf.constant([good, bad])
            expected = error_line(lambda: classify(audio_bytes=request))
            self.assertIn("index(es):] [1]", expected)
            self.assertEqual(error_line(lambda: self.serve([good, bad])), expected)
        # Longer than the model's 4 s: refused by index, with its duration.
        long = wav(tone(440.0, 8000, 4.01), 8000)
        message = error_line(lambda: self.serve([good, long]))
        self.assertIn("WAV file longer than the model input (64000 samples at 16000 Hz, "
                      "4 s)", message)
        self.assertIn("index(es):] [1]", message)
        # Exactly 4 s at 44.1 kHz (176,400 samples -> 64,000) is accepted.
        self.assertLen(self.serve([wav(tone(440.0, 44100, 4.0), 44100)]), 1)

    def test_greedy_transcripts_equal_decode_ctc(self):
        logits = np.random.default_rng(1).normal(0, 3, (3, 12, 29)).astype("float32")
        logits[2] = -10.0
        logits[2, :, 0] = 10.0  # all blanks: ""
        vocabulary = CharacterVocabulary()
        characters = tf.constant([""] + list(vocabulary.characters))
        texts = [t.decode() for t in greedy_transcripts(tf.constant(logits), characters).numpy()]
        self.assertEqual(texts, decode_ctc(logits, vocabulary))
        self.assertEqual(texts[2], "")

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, r"speech input dict"):
            export_speech_recognizer(tiny_classifiers.audio_classifier(
                tempfile.mkdtemp(dir=self.root)),
                                     os.path.join(self.root, "x"), warmup=False)
        with self.assertRaisesRegex(ValueError, r"\[batch, frames, 4\] \(the vocabulary's 3"):
            export_speech_recognizer(self.model, os.path.join(self.root, "x"),
                                     CharacterVocabulary("abc"), warmup=False)
        with self.assertRaisesRegex(ValueError, "CharacterVocabulary"):
            export_speech_recognizer(self.model, os.path.join(self.root, "x"), "abc")
        self.assertFalse(os.path.exists(os.path.join(self.root, "x")))
        # A backbone given by path: the default rate, or the one asked for.
        self.assertEqual(encoder_sample_rate(self.model), 16000)
        self.assertEqual(encoder_sample_rate(self.model, 8000), 8000)
