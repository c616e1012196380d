"""Every script in examples/ runs end to end with `--smoke`.

Each script runs in a fresh interpreter (its own TensorFlow runtime: the
distributed example configures logical devices before TF starts), with the
environment passed through, so `KERAS_TRANSFER_HOME` points the backbones and
datasets at the same cache as the rest of the suite. Besides the exit code,
each test reads the numbers the script prints in its `Results` block and checks
them.
"""

import os
import re
import subprocess
import sys
from pathlib import Path


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TIMEOUT_SECONDS = 600


def run_example(name, *args, cwd):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--smoke", *map(str, args)],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=TIMEOUT_SECONDS,
    )
    assert result.returncode == 0, (
        f"{name} --smoke exited with {result.returncode}\n"
        f"--- stdout (tail) ---\n{result.stdout[-3000:]}\n"
        f"--- stderr (tail) ---\n{result.stderr[-5000:]}"
    )
    assert "\nResults\n" in result.stdout, result.stdout[-3000:]
    return result.stdout


def number(stdout, label):
    """The first number printed after `label` on a line of the output."""
    match = re.search(re.escape(label) + r"[^\n0-9+-]*([-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?)",
                      stdout)
    assert match, f"no {label!r} line in:\n{stdout[-3000:]}"
    return float(match.group(1))


def assert_accuracy(stdout, label, num_test, at_least=0.0):
    """The accuracy printed after `label`, checked against the smoke test set.

    It must be a whole number of the `num_test` test examples right (as
    printed, to 4 decimals), so a loss, an F1 or an accuracy over some other
    set does not pass; and at least `at_least`.

    The floors come from measured `--smoke` runs (seeded; 2 CPU cores):

    | example             | classes | test | baseline | fine-tuned |
    |---------------------|---------|------|----------|------------|
    | image_fine_tuning   | 10      | 32   | 3/32     | 4/32       |
    | text_classification | 2       | 32   | 17/32    | 22/32      |
    | audio_classification| 10      | 20   | 2/20     | 4/20       |
    | lr_finder           | 10      | 32   | 3/32 (head only) | 3/32 |
    | distributed_fit     | 10      | 32   | 2/32     | 4/32       |

    At smoke size the Fashion-MNIST examples (64 images, 1-2 epochs at
    32x32) are at chance (1/10), so for them the floor is the example's own
    baseline: fine-tuning must not lose to the frozen backbone. The text
    example is held 4 examples above chance (20/32), the audio one 1 above
    (3/20), and both to their baselines.
    """
    value = number(stdout, label)
    correct = value * num_test
    whole = abs(correct - round(correct)) <= 0.5e-4 * num_test
    assert whole and 0 <= round(correct) <= num_test, (
        f"{label} {value} is not a count out of {num_test} test examples")
    assert value >= at_least - 1e-9, f"{label} {value} is below {at_least:.4f}"
    return value


def test_image_fine_tuning(tmp_path):
    stdout = run_example("image_fine_tuning.py", cwd=tmp_path)

    baseline = assert_accuracy(stdout, "baseline accuracy (frozen backbone):", 32)
    assert_accuracy(stdout, "fine-tuned accuracy:", 32, at_least=baseline)
    assert "ProgressiveUnfreezing: epoch 1: training 2/19 groups (lowest: backbone/top)" in stdout
    assert "DiscriminativeLR: backbone/stem=" in stdout


def test_text_classification(tmp_path):
    stdout = run_example("text_classification.py", cwd=tmp_path)

    baseline = assert_accuracy(stdout, "baseline accuracy (cached features, frozen encoder):", 32)
    assert_accuracy(stdout, "fine-tuned accuracy:", 32, at_least=max(baseline, 20 / 32))
    assert "ProgressiveUnfreezing: step 0" in stdout


def test_audio_classification(tmp_path):
    stdout = run_example("audio_classification.py", cwd=tmp_path)

    assert "at least 12512 samples (0.782 s); our clips have 16000." in stdout
    assert "half-second clips are refused" in stdout
    baseline = assert_accuracy(stdout, "baseline accuracy (frozen backbone):", 20)
    assert_accuracy(stdout, "fine-tuned accuracy:", 20, at_least=max(baseline, 3 / 20))


