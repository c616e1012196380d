"""Runs every benchmark, stores the results, and regenerates docs/benchmarks.md.

Each benchmark script runs in its own subprocess and prints one JSON object;
this collects them into `benchmarks/results/<timestamp>.json` and
`benchmarks/results/latest.json` (the stderr of each script goes to
`benchmarks/results/logs/<timestamp>/<script>.log`) and writes
`docs/benchmarks.md` from the result: quality per dataset (mean ± std over
seeds), sample efficiency, speed ratios, machine, versions and seeds.

    python benchmarks/run_all.py [--quick] [--only text_quality,hub_overhead]
        [--seeds N] [--precision mixed_bfloat16] [--docs-only]

`make bench` runs the quality group at full size (106 minutes on 2 CPU
cores), `make bench-language` the language-model and tagging group (issue
#14), `make bench-shift` the domain-adaptation, multi-task and distillation
benchmarks (issue #15), `make bench-detection` the object-detection benchmark
(issue #17), `make bench-speech` the speech recognition benchmark (issue #18),
`make bench-speed` the speed ratios, `make bench-quick` every script in
quick mode (`--quick` is passed to every script: tiny
samples, one seed; they check the machinery, their numbers mean little).
`--docs-only` rewrites the docs from `latest.json` without running anything.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCRIPTS = ("text_quality", "text_few_labels", "image_quality", "audio_quality",
           "commands_quality", "few_shot", "ner_quality", "mlm_adaptation", "ulmfit_quality",
           "domain_shift", "multi_task", "distillation_quality", "detection_quality",
           "asr_quality", "hub_overhead", "precision_speed", "bf16_profile",
           "feature_cache", "feature_cache_memory", "multi_worker")
QUALITY = ("text_quality", "image_quality", "audio_quality", "commands_quality")
LANGUAGE = ("ner_quality", "mlm_adaptation", "ulmfit_quality")
SHIFT = ("domain_shift", "multi_task", "distillation_quality")
DETECTION = ("detection_quality",)
SPEECH = ("asr_quality",)
# `make bench`: the quality tables (issue #13's label budgets); `make bench-language`:
# language-model transfer and tagging (issue #14); `make bench-shift`: domain
# adaptation, multi-task, distillation (issue #15); `make bench-detection`:
# object-detection transfer (issue #17); `make bench-speech`: speech recognition
# transfer (issue #18); `make bench-speed`: the speed ratios. Each run keeps the
# other scripts' latest results.
GROUPS = {"quality": QUALITY[:1] + ("text_few_labels",) + QUALITY[1:] + ("few_shot",),
          "language": LANGUAGE,
          "shift": SHIFT,
          "speech": SPEECH,
          "detection": DETECTION,
          "speed": ("hub_overhead", "precision_speed", "bf16_profile", "feature_cache",
                    "feature_cache_memory", "multi_worker")}
# Scripts that are another script with fixed arguments.
ALIASES = {"commands_quality": ("audio_quality", ["--task", "spoken_commands"])}
# Options each script understands, besides --quick.
PASS_THROUGH = {"seeds": QUALITY + ("text_few_labels",) + LANGUAGE + SHIFT + DETECTION
                + SPEECH,
                "precision": ("text_quality",)}
# Rows of the sample-efficiency tables that are baselines (the rest are
# keras_transfer methods); `fine_tune` is the library's default path.
BASELINES = ("tfidf_logreg", "pixels_logreg", "logmel_logreg", "frozen_logreg")
DEFAULT_PATH = "fine_tune"

TITLES = {"rotten_tomatoes": "Rotten Tomatoes (text, MiniLM-L6)",
          "fashion_mnist": "Fashion-MNIST (image, EfficientNet-Lite0 at 96 px)",
          "spoken_words clean": "Spoken digits, clean (audio, speech_embedding)",
          "spoken_commands white/babble 0-10 dB": "35 spoken commands, white or babble "
          "noise at 0-10 dB SNR (audio, speech_embedding)",
          "spoken_commands clean": "35 spoken commands, clean (audio, speech_embedding)"}


# ------------------------------------------------------------------- running
def run_script(name, args, log_dir):
    """Runs one script; returns its entry (result JSON, seconds, status)."""
    script, fixed = ALIASES.get(name, (name, []))
    command = [sys.executable, os.path.join(HERE, f"{script}.py")] + fixed
    if args.quick:
        command.append("--quick")
    for option, scripts in PASS_THROUGH.items():
        value = getattr(args, option)
        if value is not None and name in scripts:
            command += [f"--{option}", str(value)]
    log_path = os.path.join(log_dir, f"{name}.log")
    start = time.perf_counter()
    with open(log_path, "w") as log:
        process = subprocess.run(command, stdout=subprocess.PIPE, stderr=log, text=True,
                                 cwd=ROOT)
    shown = [os.path.relpath(c, ROOT) if c.startswith(ROOT) else c for c in command[1:]]
    entry = {"command": " ".join(["python"] + shown),
             "seconds": round(time.perf_counter() - start, 1),
             "returncode": process.returncode,
             "log": os.path.relpath(log_path, ROOT)}
    try:
        entry["result"] = json.loads(process.stdout)
    except json.JSONDecodeError:
        with open(log_path) as log:
            tail = log.read()[-2000:]
        entry["error"] = (f"exit code {process.returncode}; no JSON on stdout. "
                          f"Last stderr lines:\n{tail}")
    return entry


def environment():
    """The machine and versions, without importing TensorFlow here."""
    code = ("import json, platform, os, tensorflow as tf, keras, keras_transfer, "
            "sklearn;"
            "print(json.dumps({'python': platform.python_version(),"
            "'tensorflow': tf.__version__, 'keras': keras.__version__,"
            "'keras_transfer': keras_transfer.__version__,"
            "'scikit_learn': sklearn.__version__, 'machine': platform.machine(),"
            "'processor': platform.processor() or None, 'cpus': os.cpu_count(),"
            "'devices': sorted({d.device_type for d in "
            "tf.config.list_physical_devices()})}))")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env)
    try:
        info = json.loads(out.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        info = {"python": platform.python_version(), "cpus": os.cpu_count()}
    info["platform"] = platform.platform()
    return info


# ------------------------------------------------------------------- docs
def _ms(stat, with_std):
    """`0.812 ± 0.004` from {"mean", "std"}; just the mean for one seed."""
    if not stat:
        return "–"
    if with_std:
        return f"{stat['mean']:.3f} ± {stat['std']:.3f}"
    return f"{stat['mean']:.3f}"


def _seconds(stat):
    if not stat:
        return "–"
    value = stat["mean"]
    return f"{value:.1f}" if value >= 0.05 else "< 0.1"


QUICK_BANNER = """\
> **Quick-mode numbers.** This page was generated by `make bench-quick`
> (`python benchmarks/run_all.py --quick`): tiny samples (a few hundred
> examples or fewer), one seed, a few epochs. They show that every script runs
> end to end; they say little about how well the methods transfer. Run
> `make bench` for the real numbers.
"""

INTRO = """\
Reproduce with one command: `make bench` (the quality scripts at full size,
3 seeds; 106 minutes on 2026-12-02 on 2 mostly quiet CPU cores: text 37,
images 36, audio 20, few-label text 10, few-shot 4), `make bench-language` (NER, masked-LM
adaptation, ULMFiT), `make bench-shift` (domain shift), `make bench-detection`
(object detection) and `make bench-speed` (the speed ratios), or
`make bench-quick` (quick mode). Each
script also runs alone, e.g. `python benchmarks/text_quality.py --seeds 3`,
and prints one JSON object; `benchmarks/results/latest.json` holds all of
them (saved after every script).

