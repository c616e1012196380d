"""CTC prefix beam search with shallow fusion of a character language model.

Used by `keras_transfer.speech.decode_ctc` when it is given a language model.
"""

import math

import numpy as np

# Characters whose frame probability is below this share of the frame's best
# are not tried as extensions (the blank always is): most frames are peaked,
# so this skips most of the work and changes nothing measurable.
PRUNE = 1e-4
_NEG_INF = -math.inf


def _log_add(a, b):
    if a == _NEG_INF:
        return b
    if b == _NEG_INF:
        return a
    if a < b:
        a, b = b, a
    return a + math.log1p(math.exp(b - a))


def prefix_beam_search(log_probs, characters, language_model=None, alpha=0.0, beta=0.0,
                       beam_width=16, prune=PRUNE):
    """Best transcript of one clip by prefix beam search with shallow fusion.

    Every prefix keeps the log probabilities of the CTC paths that give it
    and end in a blank (`pb`) or in its last character (`pnb`). Extending a
    prefix by a character adds `alpha * log P_lm(character | prefix)` to the
    extension's paths, so a prefix's `log(exp(pb) + exp(pnb))` is
    `log P_ctc(prefix) + alpha * log P_lm(prefix)`; beams are ranked by that
    plus `beta * len(prefix)`, and the final choice adds
    `alpha * log P_lm(end | prefix)`. With `alpha = beta = 0` this is plain
    CTC prefix beam search.

    Args:
        log_probs: float array `[frames, 1 + len(characters)]`, log-softmax
            outputs, the blank at index 0.
        characters: str. The vocabulary's characters (ids 1..).
        language_model: a `keras_transfer.speech.CharacterLanguageModel` or
            None.
        alpha: float. The LM weight.
        beta: float. The bonus per character.
        beam_width: int. Prefixes kept after each frame.
        prune: float. Relative probability below which a character is not
            tried at a frame; 0 tries every character.

    Returns:
        str.
    """
    use_lm = language_model is not None and alpha != 0.0
    lm_rows = {}
    beams = {"": (0.0, _NEG_INF)}
    cutoff = math.log(prune) if prune > 0 else _NEG_INF
    for frame in np.asarray(log_probs, np.float64):
        candidates = np.flatnonzero(frame[1:] >= frame.max() + cutoff) + 1
        if use_lm:
            missing = [p for p in beams if p not in lm_rows]
            if missing:
                lm_rows.update(zip(missing, language_model.log_probabilities(missing)))
        blank = float(frame[0])
        extended = {}
        for prefix, (pb, pnb) in beams.items():
            total = _log_add(pb, pnb)
            old_b, old_nb = extended.get(prefix, (_NEG_INF, _NEG_INF))
            extended[prefix] = (_log_add(old_b, total + blank), old_nb)
            last = prefix[-1] if prefix else None
            for c in candidates:
                character = characters[c - 1]
                p = float(frame[c])
                lm = alpha * lm_rows[prefix][c - 1] if use_lm else 0.0
                new = prefix + character
                if character == last:
                    # Without a blank between them, a repeat stays the same prefix.
                    same_b, same_nb = extended[prefix]
                    extended[prefix] = (same_b, _log_add(same_nb, pnb + p))
                    source = pb
                else:
                    source = total
                new_b, new_nb = extended.get(new, (_NEG_INF, _NEG_INF))
                extended[new] = (new_b, _log_add(new_nb, source + p + lm))
        ranked = sorted(extended.items(),
                        key=lambda item: _log_add(*item[1]) + beta * len(item[0]),
                        reverse=True)
        beams = dict(ranked[:beam_width])
    final = {prefix: _log_add(pb, pnb) + beta * len(prefix)
             for prefix, (pb, pnb) in beams.items()}
    if use_lm:
        prefixes = list(final)
        rows = language_model.log_probabilities(prefixes)
        for prefix, row in zip(prefixes, rows):
            final[prefix] += alpha * row[-1]
    return max(final, key=final.get)
