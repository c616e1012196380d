from keras_transfer.evaluation.evaluate_classifier import evaluate_classifier
from keras_transfer.report.build_reliability_diagram_figure import (
    build_reliability_diagram_figure)
from keras_transfer.testing import TestCase

# Confidences 0.97 (right), 0.98 (wrong), 0.70, 0.72 (right), 0.71 (wrong),
# 0.55 (wrong): three filled bins of 15.
CONFIDENCE = [0.97, 0.98, 0.70, 0.72, 0.71, 0.55]
LABELS = [0, 1, 0, 0, 1, 1]


class BuildReliabilityDiagramFigureTest(TestCase):
    def test_bars_are_the_bins(self):
        result = evaluate_classifier(LABELS, [[c, 1 - c] for c in CONFIDENCE])
        figure = build_reliability_diagram_figure(result)
        diagram, histogram = figure.axes
        # Accuracy bars, at the filled bins' left edges.
        heights = sorted((round(p.get_x(), 6), round(p.get_height(), 6))
                         for p in diagram.containers[0].patches)
        self.assertAllClose(heights, [(8 / 15, 0.0), (10 / 15, 2 / 3), (14 / 15, 0.5)],
                            atol=1e-6)
        # The red gaps span accuracy..confidence.
        gaps = sorted((p.get_y(), p.get_y() + p.get_height())
                      for p in diagram.containers[1].patches)
        self.assertAllClose(gaps, [(0.0, 0.55), (0.5, 0.975), (2 / 3, 0.71)], atol=1e-12)
        # Every bin in the histogram, with its count.
        self.assertEqual([int(p.get_height()) for p in histogram.patches],
                         [0] * 8 + [1, 0, 3, 0, 0, 0, 2])
        self.assertIn("15 bins", diagram.get_title())
        self.assertIn(f"ECE = {result['expected_calibration_error']:.4f}",
                      diagram.get_title())

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "without `calibration_bins`"):
            build_reliability_diagram_figure({"accuracy": 1.0})
