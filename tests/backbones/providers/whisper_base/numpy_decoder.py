"""A NumPy greedy decoder of Whisper base, for end-to-end checks of the encoder.

Written from openai/whisper's `TextDecoder` with CTranslate2's variable
layout (fused self-attention q/k/v in `linear_0`; cross-attention q in
`linear_0`, k/v in `linear_1`, output in `linear_2`; the output projection
is the token embedding). No key/value cache: each step reruns the prefix,
which is fine for a dozen tokens; the cross-attention keys and values of
the audio are computed once.
"""

import math

import numpy as np

from keras_transfer.backbones.providers.whisper_base.verify import erf

SOT, ENGLISH, TRANSCRIBE, NO_TIMESTAMPS, EOT = 50258, 50259, 50359, 50363, 50257
PROMPT = (SOT, ENGLISH, TRANSCRIBE, NO_TIMESTAMPS)


def _layer_norm(x, gamma, beta, eps=1e-5):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def _attention(q, k, v, heads, causal):
    t, d = q.shape
    s = k.shape[0]
    q = q.reshape(t, heads, -1).transpose(1, 0, 2)
    k = k.reshape(s, heads, -1).transpose(1, 0, 2)
    v = v.reshape(s, heads, -1).transpose(1, 0, 2)
    scores = q @ k.transpose(0, 2, 1) / math.sqrt(d // heads)
    if causal:
        scores = scores + np.triu(np.full((t, s), -np.inf), 1)
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    probs = scores / scores.sum(-1, keepdims=True)
    return (probs @ v).transpose(1, 0, 2).reshape(t, d)


def _linear(w, name, x):
    return x @ w[name + "/weight"].T + w[name + "/bias"]


def decoder_weights(variables):
    """The float decoder variables as float32."""
    return {k: np.asarray(v, np.float32) for k, v in variables.items()
            if k.startswith("decoder/") and np.asarray(v).dtype.kind == "f"}


def cross_keys_values(w, audio_features, num_layers=6):
    """Per layer, the cross-attention (keys, values) of one encoder output."""
    memory = np.asarray(audio_features, np.float32)
    return [np.split(_linear(w, f"decoder/layer_{i}/attention/linear_1", memory),
                     2, axis=1)
            for i in range(num_layers)]


def decoder_logits(w, tokens, cross, num_layers=6, heads=8):
    """Logits `[vocab]` of the token after `tokens` (`cross`: `cross_keys_values`)."""
    x = w["decoder/embeddings/weight"][list(tokens)] + \
        w["decoder/position_encodings/encodings"][:len(tokens)]
    for i in range(num_layers):
        p = f"decoder/layer_{i}/"
        h = _layer_norm(x, w[p + "self_attention/layer_norm/gamma"],
                        w[p + "self_attention/layer_norm/beta"])
        q, k, v = np.split(_linear(w, p + "self_attention/linear_0", h), 3, axis=1)
        x = x + _linear(w, p + "self_attention/linear_1",
                        _attention(q, k, v, heads, causal=True))
        h = _layer_norm(x, w[p + "attention/layer_norm/gamma"],
                        w[p + "attention/layer_norm/beta"])
        q = _linear(w, p + "attention/linear_0", h)
        k, v = cross[i]
        x = x + _linear(w, p + "attention/linear_2",
                        _attention(q, k, v, heads, causal=False))
        h = _layer_norm(x, w[p + "ffn/layer_norm/gamma"], w[p + "ffn/layer_norm/beta"])
        h = _linear(w, p + "ffn/linear_0", h)
        h = 0.5 * h * (1.0 + erf(h / math.sqrt(2.0)))
        x = x + _linear(w, p + "ffn/linear_1", h)
    x = _layer_norm(x, w["decoder/layer_norm/gamma"], w["decoder/layer_norm/beta"])
    return w["decoder/embeddings/weight"] @ x[-1]


def greedy_decode(variables, audio_features, max_tokens=32):
    """Token ids after the prompt, greedily, up to end-of-text."""
    w = decoder_weights(variables)
    cross = cross_keys_values(w, audio_features)
    tokens = list(PROMPT)
    for _ in range(max_tokens):
        logits = decoder_logits(w, tokens, cross)
        logits[EOT + 1:] = -np.inf  # special tokens: no timestamps, no language
        token = int(np.argmax(logits))
        if token == EOT:
            break
        tokens.append(token)
    return tokens[len(PROMPT):]
