"""benchmarks/distillation_quality.py: its bookkeeping, its table, and (large) a quick run."""

import json
import os
import subprocess
import sys

import pytest

from tests.benchmarks import scripts
from tests.benchmarks.test_benchmarks import load_run_all

distillation = scripts.load("distillation_quality")
ROOT = os.path.dirname(scripts.BENCHMARKS)


def row(accuracy, latency, size=1000):
    return {"accuracy": accuracy, "macro_f1": accuracy - 0.01, "num_params": 10,
            "size_bytes": size, "serving_export_bytes": size + 1, "latency_ms": latency}


def methods(teacher_runs, student_runs):
    return {name: distillation.summarize(runs)
            for name, runs in (("teacher", teacher_runs), ("cnn_distilled", student_runs))}


def test_records_and_summaries():
    runs = [distillation.record(seed, row(0.7 + seed / 10, 2.0 + seed), 5.0, 8)
            for seed in range(3)]
    assert runs[1] == {"seed": 1, "accuracy": 0.8, "macro_f1": 0.79, "seconds": 5.0,
                       "epochs": 8, "num_params": 10, "size_bytes": 1000,
                       "serving_export_bytes": 1001, "latency_ms": 3.0}
    summary = distillation.summarize(runs)
    assert summary["accuracy"] == {"mean": 0.8, "std": 0.0816}
    assert summary["latency_ms"] == {"mean": 3.0, "std": 0.8165}
    assert summary["size_bytes"] == {"mean": 1000, "std": 0.0}
    tflite = distillation.summarize([distillation.record(0, dict(row(0.7, 1.0),
                                                                 serving_export_bytes=None),
                                                         0.0, None)])
    assert tflite["serving_export_bytes"] is None


def test_target():
    teacher = [distillation.record(0, row(0.80, 30.0), 100.0, 2)]
    students = [distillation.record(s, row(a, 3.0), 5.0, 8) for s, a in enumerate((0.76, 0.78))]
    goal = distillation.target(methods(teacher, students))
    assert goal == {"student": "cnn_distilled", "accuracy_share": 0.9625,
                    "latency_share": 0.1, "accuracy_share_needed": 0.95,
                    "latency_share_allowed": 0.3333, "met": True}
    students = [distillation.record(0, row(0.75, 3.0), 5.0, 8)]  # 93.75% of 0.80
    assert not distillation.target(methods(teacher, students))["met"]
    students = [distillation.record(0, row(0.79, 10.5), 5.0, 8)]  # 35% of the latency
    assert not distillation.target(methods(teacher, students))["met"]
    assert distillation.target({"teacher": methods(teacher, students)["teacher"]}) is None


def test_run_all_renders_the_table():
    run_all = load_run_all()
    assert "distillation_quality" in run_all.GROUPS["shift"]
    assert "distillation_quality" in run_all.PASS_THROUGH["seeds"]
    teacher = [distillation.record(0, row(0.80, 30.0, 91_000_000), 100.0, 2)]
    students = [distillation.record(s, row(a, 3.0, 5_000_000), 5.0, 8)
                for s, a in enumerate((0.76, 0.80))]
    found = methods(teacher, students)
    result = {"seeds": [0, 1], "dataset": "rotten_tomatoes", "train_examples": 2000,
              "test_examples": 1000, "test_majority_share": 0.6,
              "methods": found, "target": distillation.target(found)}
    text = "\n".join(run_all.distillation_lines(
        {"distillation_quality": {"result": result}}))
    assert "| teacher | 0.800 ± 0.000 | 0.790 ± 0.000 | 10 | 91.00 | 91.00 | 30.00 |" in text
    assert "| cnn_distilled | 0.780 ± 0.020 | 0.770 ± 0.020 | 10 | 5.00 | 5.00 | 3.00 |" in text
    assert "keeps 97.5% of the accuracy at 10.0% of the latency: met." in text
    assert run_all.distillation_lines({}) == []


@pytest.mark.large
def test_quick_run():
    process = subprocess.run([sys.executable, os.path.join(scripts.BENCHMARKS,
                                                           "distillation_quality.py"),
                              "--quick"], capture_output=True, text=True, cwd=ROOT,
                             timeout=3600)
    assert process.returncode == 0, process.stderr[-3000:]
    result = json.loads(process.stdout)
    assert result["seeds"] == [0] and result["teacher_seeds"] == [0]
    assert list(result["methods"]) == [
        "teacher", "cnn_labels_only", "cnn_distilled", "cnn_distilled_tflite_float32",
        "cnn_distilled_tflite_dynamic_range", "cnn_distilled_tflite_float16"]
    found = result["methods"]
    for info in found.values():
        assert 0.0 <= info["accuracy"]["mean"] <= 1.0
        assert info["latency_ms"]["mean"] > 0
    teacher, student = found["teacher"], found["cnn_distilled"]
    # MiniLM-L6's 22.7M float32 weights, each stored once (not 2 x 91 MB).
    assert 22_000_000 < teacher["num_params"]["mean"] < 23_500_000
    assert 4 * teacher["num_params"]["mean"] < teacher["size_bytes"]["mean"] < 100e6
    assert teacher["serving_export_bytes"]["mean"] < 100e6
    assert student["num_params"]["mean"] < teacher["num_params"]["mean"] / 10
    int8 = found["cnn_distilled_tflite_dynamic_range"]["size_bytes"]["mean"]
    half = found["cnn_distilled_tflite_float16"]["size_bytes"]["mean"]
    full = found["cnn_distilled_tflite_float32"]["size_bytes"]["mean"]
    assert int8 < half < full
    assert result["target"]["student"] == "cnn_distilled"
