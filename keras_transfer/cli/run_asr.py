"""The `fit` pipeline for speech recognition (`--task asr`).

data (`speech_data.py`) → `build_speech_recognizer` (a character CTC head on
the audio encoder) → `fine_tune` with `plan="full"`: the head first through
the frozen encoder (`HEAD_EPOCHS`), then the encoder's layer groups unfrozen
top-down (`--unfreeze`) with discriminative learning rates (`--decay`) on
one schedule (`--schedule`), with `CTCLoss` and greedy CER/WER metrics →
greedy transcripts of the test split, corpus CER and WER
(`transcript_error_rates`) → `model.keras` + a TF Serving export that takes
WAV bytes and returns transcripts (`export_speech_recognizer`) → report.
The label-budget plans, the linear probe and cross-validation are built
for classifiers, so `--plan`, `--baseline-epochs` and `--folds` are refused
rather than ignored.
"""

import json
import platform
import time
from pathlib import Path

from keras_transfer.cli.errors import UsageError
from keras_transfer.cli.run_dir import prepare_run_dir
from keras_transfer.recipes import defaults as recipe
from keras_transfer.utils.messages import say

TASK = "asr"
DEFAULT_MAX_SECONDS = 8.0
# Seconds of real speech from the pocketsphinx recordings, reported beside a
# synthetic test split when the Debian package is installed.
REAL_RECORDINGS = "pocketsphinx_librivox"


def check_asr_config(config):
    """Refuses the classifier-only options of `fit`."""
    refused = [flag for flag, value, default in (
        ("--plan", config.get("plan"), recipe.PLAN),
        ("--baseline-epochs", config.get("baseline_epochs"), None),
        ("--folds", config.get("folds"), None),
        ("--image-size", config.get("image_size"), None),
        ("--precision", config.get("precision"), None),
        ("--strategy", config.get("strategy"), "auto")) if value != default]
    if refused:
        raise UsageError(f"{', '.join(refused)}: not used by --task asr, which trains a CTC "
                         "recognizer with --epochs, --learning-rate, --unfreeze, --decay, "
                         "--schedule and --max-seconds (docs/speech.md)")
    if config["epochs"] < 1:
        raise UsageError(f"--epochs must be >= 1 for --task asr, got {config['epochs']}")
    seconds = config.get("max_seconds")
    if seconds is not None and not 0 < seconds <= 30:
        raise UsageError(f"--max-seconds must be in (0, 30], got {seconds}")


def run_asr(config, verbose=1):
    """Trains, evaluates, exports and reports a speech recognizer; returns the metrics."""
    import keras
    import tensorflow as tf

    from keras_transfer.cli.data_source import check_backbone
    from keras_transfer.cli.speech_data import SYNTHETIC, load_speech_source
    from keras_transfer.data.pad_speech import pad_speech
    from keras_transfer.export.export_speech_recognizer import backbone_sample_rate
    from keras_transfer.losses.ctc_loss import CTCLoss
    from keras_transfer.metrics.character_error_rate import CharacterErrorRate
    from keras_transfer.metrics.word_error_rate import WordErrorRate
    from keras_transfer.models.build_speech_recognizer import build_speech_recognizer
    from keras_transfer.recipes.fine_tune import fine_tune
    from keras_transfer.speech.character_vocabulary import CharacterVocabulary

    started = time.perf_counter()
    check_asr_config(config)
    backbone = check_backbone(config["backbone"], "audio")
    max_seconds = config.get("max_seconds") or DEFAULT_MAX_SECONDS
    config["max_seconds"] = max_seconds
    run_dir = prepare_run_dir(config)  # fails fast on a used --output
    vocabulary = CharacterVocabulary()
    sample_rate = backbone_sample_rate(backbone)
    source = load_speech_source(config["data"], vocabulary, max_seconds, sample_rate,
                                config.get("num_train"), config.get("num_test"),
                                config["seed"])
    say(f"Data: {source.description}"
        + (f"; dropped {source.dropped}" if source.dropped else ""), verbose)
    keras.utils.set_random_seed(config["seed"])

    trainable = config["unfreeze"] != "none"
    model = build_speech_recognizer(backbone, vocabulary, max_seconds=max_seconds,
                                    sample_rate=sample_rate, trainable=trainable,
                                    learning_rate=config["learning_rate"], seed=config["seed"])
    max_samples = int(model.input["waveform"].shape[-1])

    labels = vocabulary.encode(source.train_texts)
    inputs = pad_speech(source.train_audio, max_samples)
    train = (tf.data.Dataset.from_tensor_slices((inputs, labels))
             .shuffle(len(labels), seed=config["seed"], reshuffle_each_iteration=True)
             .batch(config["batch_size"]))
    epochs, head_epochs = ((config["epochs"], recipe.HEAD_EPOCHS) if trainable
                           else (0, config["epochs"]))
    say(f"Backbone: {config['backbone']}; CTC head "
        + (f"{head_epochs} epoch(s), then {epochs} epochs unfreezing the encoder "
           f"{'top-down' if config['unfreeze'] == 'gradual' else 'at once'}" if trainable
           else f"{head_epochs} epochs on the frozen encoder (--unfreeze none)")
        + f", peak learning rate {config['learning_rate']:g}, {config['schedule']} schedule",
        verbose)
    history = fine_tune(model, train, plan="full", epochs=epochs, head_epochs=head_epochs,
                        learning_rate=config["learning_rate"], decay=config["decay"],
                        schedule=config["schedule"], loss=CTCLoss(),
                        metrics=[CharacterErrorRate(), WordErrorRate(vocabulary.characters)],
                        gradual_unfreezing=config["unfreeze"] != "all", verbose=verbose)

    evaluation = _evaluate(model, vocabulary, source.test_audio, source.test_texts,
                           source.test_names, config["batch_size"])
    if config["data"] == SYNTHETIC:
        real = _real_recordings(model, vocabulary, sample_rate, max_seconds,
                                config["batch_size"])
        if real is not None:
            evaluation["other"] = {REAL_RECORDINGS: real}
    test = evaluation["test"]
    say(f"Test: CER {test['cer']:.4f}, WER {test['wer']:.4f} on {len(source.test_texts)} "
        "clips", verbose)

    model.save(run_dir / "model.keras")
    metrics = {"backbone": config["backbone"], "data": config["data"], "task": TASK,
               "test": {k: test[k] for k in ("cer", "wer")},
               "vocabulary": vocabulary.characters, "sample_rate": sample_rate,
               "max_seconds": max_seconds, "num_train": len(source.train_texts),
               "num_test": len(source.test_texts), "dropped": source.dropped,
               "loss": [float(v) for v in history.history.get("loss", [])]}
    if "other" in evaluation:
        metrics["other"] = {name: {k: rates[k] for k in ("cer", "wer")}
                            for name, rates in evaluation["other"].items()}
    if config.get("export", True):
        from keras_transfer.export.export_speech_recognizer import export_speech_recognizer

        serving = export_speech_recognizer(model, run_dir / "serving", vocabulary,
                                           sample_rate=sample_rate)
        metrics["serving_export"] = str(serving)
        say(f"TF Serving export (WAV bytes -> transcript): {serving}", verbose)
    metrics["seconds"] = round(time.perf_counter() - started, 1)
    metrics["environment"] = {"python": platform.python_version(),
                              "tensorflow": tf.__version__, "keras": keras.__version__}
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    (run_dir / "config.json").write_text(json.dumps(
        {**{k: list(v) if isinstance(v, tuple) else v for k, v in config.items()},
         "task": TASK, "vocabulary": vocabulary.characters}, indent=2))
    (run_dir / "evaluation.json").write_text(json.dumps(evaluation, indent=2))
    metrics["report"] = _report(run_dir, history, evaluation, metrics, config, verbose)
    return metrics


