"""Known-answer check of a converted all-mpnet-base-v2 against a NumPy MPNet."""

import math
from pathlib import Path

import numpy as np
import tensorflow as tf

from keras_transfer.backbones.providers.minilm.model import import_text_deps
from keras_transfer.backbones.providers.minilm.verify import (
    ACCENTED, ANCHOR, SIMILAR, UNACCENTED, UNRELATED, cosine, erf, layer_norm)
from keras_transfer.backbones.providers.mpnet.config import ARCHITECTURE
from keras_transfer.backbones.providers.mpnet.weights import model_dir

# The converted model gives 0.643 and 0.012 (equal to the NumPy reference
# below to 4e-7; sentence-transformers itself was not run, it needs torch).
MIN_SIMILAR_COSINE = 0.5
MAX_UNRELATED_COSINE = 0.2
REFERENCE_ATOL = 1e-5


def _bucket(relative, num_buckets, max_distance):
    half = num_buckets // 2
    n = -relative
    ret = (n < 0).astype(np.int64) * half
    n = np.abs(n)
    max_exact = half // 2
    large = max_exact + (
        np.log(np.maximum(n, 1) / max_exact) / math.log(max_distance / max_exact)
        * (half - max_exact)).astype(np.int64)
    large = np.minimum(large, half - 1)
    return ret + np.where(n < max_exact, n, large)


def reference_forward(weights, word_ids, mask, architecture=None):
    """NumPy (float64) forward pass of the Hugging Face MPNet checkpoint.

    Written from the PyTorch `MPNetModel` definition, independent of the
    Keras model, to check the conversion.

    Args:
        weights: dict of str to array. The `model.safetensors` tensors.
        word_ids: int array `[batch, seq]`.
        mask: int array `[batch, seq]`, 1 for real tokens.
        architecture: dict. Sizes as `config.ARCHITECTURE` (the default).

    Returns:
        dict with `sequence_output`, `pooled_output` and `default` (masked
        mean), float64.
    """
    a = dict(ARCHITECTURE, **(architecture or {}))
    w = {k: np.asarray(v, np.float64) for k, v in weights.items()
         if np.issubdtype(np.asarray(v).dtype, np.floating)}
    word_ids = np.asarray(word_ids)
    mask_f = np.asarray(mask, np.float64)
    batch, length = word_ids.shape
    positions = np.cumsum(mask, axis=1) * np.asarray(mask) + a["padding_idx"]
    eps = a["layer_norm_epsilon"]
    x = w["embeddings.word_embeddings.weight"][word_ids] + \
        w["embeddings.position_embeddings.weight"][positions]
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    idx = np.arange(length)
    buckets = _bucket(idx[None, :] - idx[:, None], a["num_buckets"], a["max_distance"])
    position_bias = w["encoder.relative_attention_bias.weight"][buckets].transpose(2, 0, 1)
    bias = position_bias[None] + (1.0 - mask_f)[:, None, None, :] * -1e9
    heads = a["num_heads"]
    for i in range(a["num_layers"]):
        p = f"encoder.layer.{i}."

        def dense(name, h, p=p):
            return h @ w[p + name + ".weight"].T + w[p + name + ".bias"]

        def split(t):
            return t.reshape(batch, length, heads, -1).transpose(0, 2, 1, 3)

        q = split(dense("attention.attn.q", x))
        k = split(dense("attention.attn.k", x))
        v = split(dense("attention.attn.v", x))
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(q.shape[-1]) + bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, -1)
        attended = layer_norm(
            dense("attention.attn.o", context) + x,
            w[p + "attention.LayerNorm.weight"], w[p + "attention.LayerNorm.bias"], eps)
        hidden = dense("intermediate.dense", attended)
        hidden = 0.5 * hidden * (1.0 + erf(hidden / math.sqrt(2.0)))
        x = layer_norm(dense("output.dense", hidden) + attended,
                        w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
    pooled = np.tanh(x[:, 0] @ w["pooler.dense.weight"].T + w["pooler.dense.bias"])
    mean = (x * mask_f[..., None]).sum(1) / np.maximum(mask_f.sum(1, keepdims=True), 1e-9)
    return {"sequence_output": x, "pooled_output": pooled, "default": mean}


def verify(export_dir):
    """Known-answer checks of a converted all-mpnet-base-v2.

    Loads the three SavedModels and checks that "a cat sits on the mat" is
    close to "a kitten is on the rug" (cosine above 0.5) and far from "stock
    markets fell" (below 0.2); "naïve café" tokenizes as "naive cafe" with no
    `[UNK]`; the encoder's outputs match a NumPy float64 forward pass of the
    safetensors weights to 1e-5; and the sentence encoder equals
    preprocessor + encoder to 1e-5.

    Args:
        export_dir: str or path. A folder written by `convert()`.

    Returns:
        dict with `cosine_similar`, `cosine_unrelated`, `accent_ids`,
        `max_abs_diff_reference` (dict per output),
        `max_abs_diff_sentence_encoder` and `seq_length`.

    Raises:
        RuntimeError: if any check fails (the message gives the numbers).
    """
    from safetensors.numpy import load_file

    import_text_deps()  # Registers the tf-text ops the SavedModels use.
    export_dir = Path(export_dir)
    preprocessor = tf.saved_model.load(str(export_dir / "preprocessor"))
    encoder = tf.saved_model.load(str(export_dir / "encoder"))
    sentence_encoder = tf.saved_model.load(str(export_dir / "sentence_encoder"))

    sentences = [ANCHOR, SIMILAR, UNRELATED]
    embeddings = sentence_encoder(tf.constant(sentences)).numpy()
    similar = cosine(embeddings[0], embeddings[1])
    unrelated = cosine(embeddings[0], embeddings[2])

    accents = preprocessor(tf.constant([ACCENTED, UNACCENTED]))
    accent_ids = accents["input_word_ids"].numpy()
    seq_length = int(accent_ids.shape[1])
    length = int(accents["input_mask"].numpy()[0].sum())
    vocab = (model_dir() / "vocab.txt").read_text(encoding="utf-8").splitlines()
    unk_id = vocab.index("[UNK]")

    features = preprocessor(tf.constant(sentences))
    outputs = encoder(features, training=False)
    used = int(features["input_mask"].numpy().sum(axis=1).max())
    reference = reference_forward(
        load_file(str(model_dir() / "model.safetensors")),
        features["input_word_ids"].numpy()[:, :used],
        features["input_mask"].numpy()[:, :used])
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
            f"{unrelated:.4f} < {MAX_UNRELATED_COSINE}")
    if not np.array_equal(accent_ids[0], accent_ids[1]) or unk_id in accent_ids[0]:
        failures.append(
            f"{ACCENTED!r} tokenizes to {accent_ids[0, :length].tolist()} but "
            f"{UNACCENTED!r} to {accent_ids[1, :length].tolist()} ([UNK]={unk_id})")
    bad = {k: v for k, v in diffs.items() if not v <= REFERENCE_ATOL}
    if bad:
        failures.append(f"encoder differs from the NumPy reference by {bad} "
                        f"(tolerance {REFERENCE_ATOL})")
    if not pipeline_diff <= REFERENCE_ATOL:
        failures.append(f"sentence_encoder differs from preprocessor + encoder by "
                        f"{pipeline_diff} (tolerance {REFERENCE_ATOL})")
    if failures:
        raise RuntimeError(f"all-mpnet-base-v2 in {export_dir} failed verification: "
                           + "; ".join(failures))
    return result
