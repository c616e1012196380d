"""`write_transcript_report`: the Markdown report of a speech recognition run."""

import json
import os

from keras_transfer.report import common
from keras_transfer.report.build_learning_curves_figure import build_learning_curves_figure
from keras_transfer.report.write_report import LEARNING_CURVES_FILE, REPORT_FILE

EXAMPLE_ROWS = 10
WORST_ROWS = 5
_EXAMPLE_CHARS = 200


def write_transcript_report(run_dir, history, evaluation, title, extra=None):
    """Writes `report.md` (and `learning_curves.png`) for a speech recognizer.

    Sections: a summary (test clips, corpus CER and WER, their error and
    reference counts, and any other evaluation in `evaluation["other"]`),
    the learning curves, the first test transcripts beside their references,
    the worst ones by CER, and the run details and configuration.

    Args:
        run_dir: str or path. Written into (created if missing).
        history: `keras.callbacks.History`, dict of per-epoch lists, or `None`.
        evaluation: dict. `"test"`: the result of
            `keras_transfer.evaluation.transcript_error_rates`; `"examples"`:
            a list of dicts `reference`, `hypothesis`, `cer` (and `source`);
            optional `"other"`: `{name: transcript_error_rates result}`.
        title: str. The report's title.
        extra: dict. `"config"` (shown as JSON) and other entries (shown in
            "Run details"). Defaults to `None`.

    Returns:
        The path of `run_dir/report.md`, as a str.

    Raises:
        ImportError: if matplotlib is not installed (the `report` extra).
    """
    os.makedirs(run_dir, exist_ok=True)
    extra = dict(extra or {})
    config = extra.pop("config", None)
    test = evaluation["test"]
    lines = [f"# {common.escape_markdown(title)}", "", "## Summary", ""]
    rows = [["Test clips", str(len(evaluation["examples"]))],
            ["CER (character error rate)", common.format_number(test["cer"])],
            ["WER (word error rate)", common.format_number(test["wer"])],
            ["Character errors / reference characters",
             f"{test['char_errors']} / {test['chars']}"],
            ["Word errors / reference words", f"{test['word_errors']} / {test['words']}"]]
    for name, rates in (evaluation.get("other") or {}).items():
        rows.append([f"{common.escape_markdown(name)}: CER / WER",
                     f"{common.format_number(rates['cer'])} / "
                     f"{common.format_number(rates['wer'])}"])
    losses = (getattr(history, "history", history) or {}).get("loss") or []
    if losses:
        rows.append(["Epochs", str(len(losses))])
        rows.append(["Training loss (CTC), first / last epoch",
                     f"{common.format_number(losses[0])} / {common.format_number(losses[-1])}"])
    lines += [common.markdown_table(["", "Value"], rows, ["l", "r"]), "",
              "Corpus rates: edit distance summed over the clips, divided by the reference "
              "length (greedy CTC decoding, `keras_transfer.speech.transcribe`).", ""]

    figure = build_learning_curves_figure(history) if history is not None else None
    if figure is not None:
        common.save_figure(figure, os.path.join(run_dir, LEARNING_CURVES_FILE))
        lines += ["## Learning curves", "", f"![learning curves]({LEARNING_CURVES_FILE})", ""]

    examples = evaluation["examples"]
    lines += ["## Example transcripts", "", f"The first {min(EXAMPLE_ROWS, len(examples))} "
              "test clips.", "", _table(examples[:EXAMPLE_ROWS]), ""]
    worst = sorted(examples, key=lambda e: -e["cer"])[:WORST_ROWS]
    lines += ["## Worst transcripts", "", "The test clips with the highest CER.", "",
              _table(worst), ""]
    if extra:
        lines += ["## Run details", "",
                  common.markdown_table(["", "Value"], [[common.escape_markdown(k),
                                                          common.escape_markdown(v, 200)]
                                                         for k, v in extra.items()]), ""]
    if config is not None:
        lines += ["## Configuration", "", "```json",
                  json.dumps(config, indent=2, default=str), "```", ""]
    path = os.path.join(run_dir, REPORT_FILE)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    return str(path)


def _table(examples):
    rows = [[common.escape_markdown(e.get("source", i), 60),
             common.escape_markdown(e["reference"], _EXAMPLE_CHARS) or "\u2013",
             common.escape_markdown(e["hypothesis"], _EXAMPLE_CHARS) or "\u2013",
             common.format_number(e["cer"], 3)]
            for i, e in enumerate(examples)]
    return common.markdown_table(["Clip", "Reference", "Recognized", "CER"], rows,
                                 ["l", "l", "l", "r"])
