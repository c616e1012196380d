"""Tests for benchmarks/harness.py (seed handling) and bf16_profile's op categories."""

import importlib.util
import os
import sys
import types

import numpy as np

from tests.test_case import TestCase

BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "benchmarks")


def load(name):
    sys.path.insert(0, BENCHMARKS)  # bf16_profile imports its siblings
    try:
        spec = importlib.util.spec_from_file_location(
            f"benchmarks_{name}", os.path.join(BENCHMARKS, f"{name}.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(BENCHMARKS)


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


class Bf16ProfileCategoryTest(TestCase):
    def test_categories_from_type_and_scope(self):
        category = load("bf16_profile").category
        layer = "functional_1/minilm_encoder_1/bert_backbone_1/transformer_layer_0_1/"
        self.assertEqual(category("adam/mul_92", "Mul"), "optimizer step")
        self.assertEqual(category("adam_1/Sqrt_3", "Sqrt"), "optimizer step")
        self.assertEqual(category(layer + "key_1/MatMul", "_MklBatchMatMulV2"), "matmul")
        self.assertEqual(category(layer + "ffn/Tensordot/MatMul", "_MklMatMul"), "matmul")
        self.assertEqual(category(layer + "value_1/Add/Cast", "Cast"), "casts")
        self.assertEqual(category(layer + "self_attention_dropout_1/stateless_dropout/"
                                  "random_uniform", "StatelessRandomUniformV2"),
                         "dropout RNG")
        self.assertEqual(category(layer + "ffn_1/Gelu/Erfc", "Erfc"), "GELU")
        self.assertEqual(category("gradient_tape/" + layer + "feedforward_layer_norm_1/"
                                  "moments/SquaredDifference", "SquaredDifference"),
                         "layer norm")
        self.assertEqual(category(layer + "attention/softmax_5_1/Softmax", "_MklSoftmax"),
                         "softmax")
        self.assertEqual(category("functional_1/minilm_encoder_1/Sum_1", "Sum"), "other")
