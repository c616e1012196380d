"""One function per `keras-transfer` verb: `verb(args, verbose) -> exit code`."""

import json
import os
import sys
from pathlib import Path

from keras_transfer.cli.errors import UsageError
from keras_transfer.utils.messages import say


def _fit_config(args):
    config = {k: v for k, v in vars(args).items() if k not in ("verb", "quiet")}
    if config["epochs"] < 0 or config["baseline_epochs"] < 0:
        raise UsageError("--epochs and --baseline-epochs must be >= 0")
    if config["batch_size"] < 1:
        raise UsageError(f"--batch-size must be >= 1, got {config['batch_size']}")
    text = config.get("task") == "text" or config["data"] in ("rotten_tomatoes",)
    if config["learning_rate"] is None:
        config["learning_rate"] = 2e-4 if text else 1e-3
    elif config["learning_rate"] <= 0:
        raise UsageError(f"--learning-rate must be > 0, got {config['learning_rate']}")
    if config["decay"] < 1.0:
        raise UsageError(f"--decay must be >= 1.0, got {config['decay']}")
    if config["output"] is None:
        safe = lambda s: "".join(c if c.isalnum() or c in "-_" else "_" for c in s)[-40:]  # noqa: E731
        config["output"] = os.path.join("runs", f"{safe(config['backbone'])}-{safe(config['data'])}")
    if config.get("image_size"):
        config["image_size"] = tuple(config["image_size"])
    return config


def fit(args, verbose):
    from keras_transfer.cli.run_fit import run_fit

    metrics, _, _ = run_fit(_fit_config(args), verbose)
    _summary(metrics)
    return 0


def demo(args, verbose):
    """The embedded default: fit, then one raw request through the export."""
    from keras_transfer.cli.run_fit import run_fit

    config = _fit_config(args)
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
    baseline = metrics.get("baseline", {}).get("accuracy")
    tuned = metrics.get("fine_tuned", {}).get("accuracy")
    lines = ["", "Results"]
    if baseline is not None:
        lines.append(f"  frozen backbone + head (baseline): accuracy {baseline:.4f}")
    lines.append(f"  fine-tuned:                        accuracy {tuned:.4f}")
    if metrics.get("report"):
        lines.append(f"  report: {metrics['report']}")
    if metrics.get("serving_export"):
        lines.append(f"  TF Serving export: {metrics['serving_export']}")
    lines.append(f"  time: {metrics['seconds']:.0f} s")
    print("\n".join(lines))


def _load_model(path):
    import keras

    path = Path(path)
    if path.is_dir() and (path / "model.keras").exists():
        path = path / "model.keras"
    if path.suffix != ".keras" or not path.exists():
        raise UsageError(f"--model {path} is not a run directory or a .keras file")
    # A keras_transfer model holds HubBackbone layers, which load SavedModels:
    # allowed here because the user names a file they produced.
    return keras.saving.load_model(path, safe_mode=False), path


def _class_names(model_path):
    metrics = Path(model_path).parent / "metrics.json"
    if metrics.exists():
        return json.loads(metrics.read_text()).get("classes")
    return None


def _run_config(model_path):
    config = Path(model_path).parent / "config.json"
    return json.loads(config.read_text()) if config.exists() else {}


def evaluate(args, verbose):
    from keras_transfer.cli.data_source import load_source
    from keras_transfer.evaluation.predict_and_evaluate import predict_and_evaluate

    model, path = _load_model(args.model)
    source = load_source(args.data, args.task, args.batch_size, num_test=args.num_test)
    result = predict_and_evaluate(model, source.test, class_names=_class_names(path)
                                  or source.class_names)
    print(json.dumps({k: result[k] for k in ("accuracy", "macro_f1", "weighted_f1")
                      if k in result}, indent=2))
    return 0


def predict(args, verbose):
    import numpy as np
    import tensorflow as tf

    path = Path(args.model)
    if (path / "saved_model.pb").exists():
        served = tf.saved_model.load(str(path))
        signature = served.signatures["serving_default"]
        name = next(iter(signature.structured_input_signature[1]))
        values = [_read_input(x, name) for x in args.inputs]
        outputs = signature(**{name: tf.constant(values)})
        names = [n.decode() for n in outputs["class_name"].numpy()]
        scores = outputs["score"].numpy()
    else:
        model, model_path = _load_model(path)
        if model.inputs[0].dtype != "string":
            raise UsageError("predict on image/audio files needs a serving export "
                             "(--model RUN/serving/<version>); texts work with a run directory")
        probabilities = model.predict(tf.constant(args.inputs), verbose=0)
        classes = _class_names(model_path) or [str(i) for i in range(probabilities.shape[-1])]
        names = [classes[i] for i in np.argmax(probabilities, -1)]
        scores = probabilities.max(-1)
    for value, name, score in zip(args.inputs, names, scores):
        print(f"{name}\t{score:.4f}\t{value}")
    return 0


def _read_input(value, signature_input):
    if signature_input == "text":
        return value
    if not os.path.exists(value):
        raise UsageError(f"{value} is not a file (this export takes {signature_input})")
    return Path(value).read_bytes()


def export(args, verbose):
    from keras_transfer.export.export_for_serving import export_for_serving

    from keras_transfer.cli.run_fit import _image_size

    model, path = _load_model(args.model)
    config = _run_config(path)
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
    image_size = tuple(args.image_size) if args.image_size else None
    source = load_source(args.data, args.task, args.batch_size, num_train=args.num_train,
                         image_size=image_size)
    kwargs = {"image_size": image_size} if source.modality == "image" and image_size else {}
    model = _builder(source.modality)(args.backbone, num_classes=len(source.class_names),
                                      trainable=args.trainable, **kwargs)
    finder = LRFinder.find(model, source.train, num_steps=args.num_steps)
    finder.plot(args.plot)
    print(json.dumps({rule: finder.suggestion(rule) for rule in ("valley", "steepest", "minimum")},
                     indent=2))
    say(f"Plot: {args.plot}", verbose)
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
        print(json.dumps({k: {f: v for f, v in e.items() if f != "loader"}
                          for k, e in entries.items()}, indent=2, default=str))
        return 0
    print(f"{'name':<18}{'modality':<9}description")
    for name, entry in entries.items():
        print(f"{name:<18}{entry['modality']:<9}{entry['description']}")
    return 0
