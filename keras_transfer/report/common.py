"""Helpers shared by the report writers: matplotlib set-up and Markdown escaping."""

import math
import numbers

_MARKDOWN_SPECIALS = "\\`*_[]|#~<>"
_DPI = 110


def new_figure(figsize, what):
    """A `matplotlib.figure.Figure` on an Agg canvas (no pyplot global state).

    `what` names the caller in the ImportError raised without matplotlib.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            f"`{what}` needs matplotlib. Install the `report` extra: "
            "`pip install 'keras-transfer[report]'` (or `pip install matplotlib`)."
        ) from error
    figure = Figure(figsize=figsize, dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save_figure(figure, path):
    """Writes `figure` to `path` as a PNG and returns `path`."""
    figure.savefig(path, format="png", dpi=_DPI, facecolor="white")
    return path


def shorten(text, limit):
    """`text` cut to `limit` characters, ending with an ellipsis when cut."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def escape_markdown(text, limit=None):
    """Escapes `text` for a Markdown table cell or heading (one line, no HTML)."""
    text = " ".join(str(text).split())
    if limit is not None:
        text = shorten(text, limit)
    text = text.replace("&", "&amp;")
    out = []
    for char in text:
        if char == "<":
            out.append("&lt;")
        elif char == ">":
            out.append("&gt;")
        elif char in _MARKDOWN_SPECIALS:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def markdown_table(header, rows, align=None):
    """A Markdown table; `align` is one of `"l"`/`"r"` per column."""
    align = align or ["l"] * len(header)
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|",
    ]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def format_number(value, digits=4):
    """A float with `digits` decimals, an int as is, `None`/NaN as a dash."""
    if value is None:
        return "\u2013"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        return f"{value:.{digits}f}" if math.isfinite(value) else "\u2013"
    return escape_markdown(value)
