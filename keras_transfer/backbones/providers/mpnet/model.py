"""all-mpnet-base-v2 as a Keras model with TF Hub BERT encoder inputs and outputs."""

import keras
from keras import ops

from keras_transfer.backbones.providers.mpnet.config import ARCHITECTURE
from keras_transfer.backbones.providers.mpnet.layers import (
    MPNetBlock, RelativePositionBias)


def weight_map(num_layers):
    """Keras layer name -> the checkpoint tensors of its weights, in order.

    Dense kernels are the transposed Hugging Face (PyTorch `Linear`) weights;
    that is the only reshaping.

    Args:
        num_layers: int. Transformer layers.

    Returns:
        dict mapping a layer path (`"block_3/q"`) to a list of `(tensor name,
        transpose)` pairs, one per Keras weight of that layer.
    """
    def dense(name):
        return [(f"{name}.weight", True), (f"{name}.bias", False)]

    def norm(name):
        return [(f"{name}.weight", False), (f"{name}.bias", False)]

    mapping = {
        "word_embedding": [("embeddings.word_embeddings.weight", False)],
        "position_embedding": [("embeddings.position_embeddings.weight", False)],
        "embeddings_layer_norm": norm("embeddings.LayerNorm"),
        "relative_position_bias": [("encoder.relative_attention_bias.weight", False)],
        "pooled_dense": dense("pooler.dense"),
    }
    for i in range(num_layers):
        p = f"encoder.layer.{i}."
        mapping.update({
            f"block_{i}/q": dense(p + "attention.attn.q"),
            f"block_{i}/k": dense(p + "attention.attn.k"),
            f"block_{i}/v": dense(p + "attention.attn.v"),
            f"block_{i}/o": dense(p + "attention.attn.o"),
            f"block_{i}/attention_norm": norm(p + "attention.LayerNorm"),
            f"block_{i}/intermediate": dense(p + "intermediate.dense"),
            f"block_{i}/output": dense(p + "output.dense"),
            f"block_{i}/output_norm": norm(p + "output.LayerNorm"),
        })
    return mapping


def build_encoder(tensors=None, architecture=None, dtype="float32"):
    """Builds MPNet with TF Hub BERT encoder inputs and outputs.

    Args:
        tensors: dict of str to array. The `model.safetensors` tensors to load
            (see `weight_map`). Defaults to `None` (random weights).
        architecture: dict. Sizes as `config.ARCHITECTURE` (the default).
        dtype: str. Keras dtype policy. Defaults to `"float32"`.

    Returns:
        `keras.Model` taking a dict `input_word_ids`, `input_mask`,
        `input_type_ids` (int32 `[batch, seq]`; MPNet has no segment
        embedding, so `input_type_ids` is accepted and ignored) and returning
        `pooled_output` (tanh dense of the first token), `sequence_output`
        and `default` (masked mean of `sequence_output`, the sentence
        embedding of all-mpnet-base-v2 before its L2 normalisation).

    Raises:
        ValueError: if a tensor is missing or has another shape than the
            Keras weight it fills.

    Example:

    ```python
    encoder = keras_transfer.backbones.providers.mpnet.model.build_encoder(
        architecture=dict(keras_transfer.backbones.providers.mpnet.config.ARCHITECTURE,
                          num_layers=2))
    ```
    """
    a = dict(ARCHITECTURE, **(architecture or {}))
    word_ids = keras.Input((None,), dtype="int32", name="input_word_ids")
    mask = keras.Input((None,), dtype="int32", name="input_mask")
    type_ids = keras.Input((None,), dtype="int32", name="input_type_ids")
    # Hugging Face numbers real tokens padding_idx + 1, + 2, ... and gives
    # padding the position padding_idx.
    positions = (ops.cumsum(mask, axis=1) * mask) + a["padding_idx"]
    x = keras.layers.Embedding(a["vocab_size"], a["hidden_dim"], name="word_embedding",
                               dtype=dtype)(word_ids)
    x = x + keras.layers.Embedding(a["max_positions"], a["hidden_dim"],
                                   name="position_embedding", dtype=dtype)(positions)
    x = keras.layers.LayerNormalization(epsilon=a["layer_norm_epsilon"],
                                        name="embeddings_layer_norm", dtype=dtype)(x)
    x = keras.layers.Dropout(a["dropout"], name="embeddings_dropout")(x)
    bias = RelativePositionBias(a["num_heads"], a["num_buckets"], a["max_distance"],
                                name="relative_position_bias", dtype=dtype)(word_ids)
    padding = (1.0 - ops.cast(mask, "float32"))[:, None, None, :] * -1e9
    bias = bias + padding
    for i in range(a["num_layers"]):
        x = MPNetBlock(a["num_heads"], a["intermediate_dim"], a["layer_norm_epsilon"],
                       a["dropout"], name=f"block_{i}", dtype=dtype)(x, bias)
    pooled = keras.layers.Dense(a["hidden_dim"], activation="tanh", name="pooled_dense",
                                dtype=dtype)(x[:, 0])
    weights = ops.expand_dims(ops.cast(mask, x.dtype), -1)
    mean = ops.sum(x * weights, axis=1) / ops.maximum(ops.sum(weights, axis=1), 1e-9)
    model = keras.Model(
        inputs={"input_word_ids": word_ids, "input_mask": mask, "input_type_ids": type_ids},
        outputs={"pooled_output": pooled, "sequence_output": x, "default": mean},
        name="mpnet_encoder")
    del type_ids
    if tensors is not None:
        load_weights(model, tensors, a["num_layers"])
    return model


def load_weights(model, tensors, num_layers):
    """Fills `model` (from `build_encoder`) with checkpoint tensors by name."""
    for path, sources in weight_map(num_layers).items():
        layer = model.get_layer(path.split("/")[0])
        if "/" in path:
            layer = getattr(layer, {"output": "output_dense"}.get(
                path.split("/")[1], path.split("/")[1]))
        values = []
        for name, transpose in sources:
            if name not in tensors:
                raise ValueError(f"The checkpoint lacks {name!r} (for {path}).")
            value = tensors[name]
            values.append(value.T if transpose else value)
        for variable, value in zip(layer.weights, values):
            if tuple(variable.shape) != tuple(value.shape):
                raise ValueError(
                    f"{path}: checkpoint tensor shape {tuple(value.shape)} does not "
                    f"match the Keras weight {variable.path} {tuple(variable.shape)}.")
        layer.set_weights(values)
