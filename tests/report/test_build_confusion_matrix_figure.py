import numpy as np

from keras_transfer.evaluation.evaluate_classifier import evaluate_classifier
from keras_transfer.report.build_confusion_matrix_figure import build_confusion_matrix_figure
from keras_transfer.testing import TestCase
from tests.report.report_data import evaluation


class BuildConfusionMatrixFigureTest(TestCase):
    def test_normalized_with_counts_and_names(self):
        figure = build_confusion_matrix_figure(evaluation())
        axes = figure.axes[0]
        # Rows: daisy [2, 1, 0] / 3, roses [0, 2, 2] / 4, tulips [0, 0, 3] / 3.
        self.assertAllClose(axes.images[0].get_array(),
                            [[2 / 3, 1 / 3, 0], [0, 0.5, 0.5], [0, 0, 1]])
        self.assertEqual([label.get_text() for label in axes.get_yticklabels()],
                         ["daisy", "roses", "tulips | pink_ones"])
        texts = [text.get_text() for text in axes.texts]
        self.assertEqual(texts[:3], ["2\n67%", "1\n33%", "0"])
        self.assertEqual(texts[-1], "3\n100%")

    def test_many_classes_keep_the_most_confused(self):
        # 50 classes, all right but 7 -> 8 (3 times) and 20 -> 7 (once).
        labels = np.repeat(np.arange(50), 4)
        predicted = labels.copy()
        predicted[[28, 29, 30]] = 8
        predicted[80] = 7
        probabilities = np.eye(50)[predicted]
        result = evaluate_classifier(labels, probabilities,
                                     class_names=[f"class {i}" for i in range(50)])
        figure = build_confusion_matrix_figure(result, max_classes=3)
        axes = figure.axes[0]
        self.assertEqual([label.get_text() for label in axes.get_xticklabels()],
                         ["class 7", "class 8", "class 20"])
        # Row "class 7": 1 of 4 right, 3 of 4 predicted as class 8.
        self.assertAllClose(axes.images[0].get_array()[0], [0.25, 0.75, 0.0])
        self.assertIn("3 of 50 classes", axes.get_title())

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "without a `confusion_matrix`"):
            build_confusion_matrix_figure({"accuracy": 1.0})
        with self.assertRaisesRegex(ValueError, "Received: max_classes=1"):
            build_confusion_matrix_figure(evaluation(), max_classes=1)
