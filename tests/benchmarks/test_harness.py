"""Tests for benchmarks/harness.py: seeds per method, the --methods subset."""

import types

import numpy as np

from keras_transfer.testing import TestCase
from tests.benchmarks.scripts import load


class RunTaskTest(TestCase):
    def test_max_seeds_limits_a_method_and_curve_reuses_main_runs(self):
        harness = load("harness")
        bench = types.SimpleNamespace(
            train=types.SimpleNamespace(y=np.array([0, 1] * 10)))
        calls = []

        def method(name):
            def fn(seed, index=None):
                calls.append((name, seed, None if index is None else len(index)))
                return {"seed": seed, "accuracy": 0.5 + seed / 10, "macro_f1": 0.5,
                        "seconds": 1.0, "epochs": 3}
            return fn

        main = [("cheap", "every seed", method("cheap")),
                ("costly", "first seed only", method("costly"), 1)]
        methods, curve = harness.run_task(bench, 3, main, [("cheap", method("cheap"))],
                                          [5, "all"])
        runs = methods.to_json()
        self.assertEqual([r["seed"] for r in runs["cheap"]["runs"]], [0, 1, 2])
        self.assertEqual([r["seed"] for r in runs["costly"]["runs"]], [0])
        self.assertEqual(runs["costly"]["accuracy"], {"mean": 0.5, "std": 0.0})
        self.assertAlmostEqual(runs["cheap"]["accuracy"]["mean"], 0.6)
        # "all" reuses the main run; 5 per class calls the method with 10 examples.
        self.assertEqual(calls.count(("cheap", 0, 10)), 1)
        self.assertNotIn(("cheap", 0, 20), calls)
        self.assertEqual(curve.to_json()["methods"]["cheap"]["all"]["examples"], 20)

    def test_methods_subset_and_unknown_names(self):
        harness = load("harness")
        bench = types.SimpleNamespace(
            train=types.SimpleNamespace(y=np.array([0, 1] * 10)),
            args=types.SimpleNamespace(methods=["b"]))
        record = {"seed": 0, "accuracy": 1.0, "macro_f1": 1.0, "seconds": 0.0,
                  "epochs": None}
        main = [("a", "", lambda s: record), ("b", "", lambda s: record)]
        methods, _ = harness.run_task(bench, 1, main, [], ["all"])
        self.assertEqual(list(methods.to_json()), ["b"])
        bench.args.methods = ["b", "typo"]
        with self.assertRaisesRegex(ValueError, r"Unknown --methods \['typo'\]; "
                                    r"available: \['a', 'b'\]"):
            harness.run_task(bench, 1, main, [], ["all"])


class AblationMethodsTest(TestCase):
    def test_decay_ablation_is_the_other_decay(self):
        harness = load("harness")
        for decay, expected in ((1.0, "recipe_decay_2.6"), (1.5, "recipe_decay_1")):
            bench = types.SimpleNamespace(recipe_settings={"decay": decay,
                                                           "learning_rate": 1e-3},
                                          recipe_cached_head=None)
            bench.recipe = None
            names = [m[0] for m in harness.recipe_methods(bench, ablations=True)]
            self.assertEqual(names, ["fine_tune", "plan_full", "recipe_all_at_once",
                                     expected, "recipe_cached_head"])
            self.assertEqual([m[0] for m in harness.recipe_methods(bench)],
                             ["fine_tune", "plan_full"])
