"""One function per `keras-transfer` verb: `verb(args, verbose) -> exit code`."""

import json
import os
import sys
from pathlib import Path

from keras_transfer.cli.data_source import check_backbone, check_sizes, dataset_modality
from keras_transfer.cli.errors import UsageError
from keras_transfer.cli.model_loading import load_keras_model, load_saved_model
from keras_transfer.cli.run_asr import transcripts_export
from keras_transfer.cli.run_cross_validation import check_folds
from keras_transfer.cli.run_detect import is_detection_config
from keras_transfer.cli.run_tag import is_tagging_data
from keras_transfer.recipes import defaults
from keras_transfer.utils.messages import say


def _fit_config(args):
    config = {k: v for k, v in vars(args).items() if k not in ("verb", "quiet")}
    if config["epochs"] < 0 or (config["baseline_epochs"] or 0) < 0:
        raise UsageError("--epochs and --baseline-epochs must be >= 0")
    if config["batch_size"] < 1:
        raise UsageError(f"--batch-size must be >= 1, got {config['batch_size']}")
    text = config.get("task") == "text" or config["data"] in ("rotten_tomatoes",)
    if config["learning_rate"] is None and is_detection_config(config):
        pass  # build_detector's default for the backbone's state
    elif config["learning_rate"] is None and (is_tagging_data(config["data"])
                                              or config.get("task") == "asr"):
        config["learning_rate"] = (defaults.HEAD_LEARNING_RATE if config["unfreeze"] == "none"
                                   else defaults.FINE_TUNING_LEARNING_RATE)
    elif config["learning_rate"] is None:
        config["learning_rate"] = (defaults.TEXT_LEARNING_RATE if text
                                   else defaults.HEAD_LEARNING_RATE)
    elif config["learning_rate"] <= 0:
        raise UsageError(f"--learning-rate must be > 0, got {config['learning_rate']}")
    if config["decay"] < 1.0:
        raise UsageError(f"--decay must be >= 1.0, got {config['decay']}")
    check_sizes(config.get("num_train"), config.get("num_test"))
    check_folds(config.get("folds"))
    if config.get("max_seconds") is not None and config.get("task") != "asr":
        raise UsageError("--max-seconds is for --task asr (speech recognition)")
    if config["output"] is None:
        safe = lambda s: "".join(c if c.isalnum() or c in "-_" else "_" for c in s)[-40:]  # noqa: E731
        config["output"] = os.path.join("runs", f"{safe(config['backbone'])}-{safe(config['data'])}")
    if config.get("image_size"):
        config["image_size"] = tuple(config["image_size"])
    return config


def fit(args, verbose):
    from keras_transfer.cli.fit_workers import check_workers, launch
    from keras_transfer.cli.run_fit import run_fit

    config = _fit_config(args)
    check_workers(config)
    if config["workers"] > 1:
        if config.get("task") == "asr":
            raise UsageError("--workers is for classifiers; a speech recognizer trains in "
                             "one process")
        if is_tagging_data(config["data"]) or is_detection_config(config):
            raise UsageError("--workers is for classifiers; token classification and "
                             "detection train in one process")
        return launch(config, verbose)
    metrics, _, _ = run_fit(config, verbose)
    _summary(metrics)
    return 0


def demo(args, verbose):
    """The embedded default: fit, then one raw request through the export."""
    from keras_transfer.cli.run_fit import run_fit

    config = _fit_config(args)
    if config.get("task") == "asr":
        raise UsageError("demo runs the text classification default; train a speech "
                         "recognizer with `keras-transfer fit --task asr`")
    if args.output is None:
        config["output"] = os.path.join("runs", "demo")
        config["overwrite"] = True
        _clear(Path(config["output"]))
    metrics, model, source = run_fit(config, verbose)
    if metrics.get("serving_export"):
        import tensorflow as tf

        text = "A gorgeous, moving film with a terrific cast."
        served = tf.saved_model.load(metrics["serving_export"])
        outputs = served.signatures["serving_default"](text=tf.constant([text]))
        name = outputs["class_name"].numpy()[0].decode()
        score = float(outputs["score"].numpy()[0])
        say(f'Exported model, raw request {text!r} -> {name} ({score:.3f})', 1)
    _summary(metrics)
    return 0


