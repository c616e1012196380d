"""`make_contrastive_pairs`: same-class / different-class text pairs from labels."""

import numpy as np

from keras_transfer.utils.argument_validation import check_int


def make_contrastive_pairs(texts, labels, num_iterations=20, num_pairs=None, seed=0):
    """Builds balanced positive and negative pairs from labelled examples.

    SetFit's pair generation (Tunstall et al. 2022): each example in turn is
    an anchor, paired once with another example of its class (target 1.0)
    and once with an example of a different class (target 0.0). One
    iteration makes `2 * len(texts)` pairs; `num_iterations` repeats it with
    fresh random partners. `num_pairs`, when given, replaces the iteration
    count: anchors are drawn in shuffled rounds until `num_pairs` pairs are
    made (half positive, half negative; the last negative is dropped when
    `num_pairs` is odd). The positive partner is another example of the
    class when the class has one, else the anchor itself. Pairs are returned
    shuffled; the same `seed` gives the same pairs.

    Args:
        texts: sequence of str. The labelled texts.
        labels: sequence of int. Their class ids, one per text.
        num_iterations: int. Rounds over every example (>= 1). Defaults to
            `20` (SetFit's default).
        num_pairs: int. Exact number of pairs (>= 2); overrides
            `num_iterations`. Defaults to `None`.
        seed: int. Seed of the pairing and the shuffle. Defaults to `0`.

    Returns:
        `(pairs, targets)`: `pairs` a dict of two NumPy string arrays,
        `"text_a"` and `"text_b"`, and `targets` a float32 array of 1.0
        (same class) and 0.0 (different classes), all of the same length.
        This is the input of `keras_transfer.build_sentence_similarity_model`.

    Raises:
        ValueError: if `texts` and `labels` differ in length, fewer than two
            classes occur, or `num_iterations` / `num_pairs` is not a
            positive integer.

    Example:

    ```python
    pairs, targets = keras_transfer.data.make_contrastive_pairs(
        ["great", "superb", "dull", "awful"], [1, 1, 0, 0], num_iterations=2)
    len(targets)  # 8: two pairs per example per iteration
    ```
    """
    texts = np.asarray(texts, dtype=object)
    labels = np.asarray(labels)
    if texts.ndim != 1 or labels.shape != texts.shape:
        raise ValueError(
            "`texts` and `labels` must be 1-D and of the same length. Received: "
            f"len(texts)={texts.shape}, len(labels)={labels.shape}")
    check_int(num_iterations, "num_iterations", minimum=1)
    check_int(num_pairs, "num_pairs", minimum=2, allow_none=True)
    classes = np.unique(labels)
    if len(classes) < 2:
        raise ValueError(
            "`labels` must hold at least two classes, to make negative pairs. "
            f"Received classes: {classes.tolist()}")
    rng = np.random.default_rng(seed)
    members = {c: np.flatnonzero(labels == c) for c in classes}
    others = {c: np.flatnonzero(labels != c) for c in classes}

    num_anchors = (num_pairs + 1) // 2 if num_pairs else num_iterations * len(texts)
    rounds = -(-num_anchors // len(texts))
    anchors = np.concatenate([rng.permutation(len(texts)) for _ in range(rounds)])
    anchors = anchors[:num_anchors]

    first, second, targets = [], [], []
    for anchor in anchors:
        same = members[labels[anchor]]
        if len(same) > 1:
            same = same[same != anchor]
        first += [anchor, anchor]
        second += [rng.choice(same), rng.choice(others[labels[anchor]])]
        targets += [1.0, 0.0]
    total = num_pairs or len(targets)
    order = rng.permutation(total)
    first, second = np.asarray(first)[:total], np.asarray(second)[:total]
    targets = np.asarray(targets, np.float32)[:total]
    pairs = {"text_a": texts[first][order].astype(str),
             "text_b": texts[second][order].astype(str)}
    return pairs, targets[order]
