"""Tiny TF Hub-format SavedModels for tests, built the way tensorflow_hub's tests do.

The one home of the test SavedModels: image feature vectors, BERT-shaped
encoders and preprocessors (hashing, or TensorFlow Text custom ops), a
waveform model, and a tf_keras (Keras 2) SavedModel. Every builder writes into
a folder under `root` and returns its path. They are small enough to build in
well under a second each. Classifiers built on them, and raw test inputs
(images, WAV bytes, REST bodies), are in `tests/export/tiny_classifiers.py`.
"""

import os

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.backbones.hub_format import save_hub_savedmodel


def image_feature_vector(root, name="image_fv", seed=0):
    """Conv + BatchNorm (+ an L2 regularizer) feature vector, images in [0, 1]."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", name="block1_conv",
                            kernel_regularizer=keras.regularizers.L2(0.01))(inputs)
    x = keras.layers.BatchNormalization(name="block1_bn")(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.Conv2D(6, 3, strides=2, padding="same", name="block2_conv")(x)
    x = keras.layers.Dropout(0.0)(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(5, name="top_dense")(x)
    model = keras.Model(inputs, outputs)
    return save_hub_savedmodel(model, os.path.join(root, name),
                               tf.TensorSpec([None, None, None, 3], tf.float32))


_BERT_KEYS = ("input_word_ids", "input_mask", "input_type_ids")


def _embedded_bert_inputs(vocab_size, hidden):
    """Keras inputs of a BERT encoder, their summed embeddings, and the float mask."""
    ids, mask, types = (keras.Input((None,), dtype="int32", name=key) for key in _BERT_KEYS)
    x = keras.layers.Embedding(vocab_size, hidden, name="word_embeddings")(ids)
    x = x + keras.layers.Embedding(2, hidden, name="type_embeddings")(types)
    m = keras.ops.expand_dims(keras.ops.cast(mask, "float32"), -1)
    return {"input_word_ids": ids, "input_mask": mask, "input_type_ids": types}, x, m


def _save_bert_encoder(model, root, name):
    spec = {key: tf.TensorSpec([None, None], tf.int32) for key in _BERT_KEYS}
    return save_hub_savedmodel(model, os.path.join(root, name), spec)


def bert_encoder(root, name="bert_encoder", vocab_size=50, hidden=8, num_layers=2, seed=0):
    """A BERT-shaped encoder: dict of int32 inputs -> pooled/sequence outputs."""
    keras.utils.set_random_seed(seed)
    inputs, x, m = _embedded_bert_inputs(vocab_size, hidden)
    for i in range(num_layers):
        x = keras.layers.Dense(hidden, activation="gelu", name=f"transformer_layer_{i}_ffn")(x) * m
        x = keras.layers.LayerNormalization(name=f"transformer_layer_{i}_norm")(x)
    sequence = x
    pooled = keras.layers.Dense(hidden, activation="tanh", name="pooler_dense")(x[:, 0])
    model = keras.Model(inputs, {"pooled_output": pooled, "sequence_output": sequence})
    return _save_bert_encoder(model, root, name)


def mean_pooled_encoder(root, name="mean_encoder", vocab_size=50, hidden=8, seed=0):
    """BERT input dict -> `default` (masked mean), `pooled_output`, `sequence_output`.

    Like minilm_l6's outputs. `bert_encoder` pools the [CLS] vector, which in a
    model without attention is the same for every sentence; sentence-level
    tests need an embedding that depends on the words.
    """
    keras.utils.set_random_seed(seed)
    inputs, x, m = _embedded_bert_inputs(vocab_size, hidden)
    x = keras.layers.Dense(hidden, activation="gelu", name="transformer_layer_0_ffn")(x) * m
    sequence = keras.layers.LayerNormalization(name="transformer_layer_0_norm")(x)
    mean = keras.ops.sum(sequence * m, axis=1) / keras.ops.maximum(keras.ops.sum(m, axis=1), 1.0)
    pooled = keras.layers.Dense(hidden, activation="tanh", name="pooler_dense")(sequence[:, 0])
    model = keras.Model(
        inputs, {"default": mean, "pooled_output": pooled, "sequence_output": sequence})
    return _save_bert_encoder(model, root, name)


def _bert_inputs(ids):
    """Token ids (0 = padding) -> the BERT input dict."""
    ids = tf.cast(ids, tf.int32)
    return {
        "input_word_ids": ids,
        "input_mask": tf.cast(ids > 0, tf.int32),
        "input_type_ids": tf.zeros_like(ids),
    }


def _save_string_function(call, path, **attributes):
    """Saves `call` (strings -> tensors, no variables) as a SavedModel's `__call__`."""
    module = tf.__internal__.tracking.AutoTrackable()
    for key, value in attributes.items():
        setattr(module, key, value)
    module.__call__ = call
    module.variables = []
    module.trainable_variables = []
    module.regularization_losses = []
    tf.saved_model.save(module, path)
    return path


