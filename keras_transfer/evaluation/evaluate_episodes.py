"""`evaluate_episodes`: few-shot accuracy over many episodes, with a 95% CI."""

import math

import keras
import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.data.episode_sampler import EpisodeSampler
from keras_transfer.heads.prototypical_head import PrototypicalHead
from keras_transfer.utils.argument_validation import check_int

_METHODS = ("prototypical", "nearest_centroid")


@keras_transfer_export(["keras_transfer.evaluate_episodes",
                        "keras_transfer.evaluation.evaluate_episodes"])
def evaluate_episodes(feature_extractor, x, y, num_ways=5, num_shots=1, num_queries=15,
                      num_episodes=600, method="prototypical", classes=None, seed=0,
                      batch_size=64):
    """Mean N-way K-shot accuracy over episodes, with its 95% confidence interval.

    The features of all examples are computed once (the extractor is fixed
    during evaluation), then `num_episodes` episodes are drawn by
    `keras_transfer.data.EpisodeSampler` with `seed`; in each, a classifier
    is built from the support features alone and scored on the queries. The
    methods:

    - `"prototypical"`: `keras_transfer.PrototypicalHead(num_ways)`, i.e.
      cosine similarity to the means of L2-normalised support features.
    - `"nearest_centroid"`: Euclidean distance to the means of the raw
      support features (`PrototypicalHead(num_ways, distance="euclidean",
      normalize=False)`).
    - a `keras_transfer.PrototypicalHead` instance with
      `num_classes == num_ways`: its own distance, normalisation and scale
      (its stored prototypes are overwritten).

    To compare a frozen and a fine-tuned backbone, evaluate both extractors
    with the same arguments: the same seed gives the same episodes.

    The confidence interval is the normal approximation used throughout the
    few-shot literature: `1.96 * std / sqrt(num_episodes)`, with `std` the
    sample standard deviation (`ddof=1`) of the per-episode accuracies.

    Args:
        feature_extractor: a callable Keras model or layer mapping a batch of
            `x` to features `[batch, features]`, or `None` if `x` already
            holds features.
        x: array of examples (or of features if `feature_extractor` is
            `None`), `(n, ...)`.
        y: array of int class labels `(n,)`.
        num_ways: int. Classes per episode. Defaults to `5`.
        num_shots: int. Support examples per class. Defaults to `1`.
        num_queries: int. Query examples per class. Defaults to `15`.
        num_episodes: int. Episodes to average over; 600 or more for the
            usual precision. Defaults to `600`.
        method: str or `keras_transfer.PrototypicalHead`. See above.
            Defaults to `"prototypical"`.
        classes: sequence of int. Source labels episodes draw from (the novel
            classes). Defaults to `None` (all).
        seed: int. Seed of the episodes. Defaults to `0`.
        batch_size: int. Batch size of the feature extraction. Defaults to
            `64`.

    Returns:
        A dict: `accuracy` (mean over episodes), `ci95`, `std`,
        `episode_accuracies` (list of float), `num_episodes`, `num_ways`,
        `num_shots`, `num_queries`, `method` (str).

    Raises:
        ValueError: if an argument is invalid (see
            `keras_transfer.data.EpisodeSampler`), `method` is unknown, or
            the head's `num_classes` is not `num_ways`.

    Example:

    ```python
    result = keras_transfer.evaluate_episodes(
        feature_extractor, x_test, y_test, num_ways=5, num_shots=1)
    print(f"{result['accuracy']:.3f} ± {result['ci95']:.3f}")
    ```
    """
    check_int(num_episodes, "num_episodes", minimum=2)
    check_int(batch_size, "batch_size", minimum=1)
    head, method_name = _head(method, num_ways)
    if feature_extractor is None:
        features = np.asarray(x, "float32")
    else:
        features = _extract(feature_extractor, np.asarray(x), batch_size)
    if features.ndim != 2:
        raise ValueError(
            "The features must have shape (n, features). Received: features with "
            f"shape={features.shape} (flatten or pool them in the feature extractor)")
    sampler = EpisodeSampler(features, y, num_ways=num_ways, num_shots=num_shots,
                             num_queries=num_queries, classes=classes, seed=seed)
    accuracies = []
    for episode in sampler.episodes(num_episodes):
        head.set_prototypes(episode.support_x, episode.support_y)
        logits = keras.ops.convert_to_numpy(head(episode.query_x))
        accuracies.append(float(np.mean(np.argmax(logits, axis=-1) == episode.query_y)))
    accuracies = np.asarray(accuracies)
    std = float(np.std(accuracies, ddof=1))
    return {
        "accuracy": float(np.mean(accuracies)),
        "ci95": 1.96 * std / math.sqrt(len(accuracies)),
        "std": std,
        "episode_accuracies": accuracies.tolist(),
        "num_episodes": int(num_episodes),
        "num_ways": int(num_ways),
        "num_shots": int(num_shots),
        "num_queries": int(num_queries),
        "method": method_name,
    }


def _head(method, num_ways):
    check_int(num_ways, "num_ways", minimum=2)
    if isinstance(method, PrototypicalHead):
        if method.num_classes != num_ways:
            raise ValueError(
                f"The head's `num_classes` ({method.num_classes}) must equal `num_ways`. "
                f"Received: num_ways={num_ways}")
        return method, f"PrototypicalHead({method.distance})"
    if method == "prototypical":
        return PrototypicalHead(num_ways), method
    if method == "nearest_centroid":
        return PrototypicalHead(num_ways, distance="euclidean", normalize=False), method
    raise ValueError(
        f"`method` must be one of {list(_METHODS)} or a keras_transfer.PrototypicalHead. "
        f"Received: method={method!r}")


def _extract(feature_extractor, x, batch_size):
    parts = []
    for start in range(0, len(x), batch_size):
        batch = feature_extractor(x[start:start + batch_size], training=False)
        parts.append(np.asarray(keras.ops.convert_to_numpy(batch), "float32"))
    return np.concatenate(parts) if parts else np.zeros((0, 0), "float32")
