"""A tiny BERT-shaped encoder with a mean-pooled `default` output, like minilm_l6's.

`tests.savedmodels.bert_encoder` pools the [CLS] vector, which in a model
without attention is the same for every sentence; sentence-level tests need
an embedding that depends on the words.
"""

import os

import keras
import tensorflow as tf

from keras_transfer.backbones.hub_format import save_hub_savedmodel


def mean_pooled_encoder(root, name="mean_encoder", vocab_size=50, hidden=8, seed=0):
    """BERT input dict -> `default` (masked mean), `pooled_output`, `sequence_output`."""
    keras.utils.set_random_seed(seed)
    ids = keras.Input((None,), dtype="int32", name="input_word_ids")
    mask = keras.Input((None,), dtype="int32", name="input_mask")
    types = keras.Input((None,), dtype="int32", name="input_type_ids")
    x = keras.layers.Embedding(vocab_size, hidden, name="word_embeddings")(ids)
    x = x + keras.layers.Embedding(2, hidden, name="type_embeddings")(types)
    m = keras.ops.expand_dims(keras.ops.cast(mask, "float32"), -1)
    x = keras.layers.Dense(hidden, activation="gelu", name="transformer_layer_0_ffn")(x) * m
    sequence = keras.layers.LayerNormalization(name="transformer_layer_0_norm")(x)
    mean = keras.ops.sum(sequence * m, axis=1) / keras.ops.maximum(keras.ops.sum(m, axis=1), 1.0)
    pooled = keras.layers.Dense(hidden, activation="tanh", name="pooler_dense")(sequence[:, 0])
    model = keras.Model(
        {"input_word_ids": ids, "input_mask": mask, "input_type_ids": types},
        {"default": mean, "pooled_output": pooled, "sequence_output": sequence},
    )
    spec = {key: tf.TensorSpec([None, None], tf.int32)
            for key in ("input_word_ids", "input_mask", "input_type_ids")}
    return save_hub_savedmodel(model, os.path.join(root, name), spec)
