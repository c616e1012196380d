import numpy as np
import pytest

pytest.importorskip("matplotlib")

from keras_transfer.report.build_lr_finder_figure import build_lr_finder_figure  # noqa: E402


def test_figure_marks_the_suggestion_on_a_log_axis():
    rates = np.geomspace(1e-5, 1e-1, 9)
    losses = np.linspace(3.0, 1.0, 9)
    figure = build_lr_finder_figure(rates, losses, rates[4], "valley")
    (axes,) = figure.axes
    assert axes.get_xscale() == "log"
    assert axes.get_title() == "Learning rate finder"
    assert [text.get_text() for text in axes.get_legend().get_texts()] == ["valley: 1.00e-03"]
    curve, marker = axes.get_lines()[0], axes.get_lines()[-1]
    np.testing.assert_allclose(curve.get_ydata(), losses)
    np.testing.assert_allclose(marker.get_xydata(), [[1e-3, 2.0]])
    assert tuple(figure.get_size_inches() * figure.dpi) == (640.0, 480.0)
