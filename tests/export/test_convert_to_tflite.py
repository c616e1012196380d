import os
import shutil
import tempfile

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.export.convert_to_tflite import convert_to_tflite
from keras_transfer.export.predict_tflite import predict_tflite
from keras_transfer.layers.hub_backbone import HubBackbone
from keras_transfer.models.build_student import build_student
from keras_transfer.models.build_text_classifier import build_text_classifier
from keras_transfer.testing import TestCase
from tests import savedmodels
from tests.export import tiny_classifiers as tiny

TEXTS = ["good fine great", "bad awful poor", "great good film", "poor bad film x y"]


class ConvertToTFLiteTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = tempfile.mkdtemp()
        cls.addClassCleanup(shutil.rmtree, cls.root, ignore_errors=True)
        keras.utils.set_random_seed(0)
        cls.preprocessor = savedmodels.string_preprocessor(cls.root)
        cls.teacher = build_text_classifier(
            savedmodels.mean_pooled_encoder(cls.root), 2, preprocessor=cls.preprocessor,
            output_key="default")
        cls.image_student = build_student(
            tiny.image_classifier(tempfile.mkdtemp(dir=cls.root), any_size=True),
            units=16, image_size=16)
        cls.images = np.random.default_rng(0).uniform(0, 255, (5, 20, 24, 3)).astype("float32")

    def path(self, name):
        return os.path.join(self.root, name)

    def test_outputs_match_keras_and_quantised_files_are_smaller(self):
        expected = self.image_student.predict(self.images, verbose=0)
        sizes = {}
        for quantization, atol in ((None, 1e-5), ("float16", 1e-3), ("dynamic_range", 2e-2)):
            path = convert_to_tflite(self.image_student, self.path(f"image_{quantization}.tflite"),
                                     quantization=quantization)
            sizes[quantization] = os.path.getsize(path)
            # batch_size=2: the signature runner resizes to 2, 2 and 1 examples.
            outputs = predict_tflite(path, self.images, batch_size=2)
            self.assertEqual(outputs.shape, (5, 3))
            self.assertAllClose(outputs, expected, atol=atol, msg=quantization)
        self.assertLess(sizes["float16"], sizes[None])
        self.assertLess(sizes["dynamic_range"], sizes["float16"])

    def test_text_student_after_the_tokenizer_converts(self):
        student = build_student(self.teacher, units=8, embedding_dim=8)
        path = convert_to_tflite(student.get_layer("token_classifier"),
                                 self.path("tokens.tflite"), quantization="dynamic_range")
        tokens = HubBackbone(self.preprocessor)(tf.constant(TEXTS))
        tokens = {key: keras.ops.convert_to_numpy(tokens[key])
                  for key in ("input_word_ids", "input_mask")}
        self.assertAllClose(predict_tflite(path, tokens),
                            student.predict(tf.constant(TEXTS), verbose=0), atol=2e-2)

    def test_string_ops_fail_with_the_ops_and_the_fix(self):
        with self.assertRaisesRegex(
                ValueError, r"TFLite cannot convert 'text_classifier': unsupported op\(s\) "
                r".*StringSplitV2.*allow_tf_ops=True.*token_classifier"):
            convert_to_tflite(self.teacher, self.path("teacher.tflite"))
        self.assertFalse(os.path.exists(self.path("teacher.tflite")))

    def test_recurrent_student_fails_without_tf_ops(self):
        core = build_student(self.teacher, architecture="bilstm", units=4,
                             ).get_layer("token_classifier")
        with self.assertRaisesRegex(ValueError, "TensorList.*use a CNN"):
            convert_to_tflite(core, self.path("bilstm.tflite"))

    def test_argument_errors(self):
        with self.assertRaisesRegex(ValueError, "quantization"):
            convert_to_tflite(self.image_student, self.path("x.tflite"), quantization="int4")
        with self.assertRaisesRegex(ValueError, "must end in '.tflite'"):
            convert_to_tflite(self.image_student, self.path("x.bin"))
