"""The `fit` pipeline for token-classification datasets (one tag per word).

data (`TaggedSplit`s) → the backbone's tokenizer → `build_token_classifier`
→ plain `model.fit` (Adam at a constant rate; every layer, or the head only
with `--unfreeze none`) → entity precision/recall/F1 on the test split
(`evaluate_entities`, conlleval's rules) → `.keras` + a TF Serving export
that tags the words of raw strings (`export_token_classifier`). The label-
budget plans, gradual unfreezing and discriminative rates of `fit` are built
and measured for sentence classifiers, so `--plan` and `--baseline-epochs`
are refused here rather than ignored.
"""

import json
import time

import keras

from keras_transfer.cli.data_source import load_split
from keras_transfer.cli.errors import UsageError
from keras_transfer.cli.run_dir import prepare_run_dir
from keras_transfer.recipes import defaults as recipe
from keras_transfer.utils.messages import say

TASK = "token_classification"


def is_tagging_data(source):
    """Whether `--data` names a built-in token-classification dataset."""
    from keras_transfer.data.registry import DATASETS

    return DATASETS.get(source, {}).get("task") == TASK


def check_tagging_config(config):
    """Refuses the classifier-only options; returns the learning rate to use."""
    refused = [flag for flag, value, default in (
        ("--plan", config.get("plan"), "auto"),
        ("--baseline-epochs", config.get("baseline_epochs"), None),
        ("--schedule", config.get("schedule"), recipe.SCHEDULE),
        ("--decay", config.get("decay"), recipe.DECAY),
        ("--folds", config.get("folds"), None)) if value != default]
    if refused:
        raise UsageError(f"{', '.join(refused)}: classifier options; --data {config['data']} "
                         "is a token-classification dataset, trained with plain fine-tuning "
                         "(--epochs, --learning-rate, --unfreeze all|none; docs/ner.md)")
    if config["epochs"] < 1:
        raise UsageError(f"--epochs must be >= 1 for token classification, got "
                         f"{config['epochs']}")


def run_tag(config, backbone, verbose=1):
    """Trains, evaluates and exports a tagger; returns the metrics dict."""
    import tensorflow as tf

    from keras_transfer import data
    from keras_transfer.backbones.conversion import backbone_path
    from keras_transfer.backbones.registry import BACKBONES
    from keras_transfer.distribute.strategy import get_strategy
    from keras_transfer.evaluation.evaluate_entities import evaluate_entities
    from keras_transfer.evaluation.predict_entities import predict_entities
    from keras_transfer.models.build_token_classifier import build_token_classifier

    started = time.perf_counter()
    check_tagging_config(config)
    entry = BACKBONES.get(backbone)
    if entry is None or not entry.get("preprocessor"):
        raise UsageError(f"--backbone {config['backbone']}: token classification needs a "
                         "registered text backbone with a tokenizer (e.g. minilm_l6)")
    run_dir = prepare_run_dir(config)
    keras.utils.set_random_seed(config["seed"])

    sizes = {"train": {"num_examples": config.get("num_train")},
             "test": {"num_examples": config.get("num_test")}}
    train, test = (load_split(data, config["data"], split, config["seed"], sizes, flag)
                   for split, flag in (("train", "--num-train"), ("test", "--num-test")))
    tag_names = list(train.tag_names)
    say(f"Data: {config['data']}: {len(train.sentences)} train / {len(test.sentences)} test "
        f"sentences, {len(tag_names)} tags", verbose)

    tokenizer = tf.saved_model.load(backbone_path(backbone, entry["preprocessor"]))
    trainable = config.get("unfreeze") != "none"
    say(f"Backbone: {config['backbone']}; training "
        f"{'every layer' if trainable else 'the head only (--unfreeze none)'} with Adam "
        f"at {config['learning_rate']:g} for {config['epochs']} epochs", verbose)
    model = build_token_classifier(backbone, len(tag_names), trainable=trainable,
                                   precision=config.get("precision"),
                                   learning_rate=config["learning_rate"],
                                   strategy=get_strategy(config.get("strategy", "auto")))
    batches = data.tagged_dataset(train, tokenizer, batch_size=config["batch_size"],
                                  seed=config["seed"])
    history = model.fit(batches, epochs=config["epochs"], verbose=2 if verbose else 0,
                        shuffle=False)  # tagged_dataset reshuffles every epoch

    predicted = predict_entities(model, tokenizer, test.sentences, tag_names,
                                 batch_size=config["batch_size"])
    evaluation = evaluate_entities(test.tags, predicted["tags"])
    say(f"Entities: {evaluation['num_true']} in the test split, {evaluation['num_predicted']} "
        f"predicted, {evaluation['num_correct']} correct: F1 {evaluation['f1']:.4f}", verbose)

    model_path = run_dir / "model.keras"
    model.save(model_path)
    metrics = {"backbone": config["backbone"], "data": config["data"], "task": TASK,
               "tags": tag_names,
               "entities": {k: evaluation[k] for k in ("f1", "precision", "recall")},
               "loss": [float(v) for v in history.history["loss"]]}
    if config.get("export", True):
        from keras_transfer.export.export_token_classifier import export_token_classifier

        serving = export_token_classifier(model, run_dir / "serving", tokenizer, tag_names)
        metrics["serving_export"] = str(serving)
        say(f"TF Serving export (raw strings -> words, tags, scores): {serving}", verbose)
    metrics["seconds"] = round(time.perf_counter() - started, 1)
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    (run_dir / "config.json").write_text(json.dumps(
        {k: list(v) if isinstance(v, tuple) else v for k, v in config.items()}, indent=2))
    (run_dir / "evaluation.json").write_text(json.dumps(evaluation, indent=2, default=float))
    return metrics