def _clear(path):
    """Empties a previous demo run (only files the demo writes)."""
    import shutil

    if path.exists():
        shutil.rmtree(path)


def _summary(metrics):
    if metrics.get("task") == "detection":
        from keras_transfer.cli.run_detect import summary_lines

        print("\n".join(summary_lines(metrics)))
        return
    if metrics.get("task") == "asr":  # a speech recognizer (run_asr.py)
        lines = ["", "Results",
                 f"  test ({metrics['num_test']} clips): CER {metrics['test']['cer']:.4f}, "
                 f"WER {metrics['test']['wer']:.4f}"]
        for name, rates in metrics.get("other", {}).items():
            lines.append(f"  {name}: CER {rates['cer']:.4f}, WER {rates['wer']:.4f}")
        for key, label in (("report", "report"), ("serving_export", "TF Serving export")):
            if metrics.get(key):
                lines.append(f"  {label}: {metrics[key]}")
        lines.append(f"  time: {metrics['seconds']:.0f} s")
        print("\n".join(lines))
        return
    if "entities" in metrics:  # a tagger (run_tag.py)
        scores = metrics["entities"]
        lines = ["", "Results",
                 f"  test entities: F1 {scores['f1']:.4f}, precision {scores['precision']:.4f}, "
                 f"recall {scores['recall']:.4f}"]
        if metrics.get("serving_export"):
            lines.append(f"  TF Serving export: {metrics['serving_export']}")
        lines.append(f"  time: {metrics['seconds']:.0f} s")
        print("\n".join(lines))
        return
    baseline = metrics.get("baseline", {}).get("accuracy")
    tuned = metrics.get("fine_tuned", {}).get("accuracy")
    lines = ["", "Results"]
    if baseline is not None:
        lines.append(f"  frozen backbone + head (baseline): accuracy {baseline:.4f}")
    lines.append(f"  fine-tuned:                        accuracy {tuned:.4f}")
    cross_validation = metrics.get("cross_validation")
    if cross_validation:
        lines.append(f"  cross-validation ({cross_validation['num_folds']} folds of the "
                     f"{cross_validation['num_examples']} training examples):")
        for key, label in (("accuracy", "accuracy"), ("macro_f1", "macro F1")):
            scores = cross_validation[key]
            per_fold = ", ".join(f"{value:.4f}" for value in scores["folds"])
            lines.append(f"    {label + ':':<10}{scores['mean']:.4f} ± {scores['std']:.4f}, "
                         f"95% CI [{scores['ci95_low']:.4f}, {scores['ci95_high']:.4f}]; "
                         f"per fold {per_fold}")
    if metrics.get("report"):
        lines.append(f"  report: {metrics['report']}")
    if metrics.get("serving_export"):
        lines.append(f"  TF Serving export: {metrics['serving_export']}")
    lines.append(f"  time: {metrics['seconds']:.0f} s")
    print("\n".join(lines))


def _class_names(model_path):
    metrics = Path(model_path).parent / "metrics.json"
    if metrics.exists():
        return json.loads(metrics.read_text()).get("classes")
    return None


def _run_config(model_path):
    config = Path(model_path).parent / "config.json"
    return json.loads(config.read_text()) if config.exists() else {}


