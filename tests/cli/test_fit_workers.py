"""`keras-transfer fit --workers N`: argument checks, and a 2-worker fit on tiny images."""

import json
import os

import pytest

from keras_transfer.cli.main import main

FIT = ["--task", "image", "--image-size", "12", "12", "--epochs", "1", "--batch-size", "4",
       "--learning-rate", "1e-2", "--plan", "full", "--baseline-epochs", "0"]


@pytest.mark.parametrize("flags, message", [
    (["--workers", "0"], "--workers must be between 1 and 64 (local processes), got 0"),
    (["--workers", "65"], "--workers must be between 1 and 64 (local processes), got 65"),
    (["--workers", "2", "--strategy", "mirrored"],
     "--workers 2 trains with the multi_worker strategy; --strategy mirrored contradicts it"),
])
def test_bad_workers_are_one_line_errors(flags, message, tmp_path, capsys):
    code = main(["fit", "--backbone", "unused", "--data", "unused", "--output",
                 str(tmp_path / "run"), *flags])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"keras-transfer fit: error: {message}\n"
    assert not (tmp_path / "run").exists()


def test_workers_inside_a_cluster_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["a:1", "b:2"]},
                                                "task": {"type": "worker", "index": 0}}))
    assert main(["fit", "--backbone", "unused", "--data", "unused", "--workers", "2",
                 "--output", str(tmp_path / "run")]) == 2
    assert "TF_CONFIG is already set" in capsys.readouterr().err


def _files(root):
    return sorted(os.path.relpath(os.path.join(folder, name), root)
                  for folder, _, names in os.walk(root) for name in names)


@pytest.mark.large
def test_two_workers_write_the_layout_of_one_process(image_folder, tiny_backbone, tmp_path,
                                                      capsys):
    single, cluster = tmp_path / "single", tmp_path / "cluster"
    args = ["-q", "fit", "--backbone", tiny_backbone, "--data", str(image_folder), *FIT]
    assert main([*args, "--output", str(single)]) == 0
    capsys.readouterr()
    assert main([*args, "--output", str(cluster), "--workers", "2"]) == 0
    assert _files(cluster) == _files(single)
    assert "model.keras" in _files(cluster) and "report.md" in _files(cluster)
    assert not any("workertemp" in path for path in _files(cluster))
    config = json.loads((cluster / "config.json").read_text())
    assert config["workers"] == 2 and config["strategy"] == "multi_worker"
    metrics = json.loads((cluster / "metrics.json").read_text())
    assert metrics["classes"] == ["dark", "light"]
    assert 0.0 <= metrics["fine_tuned"]["accuracy"] <= 1.0

    # A worker that fails stops the cluster, with one line naming it.
    bad = ["-q", "fit", "--backbone", tiny_backbone, "--data", str(tmp_path / "missing"), *FIT]
    assert main([*bad, "--output", str(tmp_path / "bad"), "--workers", "2"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("keras-transfer fit: error: worker ")
