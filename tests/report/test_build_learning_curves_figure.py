import keras
import numpy as np

from keras_transfer.report.build_learning_curves_figure import STAGE_BOUNDARY_GID
from keras_transfer.report.build_learning_curves_figure import STAGE_SPAN_GID
from keras_transfer.report.build_learning_curves_figure import build_learning_curves_figure
from keras_transfer.testing import TestCase
from tests.report.report_data import HISTORY
from tests.report.report_data import LEARNING_RATES
from tests.report.report_data import STAGES


def by_gid(artists, gid):
    return [artist for artist in artists if artist.get_gid() == gid]


class BuildLearningCurvesFigureTest(TestCase):
    def test_panels_and_stage_markers(self):
        figure = build_learning_curves_figure(HISTORY, STAGES, LEARNING_RATES)
        self.assertLen(figure.axes, 3)
        loss, accuracy, rates = figure.axes
        self.assertEqual([loss.get_title(), accuracy.get_title()], ["Loss", "Accuracy"])
        # Train and validation curves, at 1-based epochs.
        curves = [line for line in loss.lines if line.get_gid() is None]
        self.assertEqual([line.get_label() for line in curves], ["train", "validation"])
        self.assertAllClose(curves[0].get_xdata(), [1, 2, 3, 4])
        self.assertAllClose(curves[1].get_ydata(), HISTORY["val_loss"])
        for axes in figure.axes:
            # Stages start at epochs 0, 1, 3: three spans, boundaries before
            # the 2nd and 4th epochs.
            self.assertLen(by_gid(axes.patches, STAGE_SPAN_GID), 3)
            boundaries = by_gid(axes.lines, STAGE_BOUNDARY_GID)
            self.assertEqual([line.get_xdata()[0] for line in boundaries], [1.5, 3.5])
        spans = by_gid(loss.patches, STAGE_SPAN_GID)
        self.assertAllClose([span.get_x() + span.get_width() for span in spans],
                            [1.5, 3.5, 4.6])
        labels = [text.get_text() for text in loss.texts]
        self.assertEqual(labels, ["1 group", "2 groups", "3 groups"])

        self.assertEqual(rates.get_yscale(), "log")
        group_lines = [line for line in rates.lines if line.get_gid() is None]
        # "default" (the base rate) is left out when groups are named.
        self.assertEqual([line.get_label() for line in group_lines],
                         ["backbone/stem", "backbone/block1", "head"])
        self.assertAllClose(group_lines[2].get_ydata(), [1e-3, 5e-4, 1e-3 / 3, 2.5e-4])
        self.assertAllClose(group_lines[2].get_xdata(), [1, 2, 3, 4])

    def test_two_panels_without_accuracy_and_from_a_history_object(self):
        history = keras.callbacks.History()
        history.history = {"loss": [1.0, 0.8, 0.7], "val_loss": [1.1, 0.9, 0.95]}
        history.epoch = [2, 3, 4]  # resumed at initial_epoch=2
        figure = build_learning_curves_figure(history, group_learning_rates=LEARNING_RATES)
        self.assertLen(figure.axes, 2)
        self.assertAllClose(figure.axes[0].lines[0].get_xdata(), [3, 4, 5])
        self.assertEqual(figure.axes[1].get_yscale(), "log")
        self.assertEqual(by_gid(figure.axes[0].patches, STAGE_SPAN_GID), [])

    def test_custom_accuracy_key_and_step_stages_not_drawn(self):
        history = {"loss": [1.0, 0.5], "sparse_categorical_accuracy": [0.5, 0.7]}
        stages = [{"step": 0, "trainable_groups": ["head"]},
                  {"step": 40, "trainable_groups": ["a", "head"]}]
        figure = build_learning_curves_figure(history, stages)
        self.assertLen(figure.axes, 2)
        self.assertEqual(figure.axes[1].get_title(),
                         "Accuracy (sparse_categorical_accuracy)")
        self.assertEqual(by_gid(figure.axes[0].patches, STAGE_SPAN_GID), [])

    def test_narrow_stage_labels_are_just_the_count(self):
        history = {"loss": list(np.linspace(2.0, 0.5, 30))}
        stages = [{"epoch": e, "trainable_groups": ["g"] * (e + 1)} for e in range(6)]
        figure = build_learning_curves_figure(history, stages)
        self.assertEqual([text.get_text() for text in figure.axes[0].texts],
                         ["1", "2", "3", "4", "5", "6 groups"])

    def test_nothing_to_draw(self):
        self.assertIsNone(build_learning_curves_figure(None))
        self.assertIsNone(build_learning_curves_figure({"precision": [0.5]}))
