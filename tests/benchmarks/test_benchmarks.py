"""Tests for benchmarks/run_all.py: the docs generator, and (large) a quick run."""

import copy
import importlib.util
import json
import os
import subprocess
import sys

import pytest

from keras_transfer.testing import TestCase

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN_ALL = os.path.join(ROOT, "benchmarks", "run_all.py")


def load_run_all():
    spec = importlib.util.spec_from_file_location("benchmarks_run_all", RUN_ALL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stat(mean, std=0.0):
    return {"mean": mean, "std": std}


def method(description, accuracy, f1, seconds, epochs=None):
    return {"description": description, "accuracy": accuracy, "macro_f1": f1,
            "seconds": seconds, "epochs": epochs, "runs": []}


RUN = {
    "timestamp": "2025-01-02 03:04",
    "mode": "full",
    "environment": {"tensorflow": "2.21.0", "keras": "3.15.1", "cpus": 2,
                    "devices": ["CPU"]},
    "scripts": {
        "text_quality": {"seconds": 3600.0, "returncode": 0, "result": {
            "benchmark": "text_quality", "mode": "full", "seeds": [0, 1],
            "precision": "float32",
            "tasks": [{
                "name": "rotten_tomatoes", "backbone": "minilm_l6", "num_classes": 2,
                "train_examples": 4000, "test_examples": 2000,
                "test_majority_share": 0.6012,
                "settings": {"batch_size": 32, "total_epochs": 3},
                "methods": {
                    "majority": method("most frequent training label", stat(0.6012),
                                       stat(0.3755), stat(0.0)),
                    "tfidf_logreg": method("TF-IDF + LR", stat(0.7401, 0.0012),
                                           stat(0.7302, 0.002), stat(4.25, 0.1)),
                    "random_init": dict(
                        method("random init", stat(0.6611), stat(0.6012), stat(300.0), 3),
                        runs=[{"seed": 0}]),
                    "plain_fine_tune": method("plain", stat(0.8004, 0.0101),
                                              stat(0.7904, 0.0099), stat(100.0, 2.0), 3),
                    "recipe": method("keras_transfer.fine_tune, defaults",
                                     stat(0.8123, 0.0041), stat(0.8011, 0.0062),
                                     stat(90.0, 1.0), 3),
                },
                "sample_efficiency": {
                    "labels_per_class": ["5", "all"],
                    "methods": {
                        "tfidf_logreg": {
                            "5": {"accuracy": stat(0.52, 0.03), "examples": 10},
                            "all": {"accuracy": stat(0.7401, 0.0012), "examples": 4000}},
                        "recipe": {
                            "5": {"accuracy": stat(0.6, 0.02), "examples": 10},
                            "all": {"accuracy": stat(0.8123, 0.0041), "examples": 4000}},
                    },
                },
            }],
        }},
        "hub_overhead": {"seconds": 600.0, "returncode": 0, "result": {
            "benchmark": "hub_overhead", "network": "efficientnet_lite0 features + Dense(10)",
            "image_size": 96, "batch": 32,
            "examples_per_second": {"native": {"train": 100.0, "inference": 400.0},
                                    "hub": {"train": 95.0, "inference": 440.0},
                                    "legacy": {"train": 50.0, "inference": 200.0}},
            "errors": {"hub_jit": "InvalidArgumentError: cannot compile"},
        }},
        "feature_cache": {"seconds": 12.0, "returncode": 1,
                          "error": "exit code 1; no JSON on stdout. Last stderr lines:\nx"},
    },
}


class RenderMarkdownTest(TestCase):
    def setUp(self):
        super().setUp()
        self.run_all = load_run_all()

    def test_quality_table_has_mean_std_and_time_ratio(self):
        text = self.run_all.render_markdown(RUN)
        self.assertIn("### Rotten Tomatoes (text, MiniLM-L6)", text)
        self.assertIn("4000 train / 2000 test examples, 2 classes (test majority share "
                      "0.60)", text)
        self.assertIn("| recipe | keras_transfer.fine_tune, defaults | 0.812 ± 0.004 | "
                      "0.801 ± 0.006 | 90.0 | 0.90 | 3 |", text)
        self.assertIn("| majority | most frequent training label | 0.601 ± 0.000 | "
                      "0.376 ± 0.000 | < 0.1 | – | – |", text)
        self.assertIn("| tfidf_logreg | TF-IDF + LR | 0.740 ± 0.001 | 0.730 ± 0.002 | 4.2 "
                      "| 0.04 | – |", text)

    def test_method_run_for_fewer_seeds_shows_no_std(self):
        text = self.run_all.render_markdown(RUN)
        self.assertIn("| random_init | random init (seed 0 only) | 0.661 | 0.601 | 300.0 "
                      "| 3.00 | 3 |", text)

    def test_bf16_profile_table(self):
        run = copy.deepcopy(RUN)
        categories = {"matmul": {"ms_per_step": 1000.0, "share": 0.6},
                      "casts": {"ms_per_step": 0.0, "share": 0.0}}
        bf16 = {"matmul": {"ms_per_step": 500.0, "share": 0.45},
                "casts": {"ms_per_step": 20.0, "share": 0.02}}
        run["scripts"]["bf16_profile"] = {"seconds": 60.0, "returncode": 0, "result": {
            "benchmark": "bf16_profile", "batch": 32, "sequence_length": 64,
            "variants": {"native_fp32": {"wall_ms_per_step": 1100.0,
                                         "categories": categories},
                         "native_bf16": {"wall_ms_per_step": 850.0,
                                         "categories": bf16}},
            "fp32_over_bf16_op_time": {"matmul": 2.0, "casts": 0.0},
            "wall_fp32_over_bf16": 1.29}}
        text = self.run_all.render_markdown(run)
        self.assertIn("| category | native_fp32 | native_bf16 | float32 / bfloat16 |", text)
        self.assertIn("| matmul | 1000 (60%) | 500 (45%) | 2.00 |", text)
        self.assertIn("| casts | 0 (0%) | 20 (2%) | – |", text)
        self.assertIn("| **wall ms per step** | 1100 | 850 | 1.29 |", text)

    def test_feature_cache_memory_table(self):
        run = copy.deepcopy(RUN)
        mib = 2**20
        run["scripts"]["feature_cache_memory"] = {"seconds": 60.0, "returncode": 0, "result": {
            "benchmark": "feature_cache_memory", "examples": 8192, "feature_dim": 4096,
            "shards": 2, "epochs": 2, "feature_bytes": 128 * mib,
            "rss_cap_bytes": 1024 * mib, "baseline_rss_bytes": 654 * mib,
            "peak_rss_extract_bytes": 713 * mib, "peak_rss_fit_bytes": 834 * mib,
            "within_cap": True, "extract_s": 32.1, "epoch_s": [6.1, 1.4]}}
        text = self.run_all.render_markdown(run)
        self.assertIn("(`feature_cache_memory.py`: 8192 examples x 4096 float32 features, "
                      "2 files)", text)
        self.assertIn("| features | 128 MiB |", text)
        self.assertIn("| peak RSS while training (2 epochs) | 834 MiB |", text)
        self.assertIn("| within the cap | yes |", text)
        self.assertIn("| extraction / epoch seconds | 32.1 / 6.1, 1.4 |", text)
        self.assertIn("feature_cache_memory", self.run_all.GROUPS["speed"])

    def test_multi_worker_table(self):
        run = copy.deepcopy(RUN)
        run["scripts"]["multi_worker"] = {"seconds": 60.0, "returncode": 0, "result": {
            "benchmark": "multi_worker", "model": "MLP 1280-512-512-10, Adam",
            "global_batch": 64, "repeats": 3,
            "examples_per_s": {"1_worker": 5000.0, "2_workers": 2500.0},
            "two_over_one": 0.5, "allreduce_bytes_per_step": 3692584}}
        text = self.run_all.render_markdown(run)
        self.assertIn("### Multi-worker overhead (`multi_worker.py`: MLP 1280-512-512-10, "
                      "Adam, global batch 64, median of 3 run(s))", text)
        self.assertIn("| examples/s, 2 workers (MultiWorkerMirroredStrategy, 127.0.0.1) "
                      "| 2500.0 |", text)
        self.assertIn("| 2 workers / 1 process | 0.5 |", text)
        self.assertIn("| bytes all-reduced per step (gradient payload per worker) | "
                      "3,692,584 |", text)
        self.assertIn("multi_worker", self.run_all.GROUPS["speed"])

    def test_language_tables(self):
        run = copy.deepcopy(RUN)
        ner_methods = {"frozen_logreg": {
            "description": "frozen + LR", "f1": stat(0.3512, 0.0101),
            "precision": stat(0.4, 0.02), "recall": stat(0.31, 0.01),
            "macro_f1": stat(0.2), "seconds": stat(40.0), "epochs": None, "runs": []}}
        run["scripts"]["ner_quality"] = {"seconds": 900.0, "returncode": 0, "result": {
            "benchmark": "ner_quality", "seeds": [0, 1, 2], "task": {
                "name": "wnut16", "backbone": "minilm_l6", "num_tags": 21,
                "metric": "entity micro F1", "train": {"tweets": 1795, "entities": 1128},
                "test": {"tweets": 599, "entities": 368},
                "settings": {"epochs": 5, "batch_size": 32}, "methods": ner_methods}}}
        gain = {"original": {"accuracy_mean": 0.7, "accuracy_std": 0.01},
                "adapted": {"accuracy_mean": 0.72, "accuracy_std": 0.02},
                "gain_mean": 0.02, "gain_std": 0.005, "seeds": 3}
        run["scripts"]["mlm_adaptation"] = {"seconds": 1800.0, "returncode": 0, "result": {
            "benchmark": "mlm_adaptation", "seeds": [0, 1, 2], "num_test": 1000,
            "adaptation": {"num_texts": 9510, "epochs": 2, "batch_size": 32,
                           "learning_rate": 1e-4, "loss": [3.5, 3.0],
                           "masked_token_accuracy": [0.4, 0.45], "seconds": 951.0},
            "summary": {"20": {"frozen_lr": gain}}}}
        stage = {"texts": 1000, "characters": 170000, "seconds": 600.0,
                 "seconds_per_1000_texts": 600.0, "held_out_loss_before": 1.7,
                 "held_out_loss_after": 1.5}
        run["scripts"]["ulmfit_quality"] = {"seconds": 1200.0, "returncode": 0, "result": {
            "benchmark": "ulmfit_quality", "seeds": [0, 1],
            "language_model": "textgenrnn", "descriptions": {"lm_ft": "fine-tuned LM"},
            "settings": {"train": 2000, "test": 1000, "max_length": 256},
            "lm_stage": [stage, dict(stage, seconds=500.0, held_out_loss_after=1.4)],
            "curve": {"labels_per_class": ["100"], "methods": {"lm_ft": {"100": {
                "accuracy": stat(0.61, 0.01), "seconds": stat(90.0), "examples": 200}}}}}}
        text = self.run_all.render_markdown(run)
        self.assertIn("## Language-model transfer and tagging", text)
        self.assertIn("1795 train tweets (1128 entities) / 599 test tweets (368 entities)",
                      text)
        self.assertIn("| frozen_logreg | frozen + LR | 0.351 ± 0.010 | 0.400 ± 0.020 | "
                      "0.310 ± 0.010 | 40.0 |", text)
        self.assertIn("951 s (50.0 s per 1,000 texts per epoch); MLM loss per epoch "
                      "3.500, 3.000; masked-token accuracy 0.400, 0.450", text)
        self.assertIn("| 20 | frozen_lr | 0.700 ± 0.010 | 0.720 ± 0.020 | +0.020 ± 0.005 "
                      "| 3 |", text)
        self.assertIn("550 ± 50 s, 600 ± 0 s per 1,000 texts; held-out "
                      "LM loss 1.700 ± 0.000 → 1.450 ± 0.050 nats", text)
        self.assertIn("| lm_ft | 0.610 ± 0.010 (90.0 s) |", text)
        # The section sits before the speed tables; absent results leave it out.
        self.assertLess(text.index("## Language-model"), text.index("## Speed"))
        self.assertNotIn("## Language-model", self.run_all.render_markdown(RUN))

    def test_shift_tables(self):
        run = copy.deepcopy(RUN)
        methods = {name: method(name + " what", stat(accuracy, 0.01), stat(f1), stat(12.34))
                   for name, accuracy, f1 in (("source_only", 0.6, 0.55), ("dann", 0.7, 0.66),
                                              ("consistency", 0.55, 0.5),
                                              ("target_oracle", 0.9, 0.88))}
        shift = {"name": "mnist_to_digits", "modality": "image", "source": "mnist_5k",
                 "target": "digits", "features": "CNN from scratch",
                 "source_examples": 4000, "target_examples": 1198, "test_examples": 599,
                 "test_majority_share": 0.1043, "settings": {"epochs": 10},
                 "methods": methods, "gap_closed": {"dann": 0.3333, "consistency": -0.1667}}
        text_shift = dict(shift, name="movies_to_tweets", source="vader_movies",
                          target="vader_tweets", gap_closed={"dann": None})
        audio_shift = dict(shift, name="commands_clean_to_noisy", source="spoken_commands",
                           target="spoken_commands", source_label="`spoken_commands` clean",
                           target_label="`spoken_commands` noisy")
        run["scripts"]["domain_shift"] = {"seconds": 5400.0, "returncode": 0, "result": {
            "benchmark": "domain_shift", "seeds": [0, 1, 2],
            "text_embedding": {"backbone": "minilm_l6", "texts": 13121, "seconds": 512.4},
            "audio_embedding": {"backbone": "speech_embedding", "clips": 2100,
                                "seconds": 30.2},
            "shifts": [shift, text_shift, audio_shift]}}
        text = self.run_all.render_markdown(run)
        self.assertIn("## Domain shift", text)
        self.assertIn("`make bench-shift`", text)
        self.assertIn("frozen `minilm_l6` embeddings of 13121 texts, computed once in 512 s",
                      text)
        self.assertIn("### MNIST → scikit-learn digits (image)", text)
        self.assertIn("`mnist_5k` (4000 labelled) → `digits` (1198 unlabelled, 599 test; "
                      "majority share 0.104); CNN from scratch; 10 epochs.", text)
        self.assertIn("| dann | dann what | 0.700 ± 0.010 | 0.660 ± 0.000 | +33% | 12.3 |",
                      text)
        self.assertIn("| consistency | consistency what | 0.550 ± 0.010 | 0.500 ± 0.000 | "
                      "-17% | 12.3 |", text)
        # Baseline and oracle rows have no gap; nor does a shift whose oracle lost.
        self.assertIn("| source_only | source_only what | 0.600 ± 0.010 | 0.550 ± 0.000 | – |",
                      text)
        self.assertIn("### Movie reviews → tweets (text, VADER)", text)
        tweets = text[text.index("### Movie reviews → tweets"):]
        self.assertIn("| dann | dann what | 0.700 ± 0.010 | 0.660 ± 0.000 | – |", tweets)
        self.assertIn("frozen `speech_embedding` embeddings of 2100 clips, computed once in "
                      "30 s", text)
        self.assertIn("### Clean spoken commands → noisy, unseen voices (audio)", text)
        self.assertIn("`spoken_commands` clean (4000 labelled) → `spoken_commands` noisy (1198 "
                      "unlabelled", text)
        self.assertLess(text.index("## Domain shift"), text.index("## Speed"))
        self.assertNotIn("## Domain shift", self.run_all.render_markdown(RUN))
        self.assertEqual(self.run_all.GROUPS["shift"],
                         ("domain_shift", "multi_task", "distillation_quality"))
        self.assertIn("domain_shift", self.run_all.SCRIPTS)

    def test_multi_task_tables(self):
        run = copy.deepcopy(RUN)

        def scores(*means):
            return dict(zip(("movies", "tweets"), (stat(m, 0.01) for m in means)))

        def method(description, accuracy, mae, seconds):
            info = {"description": description, "seconds": stat(seconds), "steps": 10,
                    "epochs": 10, "runs": [], "sentiment_accuracy": scores(*accuracy)}
            if mae:
                info["rating_mae"] = scores(*mae)
            return info

        run["scripts"]["multi_task"] = {"seconds": 300.0, "returncode": 0, "result": {
            "benchmark": "multi_task", "seeds": [0, 1, 2],
            "domains": {"movies": {"dataset": "vader_movies", "train": 600, "test": 400},
                        "tweets": {"dataset": "vader_tweets", "train": 600, "test": 400}},
            "text_embedding": {"backbone": "minilm_l6", "texts": 2000, "seconds": 61.0},
            "baselines": {"majority_accuracy": {"movies": 0.51, "tweets": 0.68},
                          "mean_rating_mae": {"movies": 1.5, "tweets": 1.4}},
            "settings": {"epochs": 10},
            "experiments": [
                {"name": "sentiment_and_rating", "description": "two heads",
                 "methods": {"multi_task": method("one", (0.8, 0.9), (1.0, 0.9), 12.0),
                             "separate": method("two", (0.81, 0.88), (1.1, 0.95), 20.0)}},
                {"name": "per_domain_heads", "description": "a head per domain",
                 "methods": {"multi_task": method("one", (0.8, 0.9), None, 14.0),
                             "separate": method("four", (0.79, 0.85), None, 30.0)}}]}}
        text = self.run_all.render_markdown(run)
        self.assertIn("## Multi-task vs separate models", text)
        self.assertIn("frozen `minilm_l6` embeddings of 2000 texts (computed once in 61 s",
                      text.replace("Frozen", "frozen"))
        self.assertIn("movies 600/400, tweets 600/400; 10 epochs.", text)
        self.assertIn("### Sentiment and rating heads (VADER, four domains pooled)", text)
        self.assertIn("| method | accuracy movies | accuracy tweets | rating MAE movies | "
                      "rating MAE tweets | train s |", text)
        self.assertIn("| multi_task | 0.800 ± 0.010 | 0.900 ± 0.010 | 1.000 ± 0.010 | "
                      "0.900 ± 0.010 | 12.0 |", text)
        self.assertIn("| majority / mean rating | 0.510 | 0.680 | 1.500 | 1.400 | – |", text)
        per_domain = text[text.index("### One sentiment head per VADER domain"):]
        self.assertIn("| method | accuracy movies | accuracy tweets | train s |", per_domain)
        self.assertIn("| separate | 0.790 ± 0.010 | 0.850 ± 0.010 | 30.0 |", per_domain)
        self.assertIn("| majority | 0.510 | 0.680 | – |", per_domain)
        self.assertLess(text.index("## Multi-task"), text.index("## Speed"))
        self.assertNotIn("## Multi-task", self.run_all.render_markdown(RUN))
        self.assertIn("multi_task", self.run_all.SCRIPTS)
        self.assertIn("multi_task", self.run_all.PASS_THROUGH["seeds"])
    def test_speech_tables(self):
        run = copy.deepcopy(RUN)

        def rates(cer, wer):
            return {"cer": stat(cer, 0.01), "wer": stat(wer, 0.02)}

        def recognizer(description, cer):
            decodings = {"greedy": rates(cer, 0.9), "beam": rates(cer - 0.01, 0.85),
                         "beam_lm": rates(cer - 0.05, 0.7)}
            return {"description": description, "seconds": stat(321.0),
                    "real": decodings, "synthetic": decodings,
                    "real_time_factor": {"greedy": stat(0.25), "beam_lm": stat(0.5)},
                    "fusion": {"alpha": 0.6, "beta": 1.5, "validation_cer": {}}}

        run["scripts"]["asr_quality"] = {"seconds": 2000.0, "returncode": 0, "result": {
            "benchmark": "asr_quality", "seeds": [0, 1, 2],
            "data": {"train": {"clips": 400, "seconds": 1500.0},
                     "real": {"clips": 5, "seconds": 24.3},
                     "synthetic": {"clips": 50, "seconds": 180.0}},
            "language_model": {"order": 5, "sentences": 3990},
            "methods": {"whisper_ctc": recognizer("whisper what", 0.3),
                        "scratch_ctc": recognizer("scratch what", 0.9)},
            "goal": {"whisper_ctc greedy": {"cer": 0.3, "scratch_cer": 0.9, "ratio": 0.33,
                                            "met": True}}}}
        text = self.run_all.render_markdown(run)
        self.assertIn("## Speech recognition", text)
        self.assertIn("`make bench-speech`", text)
        self.assertIn("trained on 400 synthetic clips (1500 s), scored on the 5 real", text)
        self.assertIn("| whisper_ctc | whisper what | greedy | 0.300 ± 0.010 | 0.900 ± 0.020 "
                      "| 0.300 ± 0.010 | 0.900 ± 0.020 | 321.0 | 0.250 |", text)
        self.assertIn("| scratch_ctc |  | beam_lm (α=0.6, β=1.5) | 0.850 ± 0.010 | "
                      "0.700 ± 0.020 | 0.850 ± 0.010 | 0.700 ± 0.020 |  | 0.500 |", text)
        self.assertIn("whisper_ctc greedy: CER 0.300 vs scratch 0.900 → met.", text)
        self.assertLess(text.index("## Speech recognition"), text.index("## Speed"))
        self.assertNotIn("## Speech recognition", self.run_all.render_markdown(RUN))
        self.assertEqual(self.run_all.GROUPS["speech"], ("asr_quality",))
        self.assertIn("asr_quality", self.run_all.PASS_THROUGH["seeds"])

    def test_sample_efficiency_table(self):
        text = self.run_all.render_markdown(RUN)
        self.assertIn("| method | 5 (10) | all (4000) |", text)
        self.assertIn("| recipe | 0.600 ± 0.020 (– s) | 0.812 ± 0.004 (– s) |", text)
        self.assertIn("| tfidf_logreg | 0.520 ± 0.030 (– s) | 0.740 ± 0.001 (– s) |", text)

    def test_speed_ratios_errors_and_script_status(self):
        text = self.run_all.render_markdown(RUN)
        self.assertIn("| hub | 0.95 | 1.10 |", text)
        self.assertIn("| legacy | 0.50 | 0.50 |", text)
        self.assertIn("| hub_jit | failed: InvalidArgumentError: cannot compile | |", text)
        self.assertIn("| `feature_cache` | `` | 2025-01-02 03:04 | 12 | failed: exit code 1; "
                      "no JSON on stdout. Last stderr lines: |", text)
        self.assertIn("| `text_quality` | `` | 2025-01-02 03:04 | 3600 | ok |", text)

    def test_machine_versions_seeds_and_mode_banner(self):
        text = self.run_all.render_markdown(RUN)
        self.assertIn("| tensorflow | 2.21.0 |", text)
        self.assertIn("| seeds | 0, 1 (first quality script; each task lists its own) |",
                      text)
        self.assertIn("precision float32, seeds 0, 1.", text)
        self.assertIn("make bench", text)
        self.assertNotIn("Quick-mode numbers", text)
        quick = copy.deepcopy(RUN)
        quick["mode"] = "quick"
        quick["scripts"]["text_quality"]["result"]["seeds"] = [0]
        text = self.run_all.render_markdown(quick)
        self.assertIn("**Quick-mode numbers.**", text)
        # One seed: means only, no "± 0.000".
        self.assertIn("| recipe | keras_transfer.fine_tune, defaults | 0.812 | 0.801 |",
                      text)

    def test_docs_only_rewrites_docs_from_latest(self):
        folder = self.temp_dir()
        with open(os.path.join(folder, "latest.json"), "w") as f:
            json.dump(RUN, f)
        docs = os.path.join(folder, "benchmarks.md")
        subprocess.run([sys.executable, RUN_ALL, "--docs-only", "--results-dir", folder,
                        "--docs", docs], check=True, capture_output=True, cwd=ROOT)
        with open(docs) as f:
            self.assertEqual(f.read(), self.run_all.render_markdown(RUN))


class PartialRunTest(TestCase):
    def test_a_partial_run_keeps_the_other_scripts_and_saves_as_it_goes(self):
        run_all = self.run_all if hasattr(self, "run_all") else load_run_all()
        folder = self.temp_dir()
        latest = os.path.join(folder, "latest.json")
        speed = {"seconds": 5.0, "command": "python x",
                 "result": {"backbone": "b", "examples": 8, "epoch_speedup": 2.0,
                            "break_even_epochs": 1.0, "head_max_abs_diff": 0.0}}
        with open(latest, "w") as f:
            json.dump({"mode": "full", "timestamp": "2026-11-28 23:54",
                       "scripts": {"feature_cache": speed,
                                   "hub_overhead": {"seconds": 1.0, "error": "failed"},
                                   "text_quality": speed}}, f)
        # Only successful entries of the same mode, and not the ones re-run.
        previous = run_all.kept_results(latest, "full", ["text_quality"])
        self.assertEqual(sorted(previous), ["feature_cache"])
        self.assertEqual(previous["feature_cache"]["ran"], "2026-11-28 23:54")
        self.assertEqual(run_all.kept_results(latest, "quick", []), {})
        run = {"mode": "full", "timestamp": "2026-12-02 01:04", "environment": {},
               "scripts": {}}
        done = {"text_quality": {"seconds": 7.0, "error": "exit code -9"}}
        docs = os.path.join(folder, "benchmarks.md")
        run_all.save(run, done, previous, [latest], docs)
        with open(latest) as f:
            saved = json.load(f)
        self.assertEqual(list(saved["scripts"]), ["text_quality", "feature_cache"])
        self.assertEqual(saved["total_seconds"], 7.0)
        with open(docs) as f:
            text = f.read()
        self.assertIn("| `text_quality` | `` | ", text)  # listed, failed
        self.assertIn("| `feature_cache` | `python x` | 2026-11-28 23:54 | 5 | ok |", text)


@pytest.mark.large
class RunAllQuickTest(TestCase):
    def test_quick_run_collects_every_script_and_writes_docs(self):
        folder = self.temp_dir()
        docs = os.path.join(folder, "benchmarks.md")
        process = subprocess.run(
            [sys.executable, RUN_ALL, "--quick", "--results-dir", folder, "--docs", docs],
            capture_output=True, text=True, cwd=ROOT, timeout=3600)
        self.assertEqual(process.returncode, 0, process.stderr[-3000:])
        with open(os.path.join(folder, "latest.json")) as f:
            run = json.load(f)
        self.assertEqual(run["mode"], "quick")
        self.assertEqual(sorted(run["scripts"]), sorted(load_run_all().SCRIPTS))
        for name in ("text_quality", "image_quality", "audio_quality"):
            for task in run["scripts"][name]["result"]["tasks"]:
                self.assertIn("fine_tune", task["methods"])
                for info in task["methods"].values():
                    self.assertTrue(0.0 <= info["accuracy"]["mean"] <= 1.0)
        ratios = run["scripts"]["hub_overhead"]["result"]["ratios"]
        self.assertGreater(ratios["train_hub_over_native"], 0)
        with open(docs) as f:
            text = f.read()
        self.assertIn("**Quick-mode numbers.**", text)
        self.assertIn("### Fashion-MNIST", text)
