"""`keras-transfer fit --task asr`, `predict` on its run, and its refusals."""

import json

import pytest

from keras_transfer.cli.main import main
from tests import savedmodels
from tests.cli.test_speech_data import write_wav


@pytest.fixture(scope="module")
def speech_csv(tmp_path_factory):
    root = tmp_path_factory.mktemp("speech")
    rows = ["path,transcript"]
    for i, text in enumerate(["a b", "b a", "ab", "ba", "a", "b"]):
        write_wav(root / f"{i}.wav", 0.4 + 0.05 * i, frequency=200.0 + 100 * i)
        rows.append(f"{i}.wav,{text}")
    (root / "speech.csv").write_text("\n".join(rows) + "\n")
    return root / "speech.csv"


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory):
    return savedmodels.tiny_whisper_encoder(str(tmp_path_factory.mktemp("encoder")))


@pytest.mark.large
def test_fit_asr_writes_a_run_and_predict_transcribes(speech_csv, tiny_encoder, tmp_path,
                                                      capsys):
    run = tmp_path / "run"
    code = main(["-q", "fit", "--task", "asr", "--backbone", tiny_encoder, "--data",
                 str(speech_csv), "--max-seconds", "1", "--num-test", "2", "--epochs", "1",
                 "--batch-size", "2", "--learning-rate", "1e-2", "--output", str(run)])
    assert code == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "test (2 clips): CER " in out
    for name in ("model.keras", "metrics.json", "config.json", "evaluation.json", "report.md",
                 "learning_curves.png", "serving/1/saved_model.pb",
                 "serving/1/assets.extra/tf_serving_warmup_requests"):
        assert (run / name).exists(), name
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["task"] == "asr" and metrics["num_train"] == 4 and metrics["num_test"] == 2
    assert metrics["test"]["cer"] >= 0.0 and metrics["test"]["wer"] >= 0.0
    assert len(metrics["loss"]) == 2  # the head's epoch, then one unfreezing epoch
    evaluation = json.loads((run / "evaluation.json").read_text())
    report = (run / "report.md").read_text()
    assert "CER (character error rate)" in report and "## Example transcripts" in report
    assert f"{metrics['test']['cer']:.4f}" in report
    clips = {e["source"]: e["hypothesis"] for e in evaluation["examples"]}
    assert len(clips) == 2

    # `predict` on the run: the served transcripts equal the Python ones of fit.
    files = [str(speech_csv.parent / name) for name in sorted(clips)]
    assert main(["predict", "--model", str(run), *files]) == 0
    lines = capsys.readouterr().out.rstrip("\n").split("\n")
    assert [line.split("\t") for line in lines] == [[clips[n], f] for n, f
                                                    in zip(sorted(clips), files)]

    # A file that is not a WAV: one line naming it, exit 2, no traceback.
    bad = tmp_path / "notes.wav"
    bad.write_bytes(b"\x00\x01 not audio")
    assert main(["predict", "--model", str(run), files[0], str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"keras-transfer predict: error: {bad}: ")
    assert "Invalid `audio_bytes`: Not a WAV file" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err

    assert main(["evaluate", "--model", str(run), "--data", str(speech_csv)]) == 2
    assert "is a speech recognition run" in capsys.readouterr().err
    base = tmp_path / "again"
    assert main(["export", "--model", str(run), "--output", str(base), "--unsafe"]) == 0
    assert (base / "1" / "saved_model.pb").exists()
    assert capsys.readouterr().out.strip().endswith(str(base / "1"))
    assert main(["predict", "--model", str(base / "1"), files[0]]) == 0
    assert capsys.readouterr().out.split("\t")[0] == clips[sorted(clips)[0]]


def test_asr_refuses_classifier_options_and_bad_data(tmp_path, capsys):
    for extra, message in (
            (["--plan", "lp_ft"], "--plan: not used by --task asr"),
            (["--folds", "3"], "--folds: not used by --task asr"),
            (["--max-seconds", "40"], "--max-seconds must be in (0, 30], got 40.0"),
            (["--data", str(tmp_path / "none.csv")], "no such CSV manifest"),
            (["--data", "rotten_tomatoes"], "is not speech data for --task asr")):
        argv = ["fit", "--task", "asr", "--backbone", "speech_embedding", "--data",
                "synthetic_speech", "--output", str(tmp_path / "run"), "--overwrite", *extra]
        assert main(argv) == 2, extra
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err
    assert main(["fit", "--task", "asr", "--backbone", "minilm_l6", "--data",
                 "synthetic_speech", "--output", str(tmp_path / "run2")]) == 2
    assert "is a text backbone, but the data is audio" in capsys.readouterr().err
    assert not (tmp_path / "run2").exists()
    assert main(["fit", "--backbone", "minilm_l6", "--data", "rotten_tomatoes",
                 "--max-seconds", "4", "--output", str(tmp_path / "run3")]) == 2
    assert "--max-seconds is for --task asr" in capsys.readouterr().err
    assert main(["demo", "--task", "asr", "--output", str(tmp_path / "run4")]) == 2
    assert "train a speech recognizer with `keras-transfer fit --task asr`" in \
        capsys.readouterr().err
