import os
import shutil
import tempfile

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.export.export_for_serving import export_for_serving
from keras_transfer.layers.hub_backbone import HubBackbone
from keras_transfer.models.build_student import build_student
from keras_transfer.models.build_text_classifier import build_text_classifier
from keras_transfer.testing import TestCase
from tests import savedmodels
from tests.export import tiny_classifiers as tiny

TEXTS = ["good fine great", "bad awful poor", "great good film", "poor bad film"]


class BuildStudentTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = tempfile.mkdtemp()
        cls.addClassCleanup(shutil.rmtree, cls.root, ignore_errors=True)
        cls.preprocessor = savedmodels.string_preprocessor(cls.root)  # vocab_size=50
        cls.teacher = build_text_classifier(
            savedmodels.mean_pooled_encoder(cls.root), 3, preprocessor=cls.preprocessor,
            output_key="default")

    def test_text_student_reuses_the_tokenizer_and_infers_the_vocabulary(self):
        student = build_student(self.teacher, units=16, embedding_dim=8)
        self.assertEqual([layer.name for layer in student.layers],
                         ["text", "preprocessor", "trim_padding", "token_classifier"])
        core = student.get_layer("token_classifier")
        # 50 rows: the teacher encoder's word_embeddings variable.
        self.assertEqual(tuple(core.get_layer("embedding").embeddings.shape), (50, 8))
        probabilities = keras.ops.convert_to_numpy(student(tf.constant(TEXTS)))
        self.assertEqual(probabilities.shape, (4, 3))
        self.assertAllClose(probabilities.sum(-1), np.ones(4), atol=1e-6)
        # The student is the token classifier applied to the teacher's tokens.
        tokens = HubBackbone(self.preprocessor)(tf.constant(TEXTS))
        expected = core({key: tf.cast(tokens[key], "int32")
                         for key in ("input_word_ids", "input_mask")})
        self.assertAllClose(probabilities, expected, atol=1e-6)

    def test_padding_does_not_change_the_prediction(self):
        for architecture in ("cnn", "bilstm"):
            core = build_student(self.teacher, architecture=architecture, units=8,
                                 ).get_layer("token_classifier")
            ids = np.array([[5, 7, 9, 0, 0, 0]], "int32")
            short = core({"input_word_ids": ids[:, :3], "input_mask": np.ones((1, 3), "int32")})
            padded = core({"input_word_ids": ids, "input_mask": (ids > 0).astype("int32")})
            self.assertAllClose(short, padded, atol=1e-6, msg=architecture)

    def test_student_is_much_smaller_and_exports_for_serving(self):
        student = build_student(self.teacher, vocab_size=50, units=8, embedding_dim=4)
        self.assertEqual(student.count_params(), 50 * 4 + (3 * 4 * 8 + 8) + (8 * 3 + 3))
        path = export_for_serving(student, os.path.join(self.root, "student"), warmup=False)
        served = tf.saved_model.load(path).signatures["serving_default"](
            text=tf.constant(TEXTS))
        self.assertAllClose(served["probabilities"], student(tf.constant(TEXTS)), atol=1e-6)

    def test_image_student(self):
        teacher = tiny.image_classifier(tempfile.mkdtemp(dir=self.root), num_classes=4, any_size=True)
        student = build_student(teacher, units=8, image_size=16)
        self.assertEqual(student.input.shape, (None, None, None, 3))
        images = np.random.default_rng(0).uniform(0, 255, (2, 20, 24, 3)).astype("float32")
        self.assertEqual(tuple(student(images).shape), (2, 4))
        self.assertEqual([layer.name for layer in student.layers][1:3],
                         ["resizing", "rescaling"])

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "architecture` must be 'cnn' for an image"):
            build_student(tiny.image_classifier(tempfile.mkdtemp(dir=self.root), any_size=True),
                          architecture="bilstm")
        with self.assertRaisesRegex(ValueError, "text classifier .* or an image"):
            build_student(tiny.audio_classifier(tempfile.mkdtemp(dir=self.root)))
        with self.assertRaisesRegex(ValueError, "layer named 'preprocessor'"):
            build_student(tiny.text_classifier(tempfile.mkdtemp(dir=self.root)))
        with self.assertRaisesRegex(ValueError, "architecture"):
            build_student(self.teacher, architecture="transformer")
        keras_only = keras.Sequential([keras.layers.Dense(2)])
        with self.assertRaisesRegex(ValueError, "functional `keras.Model`"):
            build_student(keras_only)
