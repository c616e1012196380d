"""Independent NumPy/Python references for the CTC and error-rate tests.

Written from the definitions (Graves et al. 2006 for CTC, Levenshtein for
edit distance), sharing no code with keras_transfer.
"""

import numpy as np


def levenshtein(a, b):
    """Edit distance between two sequences: plain dynamic programming."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def error_rates(references, hypotheses):
    """Corpus CER and WER by `levenshtein` over characters and words."""
    char_errors = sum(levenshtein(r, h) for r, h in zip(references, hypotheses))
    word_errors = sum(levenshtein(r.split(), h.split())
                      for r, h in zip(references, hypotheses))
    return (char_errors / sum(len(r) for r in references),
            word_errors / sum(len(r.split()) for r in references))


def log_softmax(logits):
    logits = np.asarray(logits, np.float64)
    shifted = logits - logits.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


def ctc_negative_log_likelihood(logits, label, blank=0):
    """-log p(label | logits) by the CTC forward recursion, in float64.

    Args:
        logits: `[frames, classes]`.
        label: list of ints (no blanks).
    """
    log_probs = log_softmax(logits)
    extended = [blank]
    for symbol in label:
        extended += [symbol, blank]
    alpha = np.full(len(extended), -np.inf)
    alpha[0] = log_probs[0, blank]
    if len(extended) > 1:
        alpha[1] = log_probs[0, extended[1]]
    for t in range(1, len(log_probs)):
        new = np.full_like(alpha, -np.inf)
        for s, symbol in enumerate(extended):
            terms = [alpha[s]]
            if s >= 1:
                terms.append(alpha[s - 1])
            if s >= 2 and symbol != blank and symbol != extended[s - 2]:
                terms.append(alpha[s - 2])
            new[s] = np.logaddexp.reduce(terms) + log_probs[t, symbol]
        alpha = new
    return -np.logaddexp(alpha[-1], alpha[-2] if len(extended) > 1 else -np.inf)


def greedy_decode(logits, blank=0):
    """Best path: argmax per frame, merge repeats, drop blanks."""
    best = np.argmax(logits, axis=-1)
    out, previous = [], None
    for symbol in best:
        if symbol != previous and symbol != blank:
            out.append(int(symbol))
        previous = symbol
    return out