Conventions: every method trains on the same fixed sample and is scored on
the same test sample; seeds change initialization, shuffling, dropout and
which examples a few-label subset takes. Scores are mean ± std over seeds.
`train s` is the wall time to train (feature extraction included, evaluation
excluded) on a shared machine: compare the ratios. The linear baselines get
their `C` by 3-fold cross-validation; the neural methods get fixed
hyperparameters (listed in each script's docstring), so the comparison errs
in their disfavour. `fine_tune` is `keras_transfer.fine_tune` with its
defaults (the library's default path: `plan="auto"` picks the plan from the
labels per class) at the settings its row lists, `plan_full` the same with
`plan="full"`; older runs call the recipe `recipe`. Few-label runs train for
at least a minimum number of optimizer steps.
"""


def task_title(task):
    if task["name"] in TITLES:
        return TITLES[task["name"]]
    if task.get("snr_db") is not None:
        return (f"Spoken digits, white noise at {task['snr_db']:g} dB SNR "
                "(audio, speech_embedding)")
    return TITLES.get(task["name"], f"{task['name']} ({task.get('backbone', '')})")


def task_summary(name, task, result):
    settings = task.get("settings", {})
    text = (f"`{name}.py`: {task['train_examples']} train / {task['test_examples']} "
            f"test examples, {task['num_classes']} classes (test majority share "
            f"{task['test_majority_share']:.2f}); batch {settings.get('batch_size')}, "
            f"{settings.get('total_epochs')} total epochs for every fine-tuning method")
    if result.get("precision"):
        text += f", precision {result['precision']}"
    seeds = result.get("seeds") or []
    if len(seeds) > 1:
        text += f", seeds {', '.join(str(s) for s in seeds)}"
    return text + "."


def methods_table(methods, with_std):
    plain = (methods.get("plain_fine_tune") or {}).get("seconds")
    lines = ["| method | what | accuracy | macro F1 | train s "
             "| × plain fine-tune time | epochs |",
             "|---|---|---|---|---|---|---|"]
    for method, info in methods.items():
        ratio = "–"
        if plain and plain["mean"] > 0 and info["seconds"]["mean"] >= 0.05:
            ratio = f"{info['seconds']['mean'] / plain['mean']:.2f}"
        runs = info.get("runs") or []
        description = info.get("description", "")
        single = with_std and len(runs) == 1  # a method limited to fewer seeds
        if single:
            description += f" (seed {runs[0]['seed']} only)"
        cells = [method, description,
                 _ms(info["accuracy"], with_std and not single),
                 _ms(info["macro_f1"], with_std and not single),
                 _seconds(info["seconds"]), ratio, str(info.get("epochs") or "–")]
        lines.append("| " + " | ".join(cells) + " |")
    return lines + [""]


def curve_table(curve, with_std):
    points = curve["labels_per_class"]
    first = next(iter(curve["methods"].values()))
    header = [f"{k} ({first[k]['examples']})" if first.get(k, {}).get("examples")
              else k for k in points]
    lines = ["Sample efficiency: test accuracy by labelled training examples per "
             "class (total in brackets), and in brackets the mean training seconds "
             "(feature extraction included).", "",
             "| method | " + " | ".join(header) + " |",
             "|---|" + "---|" * len(points)]
    for method, per_k in curve["methods"].items():
        cells = [f"{_ms(per_k[k]['accuracy'], with_std)} ({_seconds(per_k[k].get('seconds'))} s)"
                 if k in per_k else "–" for k in points]
        name = f"**{method}** (default)" if method == DEFAULT_PATH else method
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines + [""]


def default_path_rows(result):
    """Per task and budget: the default path against the best baseline."""
    rows = []
    for task in result.get("tasks", []):
        methods = (task.get("sample_efficiency") or {}).get("methods", {})
        ours = methods.get(DEFAULT_PATH)
        if not ours:
            continue
        for k in task["sample_efficiency"]["labels_per_class"]:
            baselines = {m: v[k]["accuracy"]["mean"] for m, v in methods.items()
                         if m in BASELINES and k in v}
            if k not in ours or not baselines:
                continue
            best = max(baselines, key=baselines.get)
            mine = ours[k]["accuracy"]["mean"]
            rows.append((task_title(task), k, mine, best, baselines[best]))
    return rows


def targets_section(scripts):
    rows = []
    for name in QUALITY:
        result = (scripts.get(name) or {}).get("result")
        if result:
            rows += default_path_rows(result)
    if not rows:
        return []
    lines = ["## Default path against the best baseline", "",
             f"`{DEFAULT_PATH}`: `keras_transfer.fine_tune` with its defaults "
             "(`plan=\"auto\"`) at the task's settings; the best of the baselines "
             f"({', '.join(BASELINES)}) at the same budget, mean over seeds. Issue #13's "
             "target: the difference is >= 0 everywhere.", "",
             "| task | labels per class | fine_tune | best baseline | difference |",
             "|---|---|---|---|---|"]
    for title, k, mine, best, value in rows:
        lines.append(f"| {title} | {k} | {mine:.3f} | {best} {value:.3f} | "
                     f"{mine - value:+.3f} |")
    wins = sum(1 for *_, mine, _, value in rows if mine >= value)
    lines += ["", f"The default path is at or above the best baseline in {wins} of "
              f"{len(rows)} cells.", ""]
    return lines


TEXT_FEW_LABELS = {
    "frozen_lr": "frozen MiniLM embedding + logistic regression (C by 3-fold CV)",
    "zero_shot_init_head": "zero-shot head (class-description embeddings) fine-tuned on "
                           "the K-shot embeddings",
    "random_init_head": "the same head from random weights",
    "setfit": "keras_transfer.contrastive_fine_tune (SetFit), end to end",
    "setfit_lr": "the SetFit-tuned encoder + logistic regression",
    "fine_tune": "keras_transfer.fine_tune defaults (the default path)",
}


def text_few_labels_section(result):
    zero = result["zero_shot"]
    seeds = result.get("seeds") or sorted({r["seed"] for r in result["runs"]})
    lines = ["### Rotten Tomatoes with few labels: zero-shot, SetFit, fine_tune "
             "(`text_few_labels.py`, MiniLM-L6)", "",
             f"{result['num_test']} test reviews; K-shot subsets from a "
             f"{result['num_train_pool']}-review pool; seeds "
             f"{', '.join(str(s) for s in seeds)}.", "",
             "Zero-shot (no labels): class descriptions embedded by the encoder, "
             "cosine similarity; the description set is picked on "
             f"{result['num_validation']} held-out training reviews.", "",
             "| descriptions | template | validation | test |", "|---|---|---|---|"]
    for key, choice in zero["choices"].items():
        picked = " (picked)" if key == zero["picked_on_validation"] else ""
        lines.append(f"| {' / '.join(choice['descriptions'])}{picked} | "
                     f"`{choice['template']}` | {choice['validation_accuracy']:.3f} | "
                     f"{choice['test_accuracy']:.3f} |")
    lines += ["", "| labels per class | method | what | accuracy | train s |",
              "|---|---|---|---|---|"]
    for k, methods in result["summary"].items():
        for method, value in methods.items():
            name = f"**{method}** (default)" if method == DEFAULT_PATH else method
            lines.append(f"| {k} | {name} | {TEXT_FEW_LABELS.get(method, '')} | "
                         f"{value['accuracy_mean']:.3f} ± {value['accuracy_std']:.3f} | "
                         f"{value['seconds_mean']:.1f} |")
    return lines + [""]


def few_shot_section(result):
    lines = [f"### Few-shot episodes (`few_shot.py`: {result['ways']}-way, "
             f"{result['queries']} queries per class, {result['episodes']} episodes, "
             "95% CI)", "",
             "Episodes draw only novel classes; `proto_fine_tuned` trained the backbone "
             f"on base-class episodes (`keras_transfer.ProtoNet`, {result['train_steps']} "
             "steps, one run). `seconds`: feature extraction (frozen) or episodic "
             "training + extraction.", "",
             "| source | shots | prototypical | nearest_centroid | logreg | "
             "proto_fine_tuned |", "|---|---|---|---|---|---|"]
    for source in result["sources"]:
        for shots, table in source["results"].items():
            cells = [f"{table[m]['accuracy']:.3f} ± {table[m]['ci95']:.3f}"
                     for m in ("prototypical", "nearest_centroid", "logreg",
                               "proto_fine_tuned")]
            lines.append(f"| {source['name']} ({source['backbone']}) | {shots} | "
                         + " | ".join(cells) + " |")
    lines.append("")
    seconds = [f"{s['name']}: frozen features "
               f"{s['results']['1-shot']['prototypical']['seconds']:.0f} s, episodic "
               f"fine-tuning {s['results']['1-shot']['proto_fine_tuned']['seconds']:.0f} s"
               for s in result["sources"]]
    return lines + ["Seconds: " + "; ".join(seconds) + ".", ""]


def _mean_std(values, spec=".3f"):
    """`mean ± std` (population std) of a list; just the value for one."""
    mean = sum(values) / len(values)
    if len(values) == 1:
        return f"{mean:{spec}}"
    std = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5
    return f"{mean:{spec}} ± {std:{spec}}"


def ner_section(result):
    task = result["task"]
    seeds = result.get("seeds") or [0]
    settings = task["settings"]
    lines = [f"### Named entities, WNUT-16 tweets (`ner_quality.py`, {task['backbone']})", "",
             f"{task['train']['tweets']} train tweets ({task['train']['entities']} entities) "
             f"/ {task['test']['tweets']} test tweets ({task['test']['entities']} "
             f"entities), {task['num_tags']} tags; {task['metric']}; fine-tuning "
             f"{settings['epochs']} epochs, batch {settings['batch_size']}; seeds "
             f"{', '.join(str(s) for s in seeds)}. Published WNUT-16 systems: see "
             "docs/ner.md.", "",
             "| method | what | entity F1 | precision | recall | train s |",
             "|---|---|---|---|---|---|"]
    with_std = len(seeds) > 1
    for name, info in task["methods"].items():
        lines.append(f"| {name} | {info.get('description', '')} | "
                     f"{_ms(info['f1'], with_std)} | {_ms(info['precision'], with_std)} | "
                     f"{_ms(info['recall'], with_std)} | {_seconds(info['seconds'])} |")
    return lines + [""]


def mlm_section(result):
    adaptation = result["adaptation"]
    seconds = adaptation["seconds"]
    per_epoch = 1000 * seconds / (adaptation["num_texts"] * max(1, adaptation["epochs"]))
    losses = ", ".join(f"{v:.3f}" for v in adaptation["loss"])
    accuracy = ", ".join(f"{v:.3f}" for v in adaptation["masked_token_accuracy"])
    lines = ["### Masked-LM domain adaptation, Rotten Tomatoes (`mlm_adaptation.py`, "
             "MiniLM-L6)", "",
             f"`keras_transfer.adapt_language_model` on {adaptation['num_texts']} unlabelled "
             f"texts (no test snippet), {adaptation['epochs']} epoch(s), batch "
             f"{adaptation['batch_size']}, learning rate {adaptation['learning_rate']:g}: "
             f"{seconds:.0f} s ({per_epoch:.1f} s per 1,000 texts per epoch); MLM loss per "
             f"epoch {losses}; masked-token accuracy {accuracy}. Then each encoder on the "
             f"same K-shot subsets, {result['num_test']} test snippets.", "",
             "| labels per class | method | original | adapted | gain (adapted − original) "
             "| seeds |", "|---|---|---|---|---|---|"]
    for k, methods in result["summary"].items():
        for method, entry in methods.items():
            cells = [f"{entry[name]['accuracy_mean']:.3f} ± {entry[name]['accuracy_std']:.3f}"
                     for name in ("original", "adapted")]
            lines.append(f"| {k} | {method} | {cells[0]} | {cells[1]} | "
                         f"{entry['gain_mean']:+.3f} ± {entry['gain_std']:.3f} | "
                         f"{entry['seeds']} |")
    return lines + [""]


def ulmfit_section(result, with_std):
    stages = result["lm_stage"]
    settings = result["settings"]
    lines = ["### ULMFiT's stages, textgenrnn character LM on Rotten Tomatoes "
             "(`ulmfit_quality.py`)", "",
             f"{settings['train']} train / {settings['test']} test reviews, the last "
             f"{settings['max_length']} characters; {result['language_model']}. LM stage "
             f"(one epoch over {stages[0]['texts']} unlabelled texts, "
             f"{stages[0]['characters']} characters): "
             f"{_mean_std([s['seconds'] for s in stages], '.0f')} s, "
             f"{_mean_std([s['seconds_per_1000_texts'] for s in stages], '.0f')} s per 1,000 "
             "texts; held-out LM loss "
             f"{_mean_std([s['held_out_loss_before'] for s in stages])} → "
             f"{_mean_std([s['held_out_loss_after'] for s in stages])} nats per character.",
             ""]
    lines += [f"- `{name}`: {text}" for name, text in result["descriptions"].items()]
    return lines + [""] + curve_table(result["curve"], with_std)


def language_section(scripts):
    def result(name):
        return (scripts.get(name) or {}).get("result")

    lines = []
    if result("ner_quality"):
        lines += ner_section(result("ner_quality"))
    if result("mlm_adaptation"):
        lines += mlm_section(result("mlm_adaptation"))
    if result("ulmfit_quality"):
        ulmfit = result("ulmfit_quality")
        lines += ulmfit_section(ulmfit, len(ulmfit.get("seeds") or [0]) > 1)
    if not lines:
        return []
    return ["## Language-model transfer and tagging", "",
            "`make bench-language` (issue #14; see each script's docstring for what "
            "it costs).", ""] + lines


SHIFT_TITLES = {"mnist_to_digits": "MNIST → scikit-learn digits (image)",
                "movies_to_amazon": "Movie reviews → Amazon reviews (text, VADER)",
                "movies_to_tweets": "Movie reviews → tweets (text, VADER)",
                "commands_clean_to_noisy":
                    "Clean spoken commands → noisy, unseen voices (audio)"}


def distillation_lines(scripts):
    """Teacher vs students (`distillation_quality.py`): quality, size, latency."""
    result = (scripts.get("distillation_quality") or {}).get("result")
    if not result:
        return []
    with_std = len(result.get("seeds") or [0]) > 1
    lines = ["## Distillation and quantisation", "",
             f"`distillation_quality.py` (issue #15; its docstring lists the settings): "
             f"MiniLM-L6 teacher (trained once, seed 0) → students on {result['dataset']} "
             f"({result['train_examples']} train / {result['test_examples']} test; majority "
             f"share {result['test_majority_share']:.3f}). Size: the SavedModel (one "
             "endpoint) and the `export_for_serving` folder; TFLite rows: the file, token "
             "ids in. Latency: median of warm single-example calls.", "",
             "| model | accuracy | macro F1 | parameters | MB | serving MB | ms |",
             "|---|---|---|---|---|---|---|"]

    def number(stat, scale=1.0, digits=2):
        return "–" if not stat else f"{stat['mean'] / scale:,.{digits}f}"

    for name, info in result["methods"].items():
        lines.append(f"| {name} | {_ms(info['accuracy'], with_std)} | "
                     f"{_ms(info['macro_f1'], with_std)} | "
                     f"{number(info.get('num_params'), digits=0)} | "
                     f"{number(info.get('size_bytes'), 1e6)} | "
                     f"{number(info.get('serving_export_bytes'), 1e6)} | "
                     f"{number(info.get('latency_ms'))} |")
    goal = result.get("target")
    if goal:
        lines += ["", f"Target (≥ {goal['accuracy_share_needed']:.0%} of the teacher's "
                  f"accuracy at ≤ 1/3 of its latency): `{goal['student']}` keeps "
                  f"{goal['accuracy_share']:.1%} of the accuracy at "
                  f"{goal['latency_share']:.1%} of the latency: "
                  f"{'met' if goal['met'] else 'not met'}."]
    return lines + [""]


def shift_section(scripts):
    """Domain adaptation (`domain_shift.py`): target accuracy per method and
    the share of the source-only → oracle gap each closes."""
    result = (scripts.get("domain_shift") or {}).get("result")
    if not result:
        return []
    with_std = len(result.get("seeds") or [0]) > 1
    lines = ["## Domain shift", "",
             "`make bench-shift` (issue #15; `benchmarks/domain_shift.py`'s docstring lists "
             "the settings and what it costs). Labelled source, unlabelled target train "
             "inputs, scored on the target test split; `gap closed` = (method − "
             "source_only) / (target_oracle − source_only) of the mean accuracies.", ""]
    embedding = result.get("text_embedding")
    if embedding:
        lines += [f"Text features: frozen `{embedding['backbone']}` embeddings of "
                  f"{embedding['texts']} texts, computed once in "
                  f"{embedding['seconds']:.0f} s (not in `train s`).", ""]
    embedding = result.get("audio_embedding")
    if embedding:
        lines += [f"Audio features: frozen `{embedding['backbone']}` embeddings of "
                  f"{embedding['clips']} clips, computed once in "
                  f"{embedding['seconds']:.0f} s (not in `train s`).", ""]
    for shift in result["shifts"]:
        title = SHIFT_TITLES.get(shift["name"], shift["name"])
        lines += [f"### {title}", "",
                  f"{shift.get('source_label', '`' + shift['source'] + '`')} "
                  f"({shift['source_examples']} labelled) → "
                  f"{shift.get('target_label', '`' + shift['target'] + '`')} "
                  f"({shift['target_examples']} unlabelled, "
                  f"{shift['test_examples']} test; majority share "
                  f"{shift['test_majority_share']:.3f}); {shift['features']}; "
                  f"{shift['settings']['epochs']} epochs.", "",
                  "| method | what | target accuracy | macro F1 | gap closed | train s |",
                  "|---|---|---|---|---|---|"]
        for name, info in shift["methods"].items():
            gap = shift["gap_closed"].get(name)
            gap = "–" if gap is None else f"{gap:+.0%}"
            lines.append(f"| {name} | {info.get('description', '')} | "
                         f"{_ms(info['accuracy'], with_std)} | "
                         f"{_ms(info['macro_f1'], with_std)} | {gap} | "
                         f"{_seconds(info['seconds'])} |")
        lines.append("")
    return lines


MULTI_TASK_TITLES = {"sentiment_and_rating": "Sentiment and rating heads (VADER, four "
                                             "domains pooled)",
                     "per_domain_heads": "One sentiment head per VADER domain"}


def multi_task_lines(scripts):
    """`multi_task.py`: per-domain accuracy (and rating MAE) and training time of
    one multi-task model against separate single-task models."""
    result = (scripts.get("multi_task") or {}).get("result")
    if not result:
        return []
    with_std = len(result.get("seeds") or [0]) > 1
    domains = list(result["domains"])
    sizes = ", ".join(f"{d} {v['train']}/{v['test']}" for d, v in result["domains"].items())
    embedding = result["text_embedding"]
    lines = ["## Multi-task vs separate models", "",
             "`make bench-shift` (issue #15; `benchmarks/multi_task.py`'s docstring "
             "lists the settings and what it costs). "
             f"Frozen `{embedding['backbone']}` embeddings of {embedding['texts']} "
             f"texts (computed once in {embedding['seconds']:.0f} s, not in `train s`) "
             f"→ a shared Dense trunk → `build_multi_task_model` heads; train/test "
             f"snippets per domain: {sizes}; {result['settings']['epochs']} epochs. "
             "`train s`: one model for multi_task, the sum over the models for separate.",
             ""]
    baselines = result.get("baselines", {})
    for experiment in result["experiments"]:
        methods = experiment["methods"]
        first = next(iter(methods.values()))
        scores = [("sentiment_accuracy", "accuracy")]
        if "rating_mae" in first:
            scores.append(("rating_mae", "rating MAE"))
        header = [f"{label} {d}" for key, label in scores for d in domains]
        lines += [f"### {MULTI_TASK_TITLES.get(experiment['name'], experiment['name'])}",
                  "", experiment["description"] + ".", "",
                  "| method | " + " | ".join(header) + " | train s |",
                  "|---|" + "---|" * (len(header) + 1)]
        for name, info in methods.items():
            cells = [_ms(info[key][d], with_std) for key, _ in scores for d in domains]
            lines.append(f"| {name} | " + " | ".join(cells) +
                         f" | {_seconds(info['seconds'])} |")
        reference = {"sentiment_accuracy": baselines.get("majority_accuracy"),
                     "rating_mae": baselines.get("mean_rating_mae")}
        if all(reference[key] for key, _ in scores):
            cells = [f"{reference[key][d]:.3f}" for key, _ in scores for d in domains]
            label = " / ".join(["majority", "mean rating"][:len(scores)])
            lines.append(f"| {label} | " + " | ".join(cells) + " | – |")
        lines.append("")
    return lines
def speech_section(scripts):
    """Speech recognition (`asr_quality.py`): CER / WER per method, test set and
    decoding, training time and real-time factor."""
    result = (scripts.get("asr_quality") or {}).get("result")
    if not result:
        return []
    with_std = len(result.get("seeds") or [0]) > 1
    data = result["data"]
    lm = result["language_model"]
    lines = ["## Speech recognition", "",
             "`make bench-speech` (issue #18; `benchmarks/asr_quality.py`'s docstring "
             "lists the settings and what it costs). Character CTC recognizers trained on "
             f"{data['train']['clips']} synthetic clips ({data['train']['seconds']:.0f} s), "
             f"scored on the {data['real']['clips']} real LibriVox recordings of "
             f"`pocketsphinx-testdata` ({data['real']['seconds']:.0f} s) and "
             f"{data['synthetic']['clips']} held-out synthetic clips. Decoding: greedy, "
             "beam search (no LM), beam search + a character "
             f"{lm['order']}-gram Kneser-Ney LM ({lm['sentences']} sentences; alpha and "
             "beta picked on validation clips). CER / WER are corpus rates; RTF = "
             "inference wall time / audio duration.", "",
             "| method | what | decoding | real CER | real WER | synthetic CER "
             "| synthetic WER | train s | RTF |", "|---|---|---|---|---|---|---|---|---|"]
    for name, info in result["methods"].items():
        for decoding in ("greedy", "beam", "beam_lm"):
            what = info.get("description", "") if decoding == "greedy" else ""
            label = decoding
            if decoding == "beam_lm":
                label += f" (α={info['fusion']['alpha']:g}, β={info['fusion']['beta']:g})"
            rtf = info["real_time_factor"].get(decoding)
            lines.append(
                f"| {name} | {what} | {label} | "
                f"{_ms(info['real'][decoding]['cer'], with_std)} | "
                f"{_ms(info['real'][decoding]['wer'], with_std)} | "
                f"{_ms(info['synthetic'][decoding]['cer'], with_std)} | "
                f"{_ms(info['synthetic'][decoding]['wer'], with_std)} | "
                f"{_seconds(info['seconds']) if decoding == 'greedy' else ''} | "
                f"{_ms(rtf, False) if rtf else ''} |")
    lines.append("")
    for key, value in (result.get("goal") or {}).items():
        lines.append(f"- Goal (pretrained at most half of scratch's real CER), {key}: "
                     f"CER {value['cer']:.3f} vs scratch {value['scratch_cer']:.3f} "
                     f"→ {'met' if value['met'] else 'not met'}.")
    return lines + [""]
def detection_section(scripts):
    """Object detection (`detection_quality.py`): mAP per variant and training
    size, the issue's targets, and the face detector as is vs fine-tuned."""
    result = (scripts.get("detection_quality") or {}).get("result")
    if not result:
        return []
    with_std = len(result.get("seeds") or [0]) > 1
    digits = result["digits"]
    sizes = [str(size) for size in digits["sizes"]]
    lines = ["## Object detection", "",
             "`make bench-detection` (issue #17; `benchmarks/detection_quality.py`'s "
             "docstring lists the settings and what it costs). Digits on photos at "
             f"{result['image_size']} px, {digits['test_images']} test images; each "
             "cell: COCO mAP@0.5 / mAP@[.5:.95], then training seconds and test "
             "images per second (network and decoding). Epochs per training-set size: "
             + ", ".join(f"{size} images {epochs}" for size, epochs
                         in (digits.get("epochs") or {}).items()) + ".", "",
             "| variant | " + " | ".join(f"{size} images" for size in sizes) + " |",
             "|---|" + "---|" * len(sizes)]
    for name, info in digits["variants"].items():
        cells = []
        for size in sizes:
            cell = info["sizes"].get(size)
            cells.append("–" if not cell else
                         f"{_ms(cell['map_50'], with_std)} / {_ms(cell['map'], with_std)}"
                         f" ({_seconds(cell['seconds'])} s, "
                         f"{cell['images_per_second']['mean']:.0f} img/s)")
        lines.append(f"| {name}: {info['description']} | " + " | ".join(cells) + " |")
    lines.append("")
    goals = digits["targets"]
    ratio, best = goals["pretrained_over_scratch"], goals["best_map_50"]
    verdict = {True: "met", False: "not met", None: "not measured"}
    lines += [f"- Pretrained / scratch mAP@0.5 at {ratio['size']} images: "
              f"{ratio['ratio'] if ratio['ratio'] is not None else '–'} (target ≥ "
              f"{ratio['target']}; {verdict[ratio['met']]}).",
              f"- Best mAP@0.5 at {best['size']} images: "
              f"{best['value'] if best['value'] is not None else '–'} (target ≥ "
              f"{best['target']}; {verdict[best['met']]}).", ""]
    face = result.get("faces")
    if face:
        lines += [f"Faces on photos ({face['train_images']} training, "
                  f"{face['test_images']} test images):", "",
                  "| method | what | mAP@0.5 | mAP@[.5:.95] | train s |",
                  "|---|---|---|---|---|"]
        for name, info in face["methods"].items():
            lines.append(f"| {name} | {info['description']} | "
                         f"{_ms(info['map_50'], with_std)} | {_ms(info['map'], with_std)} | "
                         f"{_seconds(info['seconds'])} |")
        lines.append("")
    return lines


def quality_section(name, result, with_std):
    lines = []
    for task in result["tasks"]:
        lines += [f"### {task_title(task)}", "", task_summary(name, task, result), ""]
        lines += methods_table(task["methods"], with_std)
        curve = task.get("sample_efficiency")
        if curve and curve.get("methods"):
            lines += curve_table(curve, with_std)
    return lines


def hub_lines(hub):
    speed = hub["examples_per_second"]
    base = speed.get("native")
    lines = [f"### SavedModel overhead (`hub_overhead.py`: {hub['network']}, "
             f"{hub['image_size']} px, batch {hub['batch']})", "",
             "Examples/s relative to the native Keras model (higher is faster; "
             "medians of interleaved rounds in one process). `*_jit`: compiled with "
             "`jit_compile=True` (XLA); Keras runs `hub_jit` without XLA because "
             "`HubBackbone` declares `supports_jit = False` (see the script's "
             "docstring).", "",
             "| variant | training × native | inference × native |",
             "|---|---|---|"]
    for variant, value in speed.items():
        cells = [f"{value[k] / base[k]:.2f}" if base else "–"
                 for k in ("train", "inference")]
        lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    for variant, error in (hub.get("errors") or {}).items():
        lines.append(f"| {variant} | failed: {error.splitlines()[0][:120]} | |")
    return lines + [""]


def precision_lines(precision):
    lines = [f"### Mixed precision, MiniLM-L6 fine-tuning (`precision_speed.py`: "
             f"batch {precision['batch']}, sequence "
             f"{precision['sequence_length']})", "",
             "| ratio | value |", "|---|---|",
             "| bfloat16 / float32 matmul peak | "
             f"{precision['matmul_bf16_over_fp32']} |"]
    lines += [f"| {key} | {value} |" for key, value in precision["ratios"].items()]
    return lines + [""]


def profile_lines(profile):
    variants = profile["variants"]
    names = list(variants)
    lines = [f"### Where a training step's time goes (`bf16_profile.py`: MiniLM-L6, "
             f"batch {profile['batch']}, sequence {profile['sequence_length']})", "",
             "Milliseconds of TensorFlow op time per training step by category "
             "(share in brackets), from the TensorFlow profiler's trace. Ops run on "
             "two threads at once, so op time exceeds the wall time. Last column: "
             "how much faster the category runs in bfloat16 than in float32 "
             "(native layers).", "",
             "| category | " + " | ".join(names) + " | float32 / bfloat16 |",
             "|---|" + "---|" * (len(names) + 1)]
    ratios = profile.get("fp32_over_bf16_op_time", {})
    for category in next(iter(variants.values()))["categories"]:
        cells = [f"{v['categories'][category]['ms_per_step']:.0f} "
                 f"({v['categories'][category]['share']:.0%})" for v in variants.values()]
        ratio = ratios.get(category)
        cells.append(f"{ratio:.2f}" if ratio else "–")
        lines.append(f"| {category} | " + " | ".join(cells) + " |")
    lines.append("| **wall ms per step** | " + " | ".join(
        f"{v['wall_ms_per_step']:.0f}" for v in variants.values())
        + f" | {profile['wall_fp32_over_bf16']:.2f} |")
    return lines + [""]


def cache_lines(cache):
    return [f"### Feature cache (`feature_cache.py`: {cache['backbone']}, "
            f"{cache['examples']} examples)", "",
            "| measure | value |", "|---|---|",
            f"| epoch speed-up, cached vs frozen end to end | "
            f"{cache['epoch_speedup']}× |",
            f"| break-even epochs (extraction paid back) | "
            f"{cache['break_even_epochs']} |",
            f"| max abs difference of the trained heads | "
            f"{cache['head_max_abs_diff']:.1e} |", ""]


def memory_lines(memory):
    mib = 2**20
    return [f"### Features larger than the memory cap (`feature_cache_memory.py`: "
            f"{memory['examples']} examples x {memory['feature_dim']} float32 features, "
            f"{memory['shards']} files)", "",
            "`FeatureCache(directory=...)` writes the features to sharded TFRecord files "
            "and streams them back; the head trains on them with `shuffle=True`. Peak RSS "
            "is the kernel's high-water mark (`VmHWM`); the cap is a watchdog on `VmRSS`, "
            "not an address-space limit (see the script's docstring).", "",
            "| measure | value |", "|---|---|",
            f"| features | {memory['feature_bytes'] / mib:.0f} MiB |",
            f"| memory cap | {memory['rss_cap_bytes'] / mib:.0f} MiB |",
            f"| RSS before extraction (Python, TensorFlow, model) | "
            f"{memory['baseline_rss_bytes'] / mib:.0f} MiB |",
            f"| peak RSS while extracting | {memory['peak_rss_extract_bytes'] / mib:.0f} MiB |",
            f"| peak RSS while training ({memory['epochs']} epochs) | "
            f"{memory['peak_rss_fit_bytes'] / mib:.0f} MiB |",
            f"| within the cap | {'yes' if memory['within_cap'] else 'no'} |",
            f"| extraction / epoch seconds | {memory['extract_s']} / "
            f"{', '.join(str(s) for s in memory['epoch_s'])} |", ""]


def multi_worker_lines(result):
    speed = result["examples_per_s"]
    return [f"### Multi-worker overhead (`multi_worker.py`: {result['model']}, global batch "
            f"{result['global_batch']}, median of {result['repeats']} run(s))", "",
            "Both configurations share this machine's CPU cores, so the ratio is the cost "
            "of the 2-worker all-reduce and of splitting each step, not a speed-up.", "",
            "| measure | value |", "|---|---|",
            f"| examples/s, 1 process | {speed['1_worker']} |",
            f"| examples/s, 2 workers (MultiWorkerMirroredStrategy, 127.0.0.1) | "
            f"{speed['2_workers']} |",
            f"| 2 workers / 1 process | {result['two_over_one']} |",
            f"| bytes all-reduced per step (gradient payload per worker) | "
            f"{result['allreduce_bytes_per_step']:,} |", ""]


def speed_section(scripts):
    def result(name):
        return (scripts.get(name) or {}).get("result")

    lines = []
    if result("hub_overhead"):
        lines += hub_lines(result("hub_overhead"))
    if result("precision_speed"):
        lines += precision_lines(result("precision_speed"))
    if result("bf16_profile"):
        lines += profile_lines(result("bf16_profile"))
    if result("feature_cache"):
        lines += cache_lines(result("feature_cache"))
    if result("feature_cache_memory"):
        lines += memory_lines(result("feature_cache_memory"))
    if result("multi_worker"):
        lines += multi_worker_lines(result("multi_worker"))
    resolution = (result("image_quality") or {}).get("resolution")
    if resolution:
        lines += [f"Input resolution: the frozen EfficientNet-Lite0 forward pass at "
                  f"224 px costs {resolution['forward_224_over_96']}× as much per "
                  "image "
                  "as at 96 px (`image_quality.py`), so the image benchmark runs the "
                  "backbone at 96 px.", ""]
    return lines


def render_markdown(run):
    """The text of docs/benchmarks.md for one collected run (see `main`)."""
    scripts = run["scripts"]
    seeds = next((entry["result"].get("seeds") for entry in scripts.values()
                  if entry.get("result", {}).get("seeds")), [0])
    lines = ["# Benchmarks", "",
             "<!-- Generated by benchmarks/run_all.py from "
             "benchmarks/results/latest.json; do not edit by hand. -->", ""]
    if run["mode"] == "quick":
        lines += [QUICK_BANNER]
    if run.get("note"):
        lines += ["> " + run["note"].replace("\n", "\n> "), ""]
    lines += [INTRO]
    lines += ["## Run", "", "| | |", "|---|---|",
              f"| date (UTC) | {run['timestamp']} |",
              f"| mode | {run['mode']} |",
              f"| seeds | {', '.join(str(s) for s in seeds)} (first quality script; "
              "each task lists its own) |"]
    for key, value in run.get("environment", {}).items():
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        lines.append(f"| {key} | {value} |")
    lines += [""]
    lines += targets_section(scripts)
    lines += ["## Quality", ""]
    for name in QUALITY:
        entry = scripts.get(name)
        if entry and entry.get("result"):
            lines += quality_section(ALIASES.get(name, (name,))[0], entry["result"],
                                     len(seeds) > 1)
    if (scripts.get("text_few_labels") or {}).get("result"):
        lines += text_few_labels_section(scripts["text_few_labels"]["result"])
    if (scripts.get("few_shot") or {}).get("result"):
        lines += few_shot_section(scripts["few_shot"]["result"])
    lines += language_section(scripts)
    lines += shift_section(scripts)
    lines += multi_task_lines(scripts)
    lines += distillation_lines(scripts)
    lines += speech_section(scripts)
    lines += detection_section(scripts)
    lines += ["## Speed", ""]
    lines += speed_section(scripts)
    lines += ["## Scripts", "", "Each script's command, when it ran (UTC) and its wall "
              "time: `make bench` runs the quality scripts, `make bench-language` the "
              "language ones, `make bench-shift` the domain-shift, multi-task and "
              "distillation ones, `make bench-detection` the detection one, "
              "`make bench-speech` the speech one, `make bench-speed` "
              "the speed ones; each keeps the other "
              "groups' latest results.", "",
              "| script | command | ran | wall s | status |", "|---|---|---|---|---|"]
    for name, entry in scripts.items():
        status = "ok"
        if not entry.get("result"):
            status = "failed: " + (entry.get("error") or "").split("\n")[0]
        lines.append(f"| `{name}` | `{entry.get('command', '')}` | "
                     f"{entry.get('ran', run['timestamp'])} | {entry['seconds']:.0f} | "
                     f"{status} |")
    lines.append("")
    return "\n".join(lines)


def write_docs(run, path):
    with open(path, "w") as f:
        f.write(render_markdown(run))


def save(run, done, previous, paths, docs):
    """Writes the run (this run's finished scripts, the others' kept results)
    to every path in `paths` and regenerates the docs."""
    run["total_seconds"] = round(sum(e["seconds"] for e in done.values()), 1)
    run["scripts"] = {name: done.get(name) or previous[name]
                      for name in SCRIPTS if name in done or name in previous}
    for path in paths:
        with open(path, "w") as f:
            json.dump(run, f, indent=2)
    write_docs(run, docs)


def kept_results(latest, mode, names):
    """The other scripts' entries of the last run in the same mode, so that a
    partial run (`--only`, `make bench` vs `make bench-speed`) keeps them."""
    try:
        with open(latest) as f:
            last = json.load(f)
    except (OSError, json.JSONDecodeError):
        return {}
    if last.get("mode") != mode:
        return {}
    return {name: dict(entry, ran=entry.get("ran", last.get("timestamp")))
            for name, entry in last.get("scripts", {}).items()
            if name in SCRIPTS and name not in names and entry.get("result")}


# ------------------------------------------------------------------- main
def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="pass --quick to every script")
    parser.add_argument("--only", default=None,
                        help=f"comma-separated subset of {', '.join(SCRIPTS)}, or a group: "
                             f"{', '.join(GROUPS)}")
    parser.add_argument("--seeds", type=int, default=None,
                        help="seeds of the quality scripts (their default otherwise)")
    parser.add_argument("--precision", default=None, help="text_quality's --precision")
    parser.add_argument("--results-dir", default=os.path.join(HERE, "results"))
    parser.add_argument("--docs", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    parser.add_argument("--docs-only", action="store_true",
                        help="regenerate the docs from latest.json, run nothing")
    args = parser.parse_args()
    latest = os.path.join(args.results_dir, "latest.json")
    if args.docs_only:
        with open(latest) as f:
            write_docs(json.load(f), args.docs)
        print(json.dumps({"docs": args.docs, "from": latest}))
        return
    names = SCRIPTS if args.only is None else tuple(
        n for part in args.only.split(",") for n in GROUPS.get(part, (part,)))
    unknown = sorted(set(names) - set(SCRIPTS))
    if unknown:
        parser.error(f"unknown script(s) {unknown}; available: {list(SCRIPTS)}")

    stamp = datetime.datetime.now(datetime.timezone.utc)
    tag = stamp.strftime("%Y%m%dT%H%M%SZ")
    log_dir = os.path.join(args.results_dir, "logs", tag)
    os.makedirs(log_dir, exist_ok=True)
    run = {"timestamp": stamp.strftime("%Y-%m-%d %H:%M"), "mode": "quick" if args.quick
           else "full", "environment": environment(), "scripts": {}}
    previous = kept_results(latest, run["mode"], names)
    done = {}
    for name in names:
        print(f"[run_all] {name} ...", file=sys.stderr, flush=True)
        entry = run_script(name, args, log_dir)
        entry["ran"] = datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M")
        done[name] = entry
        print(f"[run_all] {name}: {'ok' if 'result' in entry else 'FAILED'} in "
              f"{entry['seconds']:.0f} s", file=sys.stderr, flush=True)
        # Saved after every script, so an interrupted run keeps what finished.
        save(run, done, previous, [os.path.join(args.results_dir, f"{tag}.json"), latest],
             args.docs)
    failed = [n for n, e in run["scripts"].items() if "result" not in e]
    print(json.dumps({"results": os.path.relpath(latest, ROOT), "docs": args.docs,
                      "seconds": run["total_seconds"], "failed": failed}))
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