def evaluate(args, verbose):
    import tensorflow as tf

    from keras_transfer.cli.data_source import load_source
    from keras_transfer.evaluation.predict_and_evaluate import predict_and_evaluate

    if transcripts_export(args.model) is not None:
        raise UsageError(f"--model {args.model} is a speech recognition run: its test CER and "
                         "WER are in metrics.json and report.md; transcribe files with "
                         "`keras-transfer predict`")
    model, path = load_keras_model(args.model, args.unsafe)
    check_sizes(num_test=args.num_test)
    source = load_source(args.data, args.task, args.batch_size, num_test=args.num_test)
    try:
        result = predict_and_evaluate(model, source.test, class_names=_class_names(path)
                                      or source.class_names)
    except tf.errors.OpError as error:
        raise UsageError(f"--data {args.data}: {_op_error_message(error)}") from None
    print(json.dumps({k: result[k] for k in ("accuracy", "macro_f1", "weighted_f1")
                      if k in result}, indent=2))
    return 0


def predict(args, verbose):
    import numpy as np
    import tensorflow as tf

    from keras_transfer.cli import run_detect

    path = transcripts_export(args.model) or Path(args.model)
    rows = []
    if run_detect.is_detection_run(path):
        run_detect.print_rows(run_detect.predict_run(path, args.inputs, args.unsafe))
        return 0
    if (path / "saved_model.pb").exists():
        signature = load_saved_model(path, args.unsafe).signatures["serving_default"]
        name = next(iter(signature.structured_input_signature[1]))
        detector = "num_detections" in signature.structured_outputs
        for value in args.inputs:  # one request each: an error names its input
            request = tf.constant([_read_input(value, name)])
            outputs = _run(value, lambda: signature(**{name: request}))
            if detector:
                run_detect.print_rows([run_detect.served_rows(value, outputs)])
                continue
            if "transcript" in outputs:  # a speech recognizer: transcript, file
                rows.append((value, outputs["transcript"].numpy()[0].decode("utf-8", "replace")))
            else:
                rows.append((value, *_classified(outputs)))
    else:
        model, model_path = load_keras_model(path, args.unsafe)
        if model.inputs[0].dtype != "string":
            raise UsageError("predict on image/audio files needs a serving export "
                             "(--model RUN/serving/<version>); texts work with a run directory")
        classes = _class_names(model_path)
        for value in args.inputs:
            probabilities = _run(value, lambda: model.predict(tf.constant([value]), verbose=0))[0]
            names = classes or [str(i) for i in range(probabilities.shape[-1])]
            rows.append((value, names[int(np.argmax(probabilities))], float(probabilities.max())))
    for value, *result in rows:
        print("\t".join([*(f"{x:.4f}" if isinstance(x, float) else x for x in result), value]))
    return 0


def _read_input(value, signature_input):
    if signature_input == "text":
        return value
    if not os.path.isfile(value):
        raise UsageError(f"{value} is not a file (this export takes {signature_input})")
    return Path(value).read_bytes()


def _classified(outputs):
    """The (class_name, score) of one served request."""
    if not {"class_name", "score"} <= set(outputs):
        raise UsageError("--model is not a keras_transfer classifier export: its outputs are "
                         f"{sorted(outputs)}, not class_name and score")
    return outputs["class_name"].numpy()[0].decode("utf-8", "replace"), \
        float(outputs["score"].numpy()[0])


def _run(value, call):
    """Runs one request; a rejected input becomes one error line naming it."""
    import tensorflow as tf

    try:
        return call()
    except tf.errors.OpError as error:
        raise UsageError(f"{value}: {_op_error_message(error)}") from None


def _op_error_message(error):
    """The failed check of a TensorFlow error (else its first line), without the call stack.

    A request rejected by a graph check reads `... assertion failed: [message]
    ...`, on the first line or (when the check ran in the signature's own
    graph) after a `Graph execution error:` line. Other errors from a loaded
    SavedModel start with "Graph execution error:" and a "Detected at node
    ..." traceback (indented lines); the message is the first line after them.
    """
    message = getattr(error, "message", None) or str(error)
    lines = message.strip().splitlines()
    marker = "assertion failed:"
    checks = [line[line.index(marker) + len(marker):].strip() for line in lines
              if marker in line]
    if checks:
        message = checks[0]
    else:
        lines = [line for line in lines
                 if line.strip() and line.strip() not in ("Graph execution error:",
                                                          "<stack traces unavailable>")
                 and not line.startswith(("Detected at node", " ", "\t"))]
        message = lines[0] if lines else type(error).__name__
    message = message.split("\n\t ")[0].split(" [[")[0]
    return " ".join(message.split())[:300]