def test_lr_finder(tmp_path):
    stdout = run_example("lr_finder.py", "--output-dir", tmp_path / "plots", cwd=tmp_path)

    head_rate = number(stdout, "suggested head learning rate:")
    fine_tune_rate = number(stdout, "suggested fine-tuning learning rate:")
    assert 1e-6 <= head_rate <= 1.0
    assert 1e-7 <= fine_tune_rate <= 1e-1
    for name in ("lr_find_head.png", "lr_find_fine_tune.png"):
        assert (tmp_path / "plots" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    head_only = assert_accuracy(stdout, "head-only accuracy:", 32)
    assert_accuracy(stdout, "fine-tuned accuracy:", 32, at_least=head_only)


def test_export_and_serve(tmp_path):
    base_dir = tmp_path / "fashion"
    stdout = run_example("export_and_serve.py", "--output-dir", base_dir, cwd=tmp_path)

    assert (base_dir / "1" / "saved_model.pb").exists()
    assert (base_dir / "1" / "assets.extra" / "tf_serving_warmup_requests").exists()
    assert_accuracy(stdout, "test accuracy:", 16)
    assert number(stdout, "served - predict max diff:") < 1e-4
    assert "Bad request rejected: Invalid `image_bytes`" in stdout
    assert '{"signature_name": "serving_default", "instances": [{"b64": "iVBORw0KGgo' in stdout


def test_distributed_fit(tmp_path):
    stdout = run_example("distributed_fit.py", cwd=tmp_path)

    assert "Head kernel is a MirroredVariable" in stdout
    assert "MirroredStrategy, 2 replica(s), global batch 16" in stdout
    baseline = assert_accuracy(stdout, "baseline accuracy (frozen backbone):", 32)
    assert_accuracy(stdout, "fine-tuned accuracy:", 32, at_least=baseline)


def test_feature_caching(tmp_path):
    stdout = run_example("feature_caching.py", "--cache-dir", tmp_path / "features",
                         cwd=tmp_path)

    assert number(stdout, "max |head weight difference|:") < 1e-5
    # Same weights, so the same predictions (one of the 32 test images may flip).
    assert abs(assert_accuracy(stdout, "end-to-end accuracy:", 32)
               - assert_accuracy(stdout, "cached-features accuracy:", 32)) <= 1 / 32
    assert number(stdout, "speed-up (time ratio):") > 0
    assert (tmp_path / "features" / "train" / "manifest.json").exists()


def test_few_shot(tmp_path):
    stdout = run_example("few_shot.py", cwd=tmp_path)

    for shots in (1, 5):
        for method in ("prototypical", "nearest_centroid"):
            # 20 episodes x 5 classes x 5 queries: a count out of 500 predictions.
            accuracy = assert_accuracy(stdout, f"5-way {shots}-shot {method} accuracy:", 500)
            # Pretrained features beat chance (0.2) even on 20 tiny-image episodes.
            assert accuracy > 0.3, (shots, method, accuracy)
            assert f"{method} accuracy: {accuracy:.4f} ± 0.0" in stdout
    assert "(95% CI, 20 episodes)" in stdout
    # 200 smoke images minus the 50 support images.
    assert_accuracy(stdout, "10-way 5-shot head initialised from prototypes accuracy:", 150)


def test_every_example_is_tested():
    tested = {name[len("test_"):] + ".py" for name in globals()
              if name.startswith("test_") and name != "test_every_example_is_tested"}
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(tested)


def test_zero_shot_classification(tmp_path):
    stdout = run_example("zero_shot_classification.py", cwd=tmp_path)

    assert_accuracy(stdout, "zero-shot test accuracy:", 32)
    assert_accuracy(stdout, "zero-shot head init):", 32)
    assert "served: [" in stdout


def test_contrastive_text_fine_tuning(tmp_path):
    stdout = run_example("contrastive_text_fine_tuning.py", cwd=tmp_path)

    assert "8 labelled reviews -> 16 pairs (8 same-class)" in stdout
    assert_accuracy(stdout, "frozen encoder accuracy:", 32)
    assert_accuracy(stdout, "SetFit accuracy:", 32)


def test_language_model_adaptation(tmp_path):
    stdout = run_example("language_model_adaptation.py", cwd=tmp_path)

    before = number(stdout, "LM held-out loss before:")
    after = number(stdout, "LM held-out loss after:")
    assert 0 < after < before, (before, after)
    assert_accuracy(stdout, "classifier accuracy:", 32)
    assert "12 texts to adapt the LM, 12 held out" in stdout
    assert "training head\n" in stdout
    assert "training embedding, rnn_1, rnn_2, head" in stdout


def test_ner(tmp_path):
    stdout = run_example("ner.py", "--output-dir", tmp_path / "models", cwd=tmp_path)

    assert "64 train / 32 test tweets, 21 tags" in stdout
    assert (tmp_path / "models" / "wnut16" / "1" / "saved_model.pb").exists()
    # Entity scores are ratios of counts; one epoch on 64 tweets finds few
    # entities, so only their range is checked, and that serving agrees with
    # the Python path word for word.
    for label in ("test entity F1 (micro):", "test entity precision:",
                  "test entity recall:"):
        assert 0.0 <= number(stdout, label) <= 1.0
    assert number(stdout, "served vs python tag mismatches:") == 0


def test_distillation(tmp_path):
    stdout = run_example("distillation.py", "--output-dir", tmp_path / "out", cwd=tmp_path)

    teacher = assert_accuracy(stdout, "teacher accuracy:", 32)
    assert_accuracy(stdout, "student accuracy (labels only):", 32)
    distilled = assert_accuracy(stdout, "student accuracy (distilled):", 32)
    # Quantising the student must not change its test predictions much.
    for quantization in ("dynamic_range", "float16"):
        tflite = assert_accuracy(stdout, f"student tflite {quantization} accuracy:", 32)
        assert abs(tflite - distilled) <= 1 / 32, (quantization, tflite, distilled)
        assert number(stdout, f"{quantization}: max |TFLite - Keras| probability difference") < 1e-2
    assert 0 <= teacher <= 1
    # `--smoke` skips the teacher's TFLite attempt (~10 CPU s of MiniLM graph
    # conversion); tests/export/test_convert_to_tflite.py
    # (test_string_ops_fail_with_the_ops_and_the_fix) checks that refusal.
    assert number(stdout, "parameter ratio (teacher/student):") > 10
    assert number(stdout, "size ratio (teacher/student int8):") > 10
    assert (tmp_path / "out" / "student_serving" / "1" / "saved_model.pb").exists()
    assert (tmp_path / "out" / "student_dynamic_range.tflite").stat().st_size > 0


def test_multi_task(tmp_path):
    stdout = run_example("multi_task.py", "--output-dir", tmp_path / "fashion", cwd=tmp_path)

    assert_accuracy(stdout, "item accuracy:", 32)
    assert_accuracy(stdout, "group accuracy:", 32)
    assert 0 <= number(stdout, "ink mean absolute error:") < 1
    assert abs(number(stdout, "weighted sum - total loss:")) < 1e-3
    assert number(stdout, "served - predict max diff:") < 1e-4
    assert "'ink', 'item_class_index'" in stdout
    assert (tmp_path / "fashion" / "1" / "saved_model.pb").exists()


def test_domain_adaptation_dann(tmp_path):
    stdout = run_example("domain_adaptation_dann.py", cwd=tmp_path)

    assert "source: 128 labelled MNIST images; target: 128 unlabelled digits" in stdout
    assert "one batch: 64 rows, 32 labelled, domains [0.0, 1.0]" in stdout
    assert_accuracy(stdout, "source-only MNIST test accuracy:", 64)
    # One epoch on 128 images is near chance: only that each is a count of
    # the 64 target test digits is checked, not which method wins.
    for method in ("source-only", "dann", "mmd", "coral", "consistency"):
        assert_accuracy(stdout, f"{method} target accuracy:", 64)
    # 4 steps: the last one runs at dann_coefficient(3 / 4) = 0.9989.
    assert number(stdout, "final gradient reversal coefficient:") == 0.9989
    assert 0.0 <= number(stdout, "final DANN domain accuracy:") <= 1.0
    assert 0.0 <= number(stdout, "final consistency pseudo-label rate:") <= 1.0


def test_speech_recognition(tmp_path):
    stdout = run_example("speech_recognition.py", cwd=tmp_path)

    assert "backbone: speech_embedding (trainable=False)" in stdout
    assert "real LibriVox clips that fit in 4 s: 2" in stdout
    first, last = re.search(r"train loss: ([\d.]+) -> ([\d.]+)", stdout).groups()
    assert float(last) < float(first)
    for label in ("synthetic held-out CER:", "real LibriVox CER (greedy):",
                  "real LibriVox CER (beam search):",
                  "real LibriVox CER (beam search + LM, alpha=0.5, beta=1.0):"):
        assert 0.0 <= number(stdout, label) <= 5.0
    good, bad = re.search(r"log P\('the film is good'\) = (-[\d.]+), "
                          r"log P\('teh fllm iz gud'\) = (-[\d.]+)", stdout).groups()
    assert float(good) > float(bad) + 5
    assert number(stdout, "real-time factor (greedy, synthetic test):") > 0.0


def test_object_detection(tmp_path):
    stdout = run_example("object_detection.py", "--output-dir", tmp_path / "out", cwd=tmp_path)

    assert "Train images: (32, 64, 64, 3), test images: (16, 64, 64, 3)" in stdout
    assert "Targets: (64, 3, 6)" in stdout  # 32 images + 32 augmented copies
    assert "Output: (None, 2, 2, 75)" in stdout  # 5 anchors x (5 + 10 classes)
    assert "layer groups: ['backbone/stem'," in stdout and "'head']" in stdout
    # Two epochs: the head alone, then the top backbone group too.
    assert number(stdout, "groups training at the end:") == 2
    first, last = re.search(r"train loss: ([\d.]+) -> ([\d.]+)", stdout).groups()
    assert float(last) < float(first)
    map_50, map_all = number(stdout, "test mAP@0.5:"), number(stdout, "test mAP@[.5:.95]:")
    assert 0.0 <= map_all <= map_50 <= 1.0
    assert (tmp_path / "out" / "detections.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
