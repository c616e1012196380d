"""`keras-transfer`: fine-tune pretrained backbones from the command line."""

import argparse
import logging
import os
import sys
import textwrap

from keras_transfer.cli.errors import UsageError
from keras_transfer.recipes import defaults as recipe

DESCRIPTION = """\
Fine-tune pretrained TF Hub-format backbones with Keras 3.

Typical session:
  keras-transfer backbones                       # what can I fine-tune?
  keras-transfer datasets                        # offline datasets to try
  keras-transfer fit --backbone minilm_l6 --data rotten_tomatoes --output runs/rt
  keras-transfer predict --model runs/rt "a gorgeous, moving film"
  keras-transfer demo                            # the whole thing, on the default

Every `fit` writes a run directory: model.keras, serving/<version>/ (TF Serving),
metrics.json, config.json, evaluation.json and report.md with PNG figures.
`fit --folds 5` first cross-validates the same recipe on the training split
(cross_validation.json, docs/evaluation.md), then fits as usual.
On a token-classification dataset (wnut16) `fit` trains a tagger instead and
reports entity F1 (docs/ner.md).
`fit --task detection` (or --data digits_on_photos) trains an object detector
and reports COCO mAP; `predict` on its run prints boxes (docs/detection.md).
`fit --task asr` trains a speech recognizer and reports CER/WER; `predict
--model RUN clip.wav` prints transcripts (docs/speech.md).
"""

# The demo shows the frozen baseline (the linear probe) and the fine-tuning
# from it, so it asks for LP-FT; with 1,000 labels per class "auto" would
# pick "full", which trains no probe to report.
DEMO_DEFAULTS = dict(backbone="minilm_l6", data="rotten_tomatoes", task="text", epochs=2,
                     precision="mixed_bfloat16", plan="lp_ft",
                     num_train=2000, num_test=1000)


def _rate(value):
    """A learning rate as people write it: 2e-4, not 0.0002."""
    return f"{value:.0e}".replace("e-0", "e-")


def _add_fit_arguments(parser, demo=False):
    defaults = DEMO_DEFAULTS if demo else {}
    parser.add_argument("--backbone", default=defaults.get("backbone"), required=not demo,
                        help="registry name (see `keras-transfer backbones`), SavedModel "
                             "folder, `lm-adapt` output folder, or TF Hub / Kaggle URL")
    parser.add_argument("--data", default=defaults.get("data"), required=not demo,
                        help="built-in dataset (see `keras-transfer datasets`), tfds:NAME, "
                             "or a folder with one subfolder per class")
    parser.add_argument("--task", choices=["image", "text", "audio", "detection", "asr"],
                        default=defaults.get("task"),
                        help="modality (inferred for built-in datasets), detection (boxes: a "
                             "folder of images with VOC .xml, COCO .json or YOLO .txt "
                             "annotations, or digits_on_photos; docs/detection.md) or asr "
                             "(speech recognition, a character CTC head on an audio encoder: "
                             "synthetic_speech, pocketsphinx_librivox, a path,transcript CSV "
                             "or a LibriSpeech-style folder; docs/speech.md)")
    parser.add_argument("--epochs", type=int, default=defaults.get("epochs", recipe.EPOCHS),
                        help="fine-tuning epochs (default: %(default)s)")
    parser.add_argument("--plan", choices=["auto", "linear_probe", "lp_ft", "full"],
                        default=defaults.get("plan", recipe.PLAN),
                        help="auto: by labelled examples in the smallest class, linear probe "
                             f"only up to {recipe.LINEAR_PROBE_MAX_PER_CLASS}, linear "
                             f"probe then fine-tuning (lp_ft) up to "
                             f"{recipe.LP_FT_MAX_PER_CLASS}, else full. full: a "
                             "random head, then fine-tuning (see docs/concepts.md, 'Choosing "
                             "a strategy by label budget') (default: %(default)s)")
    parser.add_argument("--baseline-epochs", type=int,
                        default=defaults.get("baseline_epochs"),
                        help="epochs of the linear probe (the frozen-backbone head on cached "
                             "features, reported as the baseline), raised to at least "
                             f"{recipe.PROBE_MIN_STEPS} steps when not given; 0 skips it (plan "
                             f"full) (default: {recipe.PROBE_EPOCHS})")
    parser.add_argument("--unfreeze", choices=["gradual", "all", "none"], default="gradual",
                        help="gradual: unfreeze the backbone top-down during fine-tuning; "
                             "all: every group at once; none: keep it frozen "
                             "(default: %(default)s)")
    parser.add_argument("--decay", type=float, default=recipe.DECAY,
                        help="discriminative LR: each group trains DECAY times slower than the "
                             "one above (default: %(default)s, one rate for all groups: it beat "
                             "1.5 and 2.6 on every offline benchmark, see docs/concepts.md)")
    parser.add_argument("--learning-rate", type=float, default=None,
                        help=f"peak learning rate of the head (default: "
                             f"{_rate(recipe.TEXT_LEARNING_RATE)} for text, "
                             f"{_rate(recipe.HEAD_LEARNING_RATE)} otherwise)")
    parser.add_argument("--schedule", choices=["slanted_triangular", "one_cycle", "constant"],
                        default=recipe.SCHEDULE, help="(default: %(default)s)")
    parser.add_argument("--precision", choices=["float32", "mixed_bfloat16", "mixed_float16"],
                        default=defaults.get("precision"),
                        help="compute precision (default: %(default)s = float32)")
    parser.add_argument("--strategy", default="auto",
                        choices=["auto", "default", "one_device", "mirrored", "multi_worker", "tpu"],
                        help="tf.distribute strategy (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=recipe.BATCH_SIZE,
                        help="(default: %(default)s)")
    parser.add_argument("--num-train", type=int, default=defaults.get("num_train"),
                        help="training examples to use from a built-in dataset")
    parser.add_argument("--num-test", type=int, default=defaults.get("num_test"),
                        help="test examples to use from a built-in dataset")
    parser.add_argument("--image-size", type=int, nargs=2, metavar=("H", "W"), default=None)
    parser.add_argument("--max-seconds", type=float, default=None,
                        help="--task asr: the longest clip, the model's input length; longer "
                             "clips are dropped (default: 8)")
    parser.add_argument("--seed", type=int, default=0, help="(default: %(default)s)")
    if not demo:
        parser.add_argument(
            "--folds", type=int, default=None, metavar="K",
            help="first cross-validate: K stratified folds of the training split, a fresh "
                 "model per fold trained with the options above and scored on its held-out "
                 "fold; prints per-fold, mean ± std and 95%% CI accuracy and macro F1 and "
                 "writes cross_validation.json; then fit as usual on all the training data "
                 "(K >= 2, at most the smallest class; costs K extra fits)")
    parser.add_argument("--output", default=None,
                        help="run directory (default: runs/<backbone>-<data>)")
    parser.add_argument("--overwrite", action="store_true", help="reuse a non-empty --output")
    parser.add_argument("--no-export", dest="export", action="store_false",
                        help="skip the TF Serving export")


