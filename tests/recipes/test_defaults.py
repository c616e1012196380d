"""One home for the recipe defaults: every entry point and the README agree with it."""

import ast
import inspect
import re
from pathlib import Path

import pytest

import keras_transfer
from keras_transfer.cli.main import build_parser
from keras_transfer.optimizers.discriminative import group_multipliers
from keras_transfer.recipes import defaults
from keras_transfer.recipes.fine_tune import fine_tune
from keras_transfer.schedules.one_cycle import OneCycle
from keras_transfer.schedules.slanted_triangular import SlantedTriangular

README = Path(__file__).resolve().parents[2] / "README.md"

# What each README call's literal keyword arguments must equal.
EXPECTED = {
    "fine_tune": {"epochs": defaults.EPOCHS, "head_epochs": defaults.HEAD_EPOCHS,
                  "learning_rate": defaults.HEAD_LEARNING_RATE, "decay": defaults.DECAY,
                  "schedule": defaults.SCHEDULE},
    "DiscriminativeLR": {"decay": defaults.DISCRIMINATIVE_DECAY},
    "discriminative_optimizer": {"decay": defaults.DISCRIMINATIVE_DECAY},
}


def _readme_calls():
    """`(function name, {keyword: literal})` of every call in the README's Python blocks."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README.md has no ```python block"
    calls = []
    for block in blocks:
        for node in ast.walk(ast.parse(block)):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                literals = {k.arg: k.value.value for k in node.keywords
                            if isinstance(k.value, ast.Constant)}
                calls.append((name, literals))
    return calls


def test_readme_snippets_use_the_defaults():
    calls = _readme_calls()
    checked = set()
    for name, literals in calls:
        for keyword, value in literals.items():
            if keyword in EXPECTED.get(name, {}):
                assert value == EXPECTED[name][keyword], (
                    f"README.md calls {name}({keyword}={value!r}) but "
                    f"keras_transfer.recipes.defaults says {EXPECTED[name][keyword]!r}")
                checked.add((name, keyword))
    # The two first examples: the callbacks' opt-in decay and fine_tune's epochs.
    assert {("DiscriminativeLR", "decay"), ("fine_tune", "epochs")} <= checked


def test_readme_prose_states_fine_tune_defaults():
    text = README.read_text()
    decay = re.search(r"`fine_tune` gives every group\s+the same rate by default \(`decay=([\d.]+)`, "
                      r"peak `learning_rate=([\de.-]+)`\)", text)
    assert decay, "README.md no longer states fine_tune's default decay and learning rate"
    assert float(decay.group(1)) == defaults.DECAY
    assert float(decay.group(2)) == defaults.HEAD_LEARNING_RATE


def test_fine_tune_signature_uses_the_defaults():
    parameters = inspect.signature(keras_transfer.fine_tune).parameters
    assert parameters["epochs"].default == defaults.EPOCHS == 3
    assert parameters["head_epochs"].default == defaults.HEAD_EPOCHS == 1
    assert parameters["learning_rate"].default == defaults.HEAD_LEARNING_RATE == 1e-3
    assert parameters["decay"].default == defaults.DECAY == 1.0
    assert parameters["schedule"].default == defaults.SCHEDULE == "slanted_triangular"


def test_discriminative_tools_default_to_ulmfit_decay():
    # With no way given, each group below the top trains 2.6 times slower.
    _, multipliers = group_multipliers(3)
    assert multipliers == pytest.approx([defaults.DISCRIMINATIVE_DECAY ** -2,
                                         defaults.DISCRIMINATIVE_DECAY ** -1, 1.0])
    assert defaults.DISCRIMINATIVE_DECAY == 2.6


def test_schedules_use_the_defaults():
    slanted = SlantedTriangular(1e-3, 100)
    assert (slanted.cut_frac, slanted.ratio) == (defaults.SLANTED_TRIANGULAR_CUT_FRAC,
                                                 defaults.SLANTED_TRIANGULAR_RATIO) == (0.1, 32)
    cycle = OneCycle(1e-3, 100)
    assert (cycle.warmup_frac, cycle.div_factor, cycle.final_div_factor) == (
        defaults.ONE_CYCLE_WARMUP_FRAC, defaults.ONE_CYCLE_DIV_FACTOR,
        defaults.ONE_CYCLE_FINAL_DIV_FACTOR) == (0.25, 25.0, 1e5)


def test_cli_uses_the_defaults():
    parser = build_parser()
    args = parser.parse_args(["fit", "--backbone", "b", "--data", "d"])
    assert args.decay == defaults.DECAY
    assert args.epochs == defaults.EPOCHS
    assert args.baseline_epochs is None  # fine_tune's probe rule: PROBE_EPOCHS, >= PROBE_MIN_STEPS
    assert args.plan == defaults.PLAN == "auto"  # fine_tune's too (its signature)
    assert inspect.signature(fine_tune).parameters["plan"].default == defaults.PLAN
    assert inspect.signature(fine_tune).parameters["holdout"].default is None
    assert args.schedule == defaults.SCHEDULE
    assert args.batch_size == defaults.BATCH_SIZE
    assert args.learning_rate is None  # chosen per modality in `_fit_config`
    help_text = parser._subparsers._group_actions[0].choices["fit"].format_help()
    assert "default: 2e-4 for text, 1e-3 otherwise" in " ".join(help_text.split())


def test_cli_learning_rate_default_per_modality():
    from keras_transfer.cli.verbs import _fit_config

    parser = build_parser()
    text = _fit_config(parser.parse_args(["fit", "--backbone", "b", "--data", "rotten_tomatoes"]))
    image = _fit_config(parser.parse_args(["fit", "--backbone", "b", "--data", "fashion_mnist"]))
    assert text["learning_rate"] == defaults.TEXT_LEARNING_RATE == 2e-4
    assert image["learning_rate"] == defaults.HEAD_LEARNING_RATE == 1e-3
