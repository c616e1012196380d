"""Tests for benchmarks/bf16_profile.py: which category an executed op counts in."""

from keras_transfer.testing import TestCase
from tests.benchmarks.scripts import load


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
        self.assertEqual(category("compile_loss/sparse_categorical_crossentropy/"
                                  "SparseSoftmaxCrossEntropyWithLogits",
                                  "SparseSoftmaxCrossEntropyWithLogits"), "loss")
        self.assertEqual(category("functional_1/minilm_encoder_1/Sum_1", "Sum"), "other")
