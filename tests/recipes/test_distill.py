import shutil
import tempfile

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.models.build_student import build_student
from keras_transfer.models.build_text_classifier import build_text_classifier
from keras_transfer.recipes.distill import distill, make_distiller
from keras_transfer.testing import TestCase
from tests import savedmodels

TEXTS = ["good fine great", "bad awful poor", "great good film", "poor bad film",
         "fine good", "awful bad", "good great fine", "bad poor awful"]
LABELS = np.array([1, 0, 1, 0, 1, 0, 1, 0])


def manual_loss(teacher_p, student_p, labels, temperature, alpha):
    """Hinton's loss from the probabilities, in float64 (KLDivergence clips to 1e-7)."""
    def tempered(p):
        z = np.log(np.maximum(p.astype(np.float64), 1e-38)) / temperature
        e = np.exp(z - z.max(-1, keepdims=True))
        return np.clip(e / e.sum(-1, keepdims=True), 1e-7, 1)
    pt, ps = tempered(teacher_p), tempered(student_p)
    kl = np.mean(np.sum(pt * np.log(pt / ps), axis=-1)) * temperature ** 2
    ce = -np.mean(np.log(student_p[np.arange(len(labels)), labels]))
    return alpha * ce + (1 - alpha) * kl, kl


class DistillTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = tempfile.mkdtemp()
        cls.addClassCleanup(shutil.rmtree, cls.root, ignore_errors=True)
        cls.encoder = savedmodels.mean_pooled_encoder(cls.root)
        cls.preprocessor = savedmodels.string_preprocessor(cls.root)

    def setUp(self):
        super().setUp()
        keras.utils.set_random_seed(1)
        self.teacher = build_text_classifier(self.encoder, 2, preprocessor=self.preprocessor,
                                             output_key="default", dropout=0.0)
        # A confident teacher, so its soft labels differ from the student's.
        self.teacher.get_layer("head").dense.kernel.assign(
            np.random.default_rng(0).normal(0, 3, (8, 2)).astype("float32"))
        self.student = build_student(self.teacher, units=8, embedding_dim=8, dropout=0.0)
        self.x = tf.constant(TEXTS)

    def test_loss_is_hinton_loss_with_the_kl_term(self):
        teacher_p = keras.ops.convert_to_numpy(self.teacher(self.x))
        student_p = keras.ops.convert_to_numpy(self.student(self.x))
        for temperature, alpha in ((3.0, 0.5), (1.0, 0.2), (5.0, 0.0)):
            distiller = make_distiller(self.teacher, self.student, temperature, alpha)
            distiller.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
            loss = float(distiller.compute_loss(self.x, LABELS, training=False))
            expected, kl = manual_loss(teacher_p, student_p, LABELS, temperature, alpha)
            self.assertGreater(kl, 1e-3)  # the distillation term is really there
            self.assertAllClose(loss, expected, rtol=1e-4, msg=(temperature, alpha))
            self.assertAllClose(float(distiller.distillation_loss_tracker.result()), kl,
                                rtol=1e-4)

    def test_fit_trains_the_student_only_and_restores_the_teacher(self):
        self.teacher.get_layer("backbone").trainable = True
        self.teacher.get_layer("preprocessor").trainable = False
        teacher_before = [w.numpy().copy() for w in self.teacher.weights]
        student_before = [w.numpy().copy() for w in self.student.trainable_weights]
        history = distill(self.teacher, self.student, self.x, LABELS, epochs=2,
                          batch_size=4, temperature=2.0, verbose=0)
        self.assertEqual(len(history.history["distillation_loss"]), 2)
        self.assertEqual(len(history.history["student_loss"]), 2)
        self.assertIsInstance(history.model, keras.distillation.Distiller)
        for before, weight in zip(teacher_before, self.teacher.weights):
            self.assertAllEqual(before, weight.numpy())
        changed = [not np.allclose(b, w.numpy())
                   for b, w in zip(student_before, self.student.trainable_weights)]
        self.assertTrue(all(changed))
        self.assertTrue(self.teacher.get_layer("backbone").trainable)
        self.assertFalse(self.teacher.get_layer("preprocessor").trainable)

    def test_distilled_student_follows_the_teacher(self):
        # Only the distillation term (alpha=0): the student learns the
        # teacher's predictions, not the labels.
        teacher_classes = np.argmax(self.teacher.predict(self.x, verbose=0), -1)
        distill(self.teacher, self.student, self.x, LABELS, epochs=40, batch_size=8,
                student_loss_weight=0.0, learning_rate=0.01, verbose=0)
        student_classes = np.argmax(self.student.predict(self.x, verbose=0), -1)
        self.assertAllEqual(student_classes, teacher_classes)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "student_loss_weight"):
            distill(self.teacher, self.student, self.x, LABELS, student_loss_weight=1.5)
        with self.assertRaisesRegex(ValueError, "temperature"):
            distill(self.teacher, self.student, self.x, LABELS, temperature=0)
        with self.assertRaisesRegex(ValueError, "`student` must be a functional"):
            distill(self.teacher, keras.Sequential([keras.layers.Dense(2)]), self.x, LABELS)