def _evaluate(model, vocabulary, audio, texts, names, batch_size):
    """Greedy transcripts of `audio`, corpus CER/WER and per-clip rows."""
    from keras_transfer.evaluation.transcript_error_rates import transcript_error_rates
    from keras_transfer.speech.transcribe import transcribe

    hypotheses = transcribe(model, audio, vocabulary, batch_size=batch_size)
    examples = []
    for name, reference, hypothesis in zip(names, texts, hypotheses):
        one = transcript_error_rates([reference], [hypothesis])
        examples.append({"source": name, "reference": reference,
                         "hypothesis": hypothesis, "cer": one["cer"]})
    return {"test": transcript_error_rates(texts, hypotheses), "examples": examples}


def _real_recordings(model, vocabulary, sample_rate, max_seconds, batch_size):
    """CER/WER on the pocketsphinx LibriVox recordings that fit, or None without them."""
    from keras_transfer.cli.speech_data import _fitting
    from keras_transfer.data import load_transcribed_audio, read_pocketsphinx_librivox
    from keras_transfer.evaluation.transcript_error_rates import transcript_error_rates
    from keras_transfer.speech.transcribe import transcribe

    try:
        pairs, _ = _fitting(read_pocketsphinx_librivox(), max_seconds)
    except FileNotFoundError:
        return None
    if not pairs:
        return None
    audio, texts = load_transcribed_audio(pairs, sample_rate, max_seconds)
    texts = [vocabulary.normalize(text) for text in texts]
    hypotheses = transcribe(model, audio, vocabulary, batch_size=batch_size)
    return {**transcript_error_rates(texts, hypotheses), "clips": len(texts)}


def _report(run_dir, history, evaluation, metrics, config, verbose):
    try:
        from keras_transfer.report.write_transcript_report import write_transcript_report
    except ImportError as error:  # matplotlib missing
        say(f"No report: {error}", verbose)
        return None
    extra = {"config": {k: list(v) if isinstance(v, tuple) else v for k, v in config.items()},
             "Training clips": metrics["num_train"], "Seconds": metrics["seconds"],
             "Sample rate (Hz)": metrics["sample_rate"],
             "Longest clip (s)": metrics["max_seconds"]}
    if metrics.get("dropped"):
        extra["Dropped clips"] = json.dumps(metrics["dropped"])
    if metrics.get("serving_export"):
        extra["TF Serving export"] = metrics["serving_export"]
    try:
        return write_transcript_report(
            Path(run_dir), history, evaluation,
            f"{config['backbone']} on {config['data']}: speech recognition", extra)
    except ImportError as error:
        say(f"No report: {error}", verbose)
        return None


def transcripts_export(run_dir):
    """The newest serving version of an ASR run directory, or None for another run."""
    run_dir = Path(run_dir)
    config = run_dir / "config.json"
    if not run_dir.is_dir() or not config.is_file():
        return None
    try:
        task = json.loads(config.read_text()).get("task")
    except (ValueError, AttributeError):
        return None
    if task != TASK:
        return None
    serving = run_dir / "serving"
    versions = sorted(int(p.name) for p in serving.glob("*")
                      if p.name.isdigit() and (p / "saved_model.pb").exists())
    if not versions:
        raise UsageError(f"--model {run_dir} is a speech recognition run without a TF Serving "
                         "export (fit with --no-export); export it with `keras-transfer "
                         f"export --model {run_dir} --output {run_dir / 'serving'}`")
    return serving / str(versions[-1])