def string_preprocessor(root, name="bert_preprocess", vocab_size=50, seq_length=8):
    """Strings -> BERT inputs, hashing whitespace tokens (no variables)."""

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def call(text):
        tokens = tf.strings.split(tf.strings.lower(text))
        ids = tf.strings.to_hash_bucket_fast(tokens, vocab_size - 2) + 2
        cls = tf.ones([tf.shape(text)[0], 1], tf.int64)
        return _bert_inputs(tf.concat([cls, ids.to_tensor(shape=[None, seq_length - 1])], axis=1))

    return _save_string_function(call, os.path.join(root, name))


def tf_text_preprocessor(root, name="tf_text_preprocess", seq_length=8):
    """Strings -> BERT inputs with TensorFlow Text's BertTokenizer (custom ops)."""
    import tensorflow_text

    vocab = ["[PAD]", "[UNK]", "[CLS]", "good", "bad", "movie", "act", "##ing", "hello"]
    ids = tf.range(len(vocab), dtype=tf.int64)
    table = tf.lookup.StaticVocabularyTable(
        tf.lookup.KeyValueTensorInitializer(vocab, ids), num_oov_buckets=1
    )
    tokenizer = tensorflow_text.BertTokenizer(table, lower_case=True)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def call(text):
        ids = tokenizer.tokenize(text).merge_dims(-2, -1)
        cls = tf.fill([tf.shape(text)[0], 1], tf.constant(2, tf.int64))
        return _bert_inputs(tf.concat([cls, ids.to_tensor(shape=[None, seq_length - 1])], axis=1))

    return _save_string_function(call, os.path.join(root, name), tokenizer=tokenizer)


def waveform_model(root, name="audio_fv", frame=64, seed=0):
    """Waveform [batch, samples] -> framed Dense features, mean over frames."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((None,))
    frames = keras.layers.Lambda(
        lambda w: tf.signal.frame(w, frame, frame // 2), name="framing"
    )(inputs)
    x = keras.layers.Dense(8, activation="relu", name="block1_dense")(frames)
    x = keras.layers.Dense(6, name="block2_dense")(x)
    outputs = keras.layers.GlobalAveragePooling1D()(x)
    model = keras.Model(inputs, outputs)
    return save_hub_savedmodel(model, os.path.join(root, name),
                               tf.TensorSpec([None, None], tf.float32))


def tiny_whisper_encoder(root, name="tiny_whisper", seed=0):
    """Whisper's encoder (log-mel in the graph) at toy size: 2 blocks of 16-d.

    Random weights, sinusoid-free (zero) positions; `sequence_output` has one
    16-d vector per 320 samples, as the real whisper_base.
    """
    from keras_transfer.backbones.providers.whisper_base.model import build_encoder

    keras.utils.set_random_seed(seed)
    model = build_encoder(architecture={"num_layers": 2, "hidden_dim": 16, "num_heads": 2,
                                        "intermediate_dim": 32, "max_positions": 200})
    return save_hub_savedmodel(model, os.path.join(root, name),
                               tf.TensorSpec([None, None], tf.float32, name="waveform"))


def tf_keras_model(root, name="tf_keras_fv", seed=0):
    """A SavedModel written by tf_keras (Keras 2), as many real hub models were."""
    import tf_keras

    tf_keras.utils.set_random_seed(seed)
    model = tf_keras.Sequential([
        tf_keras.layers.InputLayer(input_shape=(6,)),
        tf_keras.layers.Dense(5, name="block1_dense",
                              kernel_regularizer=tf_keras.regularizers.L2(0.1)),
        tf_keras.layers.BatchNormalization(name="block2_bn"),
        tf_keras.layers.Dense(3, name="block3_dense"),
    ])
    path = os.path.join(root, name)
    tf.saved_model.save(model, path)
    return path, model


def images(n=4, size=8, seed=0):
    return np.random.default_rng(seed).random((n, size, size, 3), dtype=np.float32)
