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


def test_training_targets_are_relative_to_the_padded_square(tmp_path, monkeypatch):
    """A wide photo is padded at the bottom: its boxes must move to the square's
    frame, or training and serving disagree (serving scales by the longer side)."""
    from keras_transfer.cli import run_detect

    for split in ("train", "test"):
        folder = tmp_path / split
        folder.mkdir()
        photo = np.zeros((48, 96, 3), np.uint8)  # height 48, width 96
        (folder / "a.png").write_bytes(tf.io.encode_png(photo).numpy())
        (folder / "a.txt").write_text("0 0.5 0.75 0.25 0.5\n")  # y centre 36 px of 48
        (folder / "classes.txt").write_text("thing\n")
    seen = {}

    class Stop(Exception):
        pass

    def capture(model, images, boxes, config, verbose):
        seen["images"], seen["boxes"] = images, boxes
        raise Stop

    monkeypatch.setattr(run_detect, "_fit", capture)
    with pytest.raises(Stop):
        main(["fit", "--task", "detection", "--backbone", "tiny_face_detector",
              "--data", str(tmp_path), "--image-size", "64", "64", "--epochs", "1",
              "--output", str(tmp_path / "run")])
    (item,) = seen["boxes"]
    assert seen["images"].shape == (1, 64, 64, 3) and (item.width, item.height) == (64, 64)
    # x 36..60 of 96 and y 24..48 of the 96-pixel square, at 64 px: x 24..40, y 16..32.
    np.testing.assert_allclose(item.boxes, [[24, 16, 40, 32]], atol=1e-4)
