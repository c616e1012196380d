"""`MaskedLanguageModel`: a BERT-style hub encoder with a masked-LM head tied to its embeddings."""

import os
import re
import shutil
import tempfile

import keras
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.backbones.handles import resolve_handle
from keras_transfer.data.mask_tokens import BERT_INPUTS
from keras_transfer.layers.hub_backbone import HubBackbone
from keras_transfer.models import common

# Word-embedding variable names of BERT-style SavedModels: KerasHub's
# `token_embedding/embeddings` (minilm_l6), TF Hub BERT's
# `word_embeddings/embeddings`. Matched against Keras names ("/" -> "__").
_WORD_EMBEDDINGS = re.compile(r"(^|__)(word|token)_embeddings?__embeddings(_\d+)?$")


@keras_transfer_export("keras_transfer.MaskedLanguageModel")
class MaskedLanguageModel(keras.Model):
    """Masked-language-model training of a BERT-style encoder SavedModel.

    The encoder (a trainable `HubBackbone` named `"backbone"`, output
    `sequence_output`) runs on the corrupted tokens; the vectors at
    `masked_positions` go through BERT's prediction transform (Dense with
    exact GELU, then LayerNormalization) and an output layer whose weight
    matrix *is* the encoder's word-embedding variable (tied, as in BERT:
    one variable, updated by both paths) plus a per-token bias. The
    transform and bias start fresh (sentence-transformers checkpoints such
    as all-MiniLM-L6-v2 ship no MLM head).

    Inputs are what `keras_transfer.data.mask_tokens` returns: the BERT
    input dict plus `masked_positions` (int32 `[batch, max_predictions]`).
    The output is float32 logits `[batch, max_predictions, vocabulary_size]`.
    Train with `SparseCategoricalCrossentropy(from_logits=True,
    ignore_class=-1)` so unused prediction slots add nothing; then
    `save_encoder` writes the adapted encoder as a SavedModel that every
    text builder accepts (`keras_transfer.recipes.adapt_language_model`
    does all of this).

    Args:
        backbone: str or path-like. A text registry name (its encoder
            variant) or the path/URL of a BERT-style encoder SavedModel whose
            `__call__` takes the BERT input dict and returns a dict with
            `sequence_output`.
        embedding_variable: str. Name of the word-embedding variable in the
            SavedModel (`"/"` written as `"__"`, as in the layer's weight
            names). Defaults to `None`: the one variable named
            `word_embeddings/embeddings` or `token_embedding/embeddings`.
        **kwargs: `keras.Model` keyword arguments (`name`).

    Raises:
        ValueError: for an unknown or non-text backbone, or when the
            word-embedding variable is not found or ambiguous (the message
            lists the 2-D variables).

    Example:

    ```python
    model = keras_transfer.MaskedLanguageModel("minilm_l6")
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, ignore_class=-1))
    ```
    """

    def __init__(self, backbone, embedding_variable=None, **kwargs):
        super().__init__(**kwargs)
        name, entry = common.resolve_backbone(backbone, "text", "MaskedLanguageModel")
        if isinstance(backbone, os.PathLike):
            backbone = os.fspath(backbone)
        self.backbone = backbone
        self.embedding_variable = embedding_variable
        handle = common.registry_handle(name, entry["variant"]) if name else backbone
        self._saved_model_path = resolve_handle(handle)
        # Loaded here (not by HubBackbone from the path) so that the trained
        # object can be saved back whole: `HubBackbone` wraps its variables
        # without copying them, so training updates this object in place.
        self._saved_model = tf.saved_model.load(self._saved_model_path)
        self.encoder = HubBackbone(self._saved_model, trainable=True,
                                   output_key="sequence_output", name="backbone")
        self._embedding_index = _find_embedding(self.encoder.weights, embedding_variable)
        vocabulary_size, hidden = self.encoder.weights[self._embedding_index].shape
        self.vocabulary_size = int(vocabulary_size)
        initializer = keras.initializers.TruncatedNormal(stddev=0.02)
        self.transform = keras.layers.Dense(
            int(hidden), activation=keras.activations.gelu,
            kernel_initializer=initializer, name="transform")
        self.transform_norm = keras.layers.LayerNormalization(
            epsilon=1e-12, name="transform_norm")
        self.output_bias = self.add_weight(
            shape=(self.vocabulary_size,), initializer="zeros", name="output_bias")

    def build(self, input_shape=None):
        hidden = self.word_embeddings.shape[1]
        self.transform.build((None, None, hidden))
        self.transform_norm.build((None, None, hidden))
        self.built = True

    @property
    def word_embeddings(self):
        """The encoder's word-embedding variable `[vocabulary_size, hidden]` (tied)."""
        return self.encoder.weights[self._embedding_index]

    def call(self, inputs, training=None):
        missing = [key for key in BERT_INPUTS + ("masked_positions",) if key not in inputs]
        if missing:
            raise ValueError(
                f"MaskedLanguageModel inputs lack {missing}; pass what "
                "`keras_transfer.data.mask_tokens` returns. Received keys: "
                f"{sorted(inputs)}"
            )
        sequence = self.encoder({key: inputs[key] for key in BERT_INPUTS},
                                training=training)
        positions = tf.cast(inputs["masked_positions"], tf.int32)
        x = tf.gather(sequence, positions, batch_dims=1)
        x = self.transform_norm(self.transform(x))
        embeddings = tf.cast(self.word_embeddings.value, x.dtype)
        logits = tf.matmul(x, embeddings, transpose_b=True) + self.output_bias
        return tf.cast(logits, "float32")

    def save_encoder(self, export_dir):
        """Writes the (adapted) encoder as a SavedModel, atomically.

        The SavedModel loaded from `backbone` is saved again with its
        current variable values: same signatures, same `__call__` (both
        `training` values), same outputs (`sequence_output`,
        `pooled_output`, `default` for `minilm_l6`). The MLM head is not
        part of it.

        Args:
            export_dir: str or path. Where to write; must not exist.

        Returns:
            str, `export_dir`.

        Raises:
            FileExistsError: if `export_dir` exists.
        """
        export_dir = os.fspath(export_dir)
        if os.path.exists(export_dir):
            raise FileExistsError(
                f"`export_dir` already exists: {export_dir}. Remove it first or "
                "pick another path."
            )
        parent = os.path.dirname(os.path.abspath(export_dir))
        os.makedirs(parent, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=".encoder-", dir=parent)
        try:
            tf.saved_model.save(self._saved_model, os.path.join(staging, "encoder"))
            os.rename(os.path.join(staging, "encoder"), export_dir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return export_dir

    def get_config(self):
        config = super().get_config()
        config.update({"backbone": self.backbone,
                       "embedding_variable": self.embedding_variable})
        return config


def _find_embedding(weights, name):
    """Index in `weights` of the word-embedding variable."""
    matrices = [(i, w) for i, w in enumerate(weights) if len(w.shape) == 2]
    if name is None:
        found = [i for i, w in matrices if _WORD_EMBEDDINGS.search(w.name)]
    else:
        found = [i for i, w in matrices if w.name == name or w.path.endswith("/" + name)]
    if len(found) != 1:
        names = [w.name for _, w in matrices]
        wanted = (f"`embedding_variable={name!r}`" if name is not None
                  else "a `word_embeddings` or `token_embedding` variable")
        raise ValueError(
            f"Found {len(found)} variables matching {wanted} in the encoder; "
            f"pass `embedding_variable=` one of its 2-D variables: {names}"
        )
    return found[0]
