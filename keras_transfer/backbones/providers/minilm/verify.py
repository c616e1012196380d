"""Known-answer check of a converted all-MiniLM-L6-v2 against a NumPy BERT."""

import math
from pathlib import Path

import numpy as np
import tensorflow as tf

from keras_transfer.backbones.providers.minilm.model import import_text_deps
from keras_transfer.backbones.providers.minilm.weights import model_dir


# Known-answer sentences for `verify()`.
ANCHOR = "a cat sits on the mat"
SIMILAR = "a kitten is on the rug"
UNRELATED = "stock markets fell"
ACCENTED = "naïve café"
UNACCENTED = "naive cafe"
MIN_SIMILAR_COSINE = 0.5
MAX_UNRELATED_COSINE = 0.2
REFERENCE_ATOL = 1e-5


def layer_norm(x, gamma, beta, epsilon=1e-12):
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon) * gamma + beta


erf = np.vectorize(math.erf, otypes=[np.float64])


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
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
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
        attended = layer_norm(
            dense("attention.output.dense", context) + x,
            w[p + "attention.output.LayerNorm.weight"],
            w[p + "attention.output.LayerNorm.bias"],
        )
        hidden = dense("intermediate.dense", attended)
        hidden = 0.5 * hidden * (1.0 + erf(hidden / math.sqrt(2.0)))
        x = layer_norm(
            dense("output.dense", hidden) + attended,
            w[p + "output.LayerNorm.weight"],
            w[p + "output.LayerNorm.bias"],
        )
    pooled = np.tanh(x[:, 0] @ w["pooler.dense.weight"].T + w["pooler.dense.bias"])
    mean = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
    return {"sequence_output": x, "pooled_output": pooled, "default": mean}


def cosine(a, b):
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
