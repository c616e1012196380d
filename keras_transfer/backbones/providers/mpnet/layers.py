"""The two layers MPNet needs beyond Keras: relative position bias, transformer block.

Both follow Hugging Face's `MPNetModel` (the definition the checkpoint was
trained with) and are registered with `keras.saving.register_keras_serializable`
as internal layers of the provider.
"""

import math

import keras
from keras import ops


def relative_position_bucket(relative_position, num_buckets=32, max_distance=128):
    """Maps `key - query` offsets to T5/MPNet buckets (int32, same shape).

    Half the buckets are for keys before the query, half for keys after; in
    each half, offsets below `num_buckets // 4` get their own bucket and
    larger ones share log-spaced buckets up to `max_distance`.
    """
    half = num_buckets // 2
    n = -relative_position
    ret = ops.cast(n < 0, "int32") * half
    n = ops.abs(n)
    max_exact = half // 2
    is_small = n < max_exact
    scaled = ops.log(ops.cast(ops.maximum(n, 1), "float32") / max_exact)
    scaled = scaled / math.log(max_distance / max_exact) * (half - max_exact)
    large = ops.minimum(max_exact + ops.cast(scaled, "int32"), half - 1)
    return ret + ops.where(is_small, ops.cast(n, "int32"), large)


@keras.saving.register_keras_serializable(package="keras_transfer>mpnet")
class RelativePositionBias(keras.layers.Layer):
    """token ids `[batch, seq]` -> attention bias `[1, heads, seq, seq]`.

    One learned scalar per (bucket, head), shared by all layers, as in MPNet.
    """

    def __init__(self, num_heads, num_buckets=32, max_distance=128, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.num_buckets = num_buckets
        self.max_distance = max_distance
        self.embeddings = self.add_weight(
            shape=(num_buckets, num_heads), initializer="zeros", name="embeddings")

    def call(self, token_ids):
        length = ops.shape(token_ids)[1]
        positions = ops.arange(length, dtype="int32")
        relative = positions[None, :] - positions[:, None]  # key - query
        buckets = relative_position_bucket(relative, self.num_buckets, self.max_distance)
        values = ops.take(ops.cast(self.embeddings, self.compute_dtype), buckets, axis=0)
        return ops.expand_dims(ops.transpose(values, (2, 0, 1)), 0)

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads,
                "num_buckets": self.num_buckets, "max_distance": self.max_distance}


@keras.saving.register_keras_serializable(package="keras_transfer>mpnet")
class MPNetBlock(keras.layers.Layer):
    """One MPNet transformer layer (post-LayerNorm, exact GELU).

    Call arguments:
        inputs: float tensor `[batch, seq, hidden]`.
        attention_bias: float tensor broadcastable to `[batch, heads, seq,
            seq]`, added to the attention scores (position bias + padding).
        training: bool. Dropout only when `True`.
    """

    def __init__(self, num_heads, intermediate_dim, layer_norm_epsilon=1e-5,
                 dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.layer_norm_epsilon = layer_norm_epsilon
        self.dropout = dropout

    def build(self, input_shape):
        hidden = input_shape[-1]
        dense = lambda units, name, **kw: keras.layers.Dense(  # noqa: E731
            units, name=name, dtype=self.dtype_policy, **kw)
        self.q = dense(hidden, "q")
        self.k = dense(hidden, "k")
        self.v = dense(hidden, "v")
        self.o = dense(hidden, "o")
        self.intermediate = dense(self.intermediate_dim, "intermediate",
                                  activation=keras.activations.gelu)
        self.output_dense = dense(hidden, "output")
        for layer in (self.q, self.k, self.v, self.o, self.intermediate):
            layer.build(input_shape)
        self.output_dense.build((*input_shape[:-1], self.intermediate_dim))
        self.attention_norm = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon, name="attention_norm", dtype=self.dtype_policy)
        self.output_norm = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon, name="output_norm", dtype=self.dtype_policy)
        self.attention_norm.build(input_shape)
        self.output_norm.build(input_shape)
        self.attention_dropout = keras.layers.Dropout(self.dropout)
        self.hidden_dropout = keras.layers.Dropout(self.dropout)

    def _heads(self, x, batch, length):
        x = ops.reshape(x, (batch, length, self.num_heads, -1))
        return ops.transpose(x, (0, 2, 1, 3))

    def call(self, inputs, attention_bias, training=False):
        batch, length = ops.shape(inputs)[0], ops.shape(inputs)[1]
        hidden = inputs.shape[-1]
        q = self._heads(self.q(inputs), batch, length)
        k = self._heads(self.k(inputs), batch, length)
        v = self._heads(self.v(inputs), batch, length)
        scale = 1.0 / math.sqrt(hidden // self.num_heads)
        scores = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2))) * scale
        scores = scores + ops.cast(attention_bias, scores.dtype)
        probs = self.attention_dropout(ops.softmax(scores, axis=-1), training=training)
        context = ops.reshape(ops.transpose(ops.matmul(probs, v), (0, 2, 1, 3)),
                              (batch, length, hidden))
        attended = self.attention_norm(
            inputs + self.hidden_dropout(self.o(context), training=training))
        out = self.output_dense(self.intermediate(attended))
        return self.output_norm(attended + self.hidden_dropout(out, training=training))

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads,
                "intermediate_dim": self.intermediate_dim,
                "layer_norm_epsilon": self.layer_norm_epsilon, "dropout": self.dropout}