def export(args, verbose):
    from keras_transfer.export.export_for_serving import export_for_serving

    from keras_transfer.cli.run_fit import _image_size

    from keras_transfer.cli import run_detect

    model, path = load_keras_model(args.model, args.unsafe)
    if run_detect.is_detection_run(path):
        written = run_detect.export_run(model, path, args.output, args.version,
                                        args.class_names)
        say(f"TF Serving export: {written}", 1)
        return 0
    config = _run_config(path)
    if config.get("task") == "asr":
        from keras_transfer.export.export_speech_recognizer import export_speech_recognizer
        from keras_transfer.speech.character_vocabulary import CharacterVocabulary

        if args.class_names or args.image_size:
            raise UsageError("--class-names and --image-size do not apply to a speech "
                             "recognition run")
        written = export_speech_recognizer(model, args.output, CharacterVocabulary(
            config["vocabulary"]), version=args.version)
        say(f"TF Serving export (WAV bytes -> transcript): {written}", 1)
        return 0
    image_size = tuple(args.image_size) if args.image_size else None
    if image_size is None and config.get("backbone"):
        modality = "image" if len(model.inputs[0].shape) == 4 else None
        image_size = _image_size(config, modality) if modality else None
    written = export_for_serving(model, args.output, version=args.version,
                                 class_names=args.class_names or _class_names(path),
                                 image_size=image_size)
    say(f"TF Serving export: {written}", 1)
    return 0


def lr_find(args, verbose):
    from keras_transfer.callbacks.lr_finder import LRFinder
    from keras_transfer.cli.data_source import load_source
    from keras_transfer.cli.run_fit import _builder

    if args.num_steps < 10:
        raise UsageError(f"--num-steps must be >= 10, got {args.num_steps}")
    check_sizes(num_train=args.num_train)
    backbone = check_backbone(args.backbone, args.task or dataset_modality(args.data))
    image_size = tuple(args.image_size) if args.image_size else None
    source = load_source(args.data, args.task, args.batch_size, num_train=args.num_train,
                         image_size=image_size)
    kwargs = {"image_size": image_size} if source.modality == "image" and image_size else {}
    model = _builder(source.modality)(backbone, num_classes=len(source.class_names),
                                      trainable=args.trainable, **kwargs)
    finder = LRFinder.find(model, source.train, num_steps=args.num_steps)
    finder.plot(args.plot)
    print(json.dumps({rule: finder.suggestion(rule) for rule in ("valley", "steepest", "minimum")},
                     indent=2))
    say(f"Plot: {args.plot}", verbose)
    return 0


