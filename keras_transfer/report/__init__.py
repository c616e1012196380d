"""Reports: a Markdown training report with learning-curve and error-analysis figures."""

from keras_transfer.report.build_confusion_matrix_figure import build_confusion_matrix_figure
from keras_transfer.report.build_learning_curves_figure import build_learning_curves_figure
from keras_transfer.report.build_per_class_figure import build_per_class_figure
from keras_transfer.report.write_report import write_report
