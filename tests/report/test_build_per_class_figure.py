from keras_transfer.report.build_per_class_figure import build_per_class_figure
from keras_transfer.testing import TestCase
from tests.report.report_data import evaluation


class BuildPerClassFigureTest(TestCase):
    def test_bars_are_the_metrics(self):
        result = evaluation()
        figure = build_per_class_figure(result)
        axes = figure.axes[0]
        self.assertLen(axes.patches, 9)
        widths = [bar.get_width() for bar in axes.patches]
        # Precision bars, then recall, then F1, each in class order.
        self.assertAllClose(widths, [1.0, 2 / 3, 0.6, 2 / 3, 0.5, 1.0, 0.8, 4 / 7, 0.75])
        self.assertEqual([label.get_text() for label in axes.get_yticklabels()],
                         ["daisy (n=3)", "roses (n=4)", "tulips | pink_ones (n=3)"])
        macro = [line for line in axes.lines if line.get_label().startswith("macro F1")]
        self.assertAllClose(macro[0].get_xdata()[0], result["macro_f1"])

    def test_many_classes_keep_the_lowest_f1(self):
        result = evaluation()
        figure = build_per_class_figure(result, max_classes=2)
        axes = figure.axes[0]
        self.assertEqual([label.get_text() for label in axes.get_yticklabels()],
                         ["roses (n=4)", "tulips | pink_ones (n=3)"])
        self.assertIn("the 2 of 3 classes with the lowest F1", axes.get_title())

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "without `per_class` results"):
            build_per_class_figure({"per_class": []})
        with self.assertRaisesRegex(ValueError, "Received: max_classes=0"):
            build_per_class_figure(evaluation(), max_classes=0)