def lm_adapt(args, verbose):
    """`lm-adapt`: masked-LM domain adaptation; prints the result as JSON."""
    import numpy as np

    from keras_transfer.cli.data_source import unlabelled_texts
    from keras_transfer.recipes.adapt_language_model import adapt_language_model

    for value, flag in ((args.epochs, "--epochs"), (args.batch_size, "--batch-size")):
        if value < 1:
            raise UsageError(f"{flag} must be >= 1, got {value}")
    if args.learning_rate <= 0:
        raise UsageError(f"--learning-rate must be > 0, got {args.learning_rate}")
    check_sizes(num_train=args.num_texts)
    backbone = check_backbone(args.backbone, "text")
    if os.path.exists(args.output):
        raise UsageError(f"--output {args.output} already exists; pick another folder")
    texts = unlabelled_texts(args.data)
    if args.num_texts is not None and args.num_texts < len(texts):
        pick = np.random.default_rng(args.seed).choice(len(texts), args.num_texts,
                                                       replace=False)
        texts = [texts[i] for i in sorted(pick)]
    say(f"Adapting {args.backbone} on {len(texts)} texts ...", verbose)
    result = adapt_language_model(
        backbone, texts, args.output, epochs=args.epochs, batch_size=args.batch_size,
        learning_rate=args.learning_rate, seed=args.seed, verbose=verbose)
    print(json.dumps({"path": result["path"], "num_texts": result["num_texts"],
                      "loss": result["history"]["loss"],
                      "masked_token_accuracy": result["history"]["accuracy"]}, indent=2))
    say(f"Use it: keras-transfer fit --backbone {result['path']} ..., or in Python "
        f"keras_transfer.register_adapted_backbone({result['path']!r}) -> a name for any "
        "text builder", verbose)
    return 0


def backbones(args, verbose):
    from keras_transfer.backbones.registry import list_backbones

    if args.rebuild is not None:
        return _rebuild_backbone(args.rebuild, verbose)
    if args.verify is not None:
        return _verify_backbones(args, verbose)
    entries = list_backbones(args.modality)
    if args.json:
        print(json.dumps(entries, indent=2))
        return 0
    print(f"{'name':<22}{'modality':<9}{'offline':<9}description")
    for name, entry in entries.items():
        offline = "yes" if entry.get("provider") else "no"
        print(f"{name:<22}{entry['modality']:<9}{offline:<9}{entry['description']}")
    return 0


def _verify_backbones(args, verbose):
    """`backbones --verify [NAME]`: one line per backbone; 1 if any mismatch."""
    from keras_transfer.backbones.conversion import verify_backbone
    from keras_transfer.backbones.registry import get_backbone
    from keras_transfer.backbones.registry import list_backbones

    if args.verify:
        get_backbone(args.verify)  # an unknown name lists the registered ones
        names = [args.verify]
    else:
        names = [name for name, entry in list_backbones(args.modality).items()
                 if entry.get("provider")]
    results = {name: verify_backbone(name) for name in names}
    if args.json:
        print(json.dumps({name: {"status": status, "detail": detail}
                          for name, (status, detail) in results.items()}, indent=2))
    else:
        for name, (status, detail) in results.items():
            print(f"{name:<22}{status:<15}{detail}")
    bad = [name for name, (status, _) in results.items() if status == "mismatch"]
    for name in bad:
        print(f"keras-transfer backbones: {name} is damaged; fix: keras-transfer backbones "
              f"--rebuild {name}", file=sys.stderr)
    return 1 if bad else 0


def _rebuild_backbone(name, verbose):
    """`backbones --rebuild NAME`: converts NAME again (under its lock)."""
    from keras_transfer.backbones.conversion import rebuild_backbone
    from keras_transfer.backbones.registry import get_backbone

    get_backbone(name)  # an unknown name lists the registered ones
    say(f"Converting {name} ...", verbose)
    try:
        path = rebuild_backbone(name)
    except (ValueError, OSError, ImportError):
        raise
    except Exception as error:  # a provider's conversion or known-answer check failed
        raise OSError(f"rebuilding {name!r} failed ({type(error).__name__}: {error}); "
                      "the previous copy, if any, is kept") from error
    print(f"{name:<22}rebuilt        {path}")
    return 0


def datasets(args, verbose):
    from keras_transfer.data.registry import DATASETS as entries

    if args.json:
        print(json.dumps({k: {f: v for f, v in e.items() if not f.endswith("loader")}
                          for k, e in entries.items()}, indent=2, default=str))
        return 0
    print(f"{'name':<18}{'modality':<9}description")
    for name, entry in entries.items():
        print(f"{name:<18}{entry['modality']:<9}{entry['description']}")
    return 0