def _add_unsafe_argument(parser):
    parser.add_argument(
        "--unsafe", action="store_true",
        help="trust --model: let it run code (Lambda layers, SavedModel paths or URLs "
             "inside a .keras file, SavedModel ops that touch files). Off by default: "
             "model files are code, load only those you trust")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-transfer", description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-q", "--quiet", action="store_true", help="print only results")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    fit = verbs.add_parser("fit", help="fine-tune a backbone on a dataset",
                           description="Fine-tune a pretrained backbone with a plan that fits "
                                       "the label budget (--plan): a linear probe on cached "
                                       "features (the frozen baseline), then gradual "
                                       "unfreezing with discriminative learning rates; "
                                       "evaluate, export, report.")
    _add_fit_arguments(fit)
    fit.add_argument("--workers", type=int, default=1,
                     help="train in this many local worker processes "
                          "(MultiWorkerMirroredStrategy on 127.0.0.1, to try multi-worker "
                          "training on one machine; on a cluster, set TF_CONFIG on each "
                          "machine instead, see docs/distributed.md) (default: %(default)s)")
    demo = verbs.add_parser("demo", help="fit the embedded default (MiniLM-L6 on Rotten Tomatoes)",
                            description="The embedded default: all-MiniLM-L6-v2 fine-tuned on "
                                        "Rotten Tomatoes critic snippets, offline.")
    _add_fit_arguments(demo, demo=True)

    evaluate = verbs.add_parser("evaluate", help="evaluate a trained model on a dataset")
    evaluate.add_argument("--model", required=True, help="run directory or .keras file")
    evaluate.add_argument("--data", required=True, help="as for fit; its test split is used")
    evaluate.add_argument("--task", choices=["image", "text", "audio"], default=None)
    evaluate.add_argument("--num-test", type=int, default=None)
    evaluate.add_argument("--batch-size", type=int, default=32)

    predict = verbs.add_parser("predict", help="classify raw inputs with a run or an export",
                               description="Classify texts, image files or WAV files with a run "
                                           "directory, a .keras file, or a TF Serving export; "
                                           "transcribe WAV files with a speech recognition "
                                           "run (fit --task asr) or its export.")
    predict.add_argument("--model", required=True,
                         help="run directory, .keras file, or serving version folder")
    predict.add_argument("inputs", nargs="+", help="texts, or paths of image/WAV files")
    for verb in (evaluate, predict):
        _add_unsafe_argument(verb)

    export = verbs.add_parser("export", help="export a trained model for TF Serving")
    export.add_argument("--model", required=True, help="run directory or .keras file")
    export.add_argument("--output", required=True, help="TF Serving base directory")
    export.add_argument("--version", type=int, default=None, help="(default: next free)")
    export.add_argument("--class-names", nargs="+", default=None)
    export.add_argument("--image-size", type=int, nargs=2, metavar=("H", "W"), default=None,
                        help="training image size (default: from the run's config.json)")
    _add_unsafe_argument(export)

    finder = verbs.add_parser("lr-find", help="sweep the learning rate and suggest one")
    finder.add_argument("--backbone", required=True)
    finder.add_argument("--data", required=True)
    finder.add_argument("--task", choices=["image", "text", "audio"], default=None)
    finder.add_argument("--num-steps", type=int, default=100)
    finder.add_argument("--batch-size", type=int, default=32)
    finder.add_argument("--num-train", type=int, default=None)
    finder.add_argument("--plot", default="lr_finder.png", help="PNG to write")
    finder.add_argument("--image-size", type=int, nargs=2, metavar=("H", "W"), default=None)
    finder.add_argument("--trainable", action="store_true",
                        help="sweep with the backbone unfrozen (default: head only)")

    adapt = verbs.add_parser(
        "lm-adapt", help="adapt a BERT-style text encoder to a domain (masked LM)",
        description="Continue the masked-language-model training of a BERT-style text "
                    "encoder on unlabelled in-domain text (15%% dynamic masking, MLM head "
                    "tied to the word embeddings), and save the adapted encoder with its "
                    "preprocessor and a registry entry (OUTPUT/adapted.json) for the "
                    "Python builders (docs/domain_adaptation.md).")
    adapt.add_argument("--backbone", required=True, help="text registry name or SavedModel")
    adapt.add_argument("--data", required=True,
                       help="a dataset with unlabelled text (rotten_tomatoes: train-pool "
                            "snippets and synopses, no test row), or a UTF-8 .txt file, "
                            "one text per line")
    adapt.add_argument("--output", required=True, help="folder to write (must not exist)")
    adapt.add_argument("--epochs", type=int, default=1)
    adapt.add_argument("--batch-size", type=int, default=32)
    adapt.add_argument("--learning-rate", type=float, default=1e-4)
    adapt.add_argument("--num-texts", type=int, default=None,
                       help="a random subset of this many texts (default: all)")
    adapt.add_argument("--seed", type=int, default=0)

    backbones = verbs.add_parser(
        "backbones", help="list registered backbones; verify or rebuild converted ones",
        description="List registered backbones. --verify checks converted backbones in "
                    "$KERAS_TRANSFER_HOME/backbones against their manifest (sizes and "
                    "sha256); --rebuild converts one again from its provider's wheel.")
    backbones.add_argument("--modality", choices=["image", "text", "audio"], default=None)
    backbones.add_argument("--json", action="store_true")
    checks = backbones.add_mutually_exclusive_group()
    checks.add_argument("--verify", nargs="?", const="", default=None, metavar="NAME",
                        help="full hash check of one converted backbone, or of all; one line "
                             "each (ok / mismatch / not converted), exit 1 on any mismatch")
    checks.add_argument("--rebuild", default=None, metavar="NAME",
                        help="convert NAME again, replacing its cached folder")
    datasets = verbs.add_parser("datasets", help="list built-in offline datasets")
    datasets.add_argument("--json", action="store_true")
    return parser


def main(argv=None):
    """Entry point of the `keras-transfer` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    verbose = 0 if args.quiet else 1

    def call(verbose):
        from keras_transfer.cli import verbs

        return getattr(verbs, args.verb.replace("-", "_"))(args, verbose) or 0

    return run_verb(args.verb, call, verbose)


def run_verb(verb, call, verbose):
    """Runs `call(verbose)` and returns its exit code; a user's error is one line on stderr.

    Also the entry of each `fit --workers` worker (`keras_transfer.cli.fit_workers`).
    """
    try:
        import tensorflow as tf

        try:
            return call(verbose)
        except tf.errors.OpError as error:
            message = " ".join((getattr(error, "message", "") or str(error)).split())
            raise UsageError(textwrap.shorten(message, 300)) from None
    except UsageError as error:
        print(f"keras-transfer {verb}: error: {error}", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError, FileExistsError, OSError, ImportError) as error:
        message = " ".join(str(error).split())
        print(f"keras-transfer {verb}: error: {textwrap.shorten(message, 600)}",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"keras-transfer {verb}: interrupted", file=sys.stderr)
        return 130

if __name__ == "__main__":
    sys.exit(main())
