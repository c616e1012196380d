"""`keras-transfer fit --task detection` and `predict` on detection runs."""

import json

import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.cli.main import main


def test_detection_refuses_classifier_options_and_bad_data_in_one_line(tmp_path, capsys):
    base = ["fit", "--task", "detection", "--backbone", "tiny_face_detector",
            "--output", str(tmp_path / "run")]
    for extra, message in (
            (["--data", "digits_on_photos", "--plan", "lp_ft"],
             "--plan: classifier options; detection trains with plain fine-tuning"),
            (["--data", "digits_on_photos", "--workers", "2"], "--workers"),
            (["--data", str(tmp_path)], "no annotations found"),
            (["--data", "digits_on_photos", "--epochs", "0"], "--epochs must be >= 1")):
        assert main(base + extra) in (1, 2)
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "run").exists()


@pytest.mark.large  # trains the tiny face detector's head for one epoch: about a minute
def test_fit_digits_on_photos_then_predict_from_the_run_and_the_export(tmp_path, capsys):
    run = tmp_path / "run"
    code = main(["fit", "--backbone", "tiny_face_detector", "--data", "digits_on_photos",
                 "--num-train", "16", "--num-test", "4", "--epochs", "1", "--batch-size",
                 "8", "--image-size", "64", "64", "--output", str(run)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "test mAP@0.5:" in out
    for name in ("model.keras", "metrics.json", "config.json", "evaluation.json", "report.md",
                 "learning_curves.png", "detections.png", "serving/1/saved_model.pb"):
        assert (run / name).exists(), name
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["task"] == "detection" and metrics["classes"] == [str(i) for i in range(10)]
    assert metrics["input_size"] == [64, 64] and len(metrics["loss"]) == 1
    assert 0.0 <= metrics["detection"]["map_50"] <= 1.0
    assert 0.0 <= metrics["detection"]["map"] <= metrics["detection"]["map_50"]
    report = (run / "report.md").read_text()
    assert "## Per-class average precision" in report and "![Predicted boxes]" in report
    assert "| mAP@0.5 |" in report

    photo = tmp_path / "photo.jpg"
    pixels = np.random.default_rng(0).integers(0, 256, (90, 120, 3)).astype(np.uint8)
    photo.write_bytes(tf.io.encode_jpeg(pixels).numpy())
    assert main(["predict", "--model", str(run), str(photo)]) == 0
    from_run = capsys.readouterr().out.strip().splitlines()
    assert main(["predict", "--model", str(run / "serving" / "1"), str(photo)]) == 0
    served = capsys.readouterr().out.strip().splitlines()
    assert from_run and all(line.startswith(str(photo) + "\t") for line in from_run)
    assert len(served) == len(from_run)
    for a, b in zip(from_run, served):
        a, b = a.split("\t"), b.split("\t")
        assert a[1] == b[1]
        if len(a) > 2:
            assert float(a[2]) == pytest.approx(float(b[2]), abs=2e-4)
            np.testing.assert_allclose([float(v) for v in a[3].split()],
                                       [float(v) for v in b[3].split()], atol=0.2)

    # `export` on the run writes another version with the run's thresholds.
    assert main(["export", "--model", str(run), "--output", str(tmp_path / "again")]) == 0
    again = tf.saved_model.load(str(tmp_path / "again" / "1")).signatures["serving_default"]
    first = tf.saved_model.load(str(run / "serving" / "1")).signatures["serving_default"]
    request = tf.constant([photo.read_bytes()])
    np.testing.assert_allclose(again(image_bytes=request)["scores"].numpy(),
                               first(image_bytes=request)["scores"].numpy(), atol=1e-6)
    capsys.readouterr()

    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    for model in (run, run / "serving" / "1"):
        assert main(["predict", "--model", str(model), str(bad)]) == 2
        err = capsys.readouterr().err
        assert "not" in err and len(err.strip().splitlines()) == 1, err
