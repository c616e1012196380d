import os
import sys
from unittest import mock

import numpy as np
from matplotlib import image as mpimg

from keras_transfer.report.write_report import write_report
from keras_transfer.testing import TestCase
from tests.report.report_data import HISTORY
from tests.report.report_data import LEARNING_RATES
from tests.report.report_data import PNG_MAGIC
from tests.report.report_data import STAGES
from tests.report.report_data import evaluation


class WriteReportTest(TestCase):
    def assert_valid_png(self, path, size):
        with open(path, "rb") as file:
            content = file.read()
        self.assertEqual(content[:8], PNG_MAGIC)
        self.assertGreater(len(content), 5 * 1024)
        pixels = mpimg.imread(path)
        self.assertEqual(pixels.shape[:2], size)
        # Not a flat image: curves, bars and text on white.
        self.assertGreater(float(np.std(pixels[..., :3])), 0.05)

    def test_writes_report_and_figures(self):
        run_dir = os.path.join(self.get_temp_dir(), "run", "nested")
        path = write_report(
            run_dir, HISTORY, evaluation(), stages=STAGES,
            group_learning_rates=LEARNING_RATES, title="Flowers: fine-tuning",
            extra={"baseline": {"accuracy": 0.3, "macro_f1": 0.25},
                   "config": {"backbone": "efficientnet_lite0", "epochs": 4},
                   "backbone": "efficientnet_lite0", "seed": 7})
        self.assertEqual(path, os.path.join(run_dir, "report.md"))
        # 110 dpi: learning curves 11 x 7.5 in, confusion matrix 6.7 x 5.5 in,
        # per-class bars 9 x 3.2 in.
        self.assert_valid_png(os.path.join(run_dir, "learning_curves.png"), (825, 1210))
        self.assert_valid_png(os.path.join(run_dir, "confusion_matrix.png"), (605, 737))
        self.assert_valid_png(os.path.join(run_dir, "per_class.png"), (352, 990))
        # Reliability diagram 5.5 x 6.2 in.
        self.assert_valid_png(os.path.join(run_dir, "reliability_diagram.png"), (682, 605))

        with open(path, encoding="utf-8") as file:
            report = file.read()
        headings = [line for line in report.splitlines() if line.startswith("#")]
        self.assertEqual(headings, [
            "# Flowers: fine-tuning", "## Summary", "## Learning curves",
            "## Unfreezing stages", "## Learning rates per group", "## Confusion matrix",
            "## Per-class metrics", "## Most confused pairs", "## Worst predictions",
            "## Calibration", "## Run details", "## Configuration"])
        for row in [
            "| Metric | Before | After | Change |",
            "| Accuracy | 0.3000 | 0.7000 | +0.4000 |",
            # F1: daisy 0.8, roses 4/7, tulips 0.75.
            "| Macro F1 | 0.2500 | 0.7071 | +0.4571 |",
            # (7 * -ln 0.8 + 3 * -ln 0.1) / 10.
            "| Log loss | \u2013 | 0.8470 | \u2013 |",
            "| Epochs trained | \u2013 | 4 | \u2013 |",
            "| Best validation accuracy (epoch 3) | \u2013 | 0.7500 | \u2013 |",
            "| 1 | epoch 2 | 2 | backbone/block1, head |",
            "| 2 | epoch 4 | 3 | backbone/stem, backbone/block1, head |",
            "| head | 0.001 | 0.00025 |",
            "| roses | 0.6667 | 0.5000 | 0.5714 | 4 |",
            "| tulips \\| pink\\_ones | 0.6000 | 1.0000 | 0.7500 | 3 |",
            "| roses | tulips \\| pink\\_ones | 2 | 50.0% |",
            "| daisy | roses | 1 | 33.3% |",
            # All ten at confidence 0.8, seven right: 15 bins, ECE 0.1.
            "| Expected calibration error (15 bins) | \u2013 | 0.1000 | \u2013 |",
            "Expected calibration error (15 equal-width bins, Guo et al. 2017): 0.1000.",
            "| (0.73, 0.80] | 10 | 0.700 | 0.800 | +0.100 |",
            "![Reliability diagram](reliability_diagram.png)",
            "| seed | 7 |",
            "![Learning curves](learning_curves.png)",
            "![Confusion matrix](confusion_matrix.png)",
            "![Per-class metrics](per_class.png)",
            '  "backbone": "efficientnet_lite0",',
        ]:
            self.assertIn(row, report)
        # The text of a worst prediction, escaped onto one table line.
        self.assertIn(
            "| a &lt;b&gt;bold&lt;/b&gt; \\| \\*claim\\* with \\`code\\` and a newline |",
            report)
        self.assertNotIn("<b>", report)
        self.assertNotIn("| default |", report)

    def test_worst_predictions_shown_as_inputs(self):
        # The worst predictions of report_data: ranks 1-3 are examples 2, 5
        # and 6 (P(true) 0.1), then the seven right ones from index 0.
        result = evaluation(examples=False)
        self.assertEqual([w["index"] for w in result["worst_predictions"][:3]], [2, 5, 6])
        rng = np.random.default_rng(0)
        images = rng.integers(0, 256, size=(10, 300, 200, 3), dtype=np.uint8)
        images[5] = 0
        run_dir = self.get_temp_dir() + "/images"
        path = write_report(run_dir, None, result, examples=images)
        with open(path, encoding="utf-8") as file:
            report = file.read()
        self.assertIn("| 1 | 2 | daisy | roses | 0.800 | 0.100 | ![example 2](worst_1.png) |",
                      report)
        self.assertIn("![example 5](worst_2.png)", report)
        # One thumbnail per worst prediction, at most 96 pixels a side, the
        # image sampled down (nearest pixel).
        for rank in range(1, 9):
            thumbnail = mpimg.imread(os.path.join(run_dir, f"worst_{rank}.png"))
            self.assertEqual(thumbnail.shape[:2], (96, 64))
        black = mpimg.imread(os.path.join(run_dir, "worst_2.png"))
        self.assertEqual(float(black[..., :3].max()), 0.0)
        first = mpimg.imread(os.path.join(run_dir, "worst_1.png"))[..., :3]
        self.assertAllClose(first[0, 0] * 255, images[2, 0, 0], atol=0.5)
        self.assertAllClose(first[-1, -1] * 255, images[2, -1, -1], atol=0.5)
        self.assertFalse(os.path.exists(os.path.join(run_dir, "worst_9.png")))

        # Audio: file names (escaped, cut); waveforms have no picture, so
        # only their index and description.
        names = {2: "clips/roses_*01*.wav", 5: "x" * 300 + ".wav"}
        path = write_report(self.get_temp_dir() + "/audio", None, result, examples=names)
        with open(path, encoding="utf-8") as file:
            report = file.read()
        self.assertIn("| 0.800 | 0.100 | clips/roses\\_\\*01\\*.wav |", report)
        self.assertIn("| " + "x" * 199 + "\u2026 |", report)
        # Index 0 is not in `names`.
        self.assertIn("| 4 | 0 | daisy | daisy (correct) | 0.800 | 0.800 | \u2013 |", report)
        waveforms = np.zeros((10, 16000), "float32")
        path = write_report(self.get_temp_dir() + "/waves", None, result, examples=waveforms)
        with open(path, encoding="utf-8") as file:
            report = file.read()
        self.assertIn("| Rank | Index | True | Predicted | P(predicted) | P(true) |\n", report)
        self.assertIn("| 2 | 5 | roses | tulips \\| pink\\_ones | 0.800 | 0.100 |\n", report)
        self.assertNotIn("worst_1.png", report)
        self.assertFalse(os.path.exists(self.get_temp_dir() + "/waves/worst_1.png"))
        # A grayscale float image in [0, 1], (h, w, 1).
        gray = np.linspace(0, 1, 10 * 28 * 28).reshape(10, 28, 28, 1)
        run_dir = self.get_temp_dir() + "/gray"
        write_report(run_dir, None, result, examples=gray)
        thumbnail = mpimg.imread(os.path.join(run_dir, "worst_1.png"))
        self.assertEqual(thumbnail.shape[:2], (28, 28))
        self.assertAllClose(thumbnail[-1, -1, 0], round(gray[2, -1, -1, 0] * 255) / 255,
                            atol=1e-6)
        with self.assertRaisesRegex(ValueError, "Received: examples of type int"):
            write_report(self.get_temp_dir(), None, result, examples=3)

    def test_evaluation_only(self):
        run_dir = self.get_temp_dir() + "/eval_only"
        path = write_report(run_dir, None, evaluation(examples=False), extra={"baseline": 0.5})
        with open(path, encoding="utf-8") as file:
            report = file.read()
        self.assertIn("# Training report", report)
        self.assertIn("| Accuracy | 0.5000 | 0.7000 | +0.2000 |", report)
        self.assertIn("| Rank | Index | True | Predicted | P(predicted) | P(true) |\n", report)
        self.assertNotIn("## Learning curves", report)
        self.assertFalse(os.path.exists(os.path.join(run_dir, "learning_curves.png")))
        self.assertTrue(os.path.exists(os.path.join(run_dir, "confusion_matrix.png")))

    def test_strategy_section_has_the_plan_and_its_reason(self):
        plan = {"plan": "linear_probe", "reason": "8 examples per class <= 16: head only",
                "examples_per_class": 8, "holdout": 4}
        path = write_report(self.get_temp_dir() + "/plan", HISTORY, None, plan=plan)
        with open(path, encoding="utf-8") as file:
            report = file.read()
        self.assertIn("## Strategy\n\nPlan: **linear\\_probe**.\n\nWhy: 8 examples per "
                      "class &lt;= 16: head only.", report)
        self.assertIn("| holdout | 4 |", report)
        self.assertLess(report.index("## Summary"), report.index("## Strategy"))
        with self.assertRaisesRegex(ValueError, "Received: plan={'reason': 'x'}"):
            write_report(self.get_temp_dir(), HISTORY, None, plan={"reason": "x"})

    def test_cross_validation_section(self):
        from keras_transfer.evaluation.cross_validate import fold_summary

        accuracy, macro_f1 = [0.75, 1.0, 0.875, 0.875], [0.7, 1.0, 0.8, 0.9]
        result = {"num_folds": 4, "num_examples": 32,
                  "folds": [{"fold": k, "train_size": 24, "test_size": 8,
                             "accuracy": accuracy[k], "macro_f1": macro_f1[k]}
                            for k in range(4)],
                  "summary": {"accuracy": fold_summary(accuracy),
                              "macro_f1": fold_summary(macro_f1)}}
        path = write_report(self.get_temp_dir() + "/cv", HISTORY, None,
                            plan={"plan": "lp_ft"}, cross_validation=result)
        with open(path, encoding="utf-8") as file:
            report = file.read()
        section = report.split("## Cross-validation\n\n")[1].split("\n## ")[0]
        self.assertIn("Stratified 4-fold cross-validation over 32 examples", section)
        self.assertIn("| 2 | 24 | 8 | 1.0000 | 1.0000 |", section)
        # mean 0.875, sample std sqrt(2 * 0.125**2 / 3) = 0.1021; t(0.975, 3) = 3.182:
        # half width 3.182 * 0.1021 / 2 = 0.1624.
        self.assertIn("| Mean ± std |  |  | 0.8750 ± 0.1021 | 0.8500 ± 0.1291 |", section)
        self.assertIn("| 95% CI |  |  | [0.7126, 1.0374] |", section)
        self.assertLess(report.index("## Strategy"), report.index("## Cross-validation"))
        with self.assertRaisesRegex(ValueError, "`cross_validation` must be the dict"):
            write_report(self.get_temp_dir(), HISTORY, None, cross_validation={"folds": []})

    def test_history_only_with_step_stages(self):
        run_dir = self.get_temp_dir() + "/history_only"
        stages = [{"step": 0, "stage": 0, "trainable_groups": ["head"]},
                  {"step": 50, "stage": 1, "trainable_groups": ["backbone", "head"]}]
        path = write_report(run_dir, {"loss": [1.0, 0.5]}, None, stages=stages)
        with open(path, encoding="utf-8") as file:
            report = file.read()
        self.assertIn("| Final training loss | 0.5000 |", report)
        self.assertIn("| 1 | step 50 | 2 | backbone, head |", report)
        self.assertNotIn("## Confusion matrix", report)
        self.assertEqual(sorted(os.listdir(run_dir)), ["learning_curves.png", "report.md"])

    def test_without_matplotlib_names_the_extra(self):
        hidden = {"matplotlib": None, "matplotlib.figure": None,
                  "matplotlib.backends.backend_agg": None}
        with mock.patch.dict(sys.modules, hidden):
            with self.assertRaises(ImportError) as context:
                write_report(self.get_temp_dir(), HISTORY, None)
        self.assertIn("pip install 'keras-transfer[report]'", str(context.exception))

    def test_errors(self):
        cases = [
            (dict(run_dir=None), "Received: run_dir=None"),
            (dict(title=""), "Received: title=''"),
            (dict(extra=[1]), "Received: extra=[1]"),
            (dict(extra={"baseline": "high"}), "Received: 'high'"),
            (dict(evaluation={"accuracy": 0.5}), "a dict with keys ['accuracy']"),
            (dict(history=[0.1, 0.2]), "Received: history of type list"),
            (dict(stages=[{"stage": 0}]), "`stages[0]` must be a dict with an `epoch`"),
            (dict(stages=[{"epoch": -1, "trainable_groups": []}]),
             "`stages[0]['epoch']` must be an integer >= 0. Received: -1"),
            (dict(group_learning_rates=[{"head": 1e-3}]),
             "`group_learning_rates[0]` must be a dict with an `epoch`"),
            (dict(group_learning_rates=[{"epoch": 0, "head": "fast"}]),
             "`group_learning_rates[0]['head']` values must be numbers"),
        ]
        for overrides, message in cases:
            kwargs = dict(run_dir=self.get_temp_dir(), history=HISTORY, evaluation=None)
            kwargs.update(overrides)
            with self.subTest(message=message):
                with self.assertRaises(ValueError) as context:
                    write_report(**kwargs)
                self.assertIn(message, str(context.exception))
