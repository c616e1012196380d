"""`EpisodeSampler`: N-way K-shot episodes from any labelled source."""

from typing import NamedTuple

import numpy as np
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.argument_validation import check_int


class Episode(NamedTuple):
    """One N-way K-shot episode (see `keras_transfer.data.EpisodeSampler`).

    Labels are episode labels `0 .. num_ways - 1`; `classes[i]` is the source
    label of episode class `i`. Examples come class by class: support
    example `j` has label `j // num_shots`, query example `j` label
    `j // num_queries`.
    """

    support_x: np.ndarray
    support_y: np.ndarray
    query_x: np.ndarray
    query_y: np.ndarray
    classes: np.ndarray
    support_indices: np.ndarray
    query_indices: np.ndarray


@keras_transfer_export("keras_transfer.data.EpisodeSampler")
class EpisodeSampler:
    """Samples N-way K-shot episodes from labelled arrays or a finite `tf.data`.

    An episode draws `num_ways` classes, then for each class `num_shots`
    support examples and `num_queries` query examples, all distinct: no
    example is both in the support and the query set of one episode. It is
    the evaluation protocol of few-shot learning (Vinyals et al. 2016; Snell
    et al. 2017) and the training data of episodic fine-tuning
    (`keras_transfer.ProtoNet`).

    Episode `i` depends only on `seed` and `i` (its generator is
    `np.random.default_rng([seed, i])`), so the same sampler always gives
    the same episodes in the same order, and two methods evaluated with the
    same seed see exactly the same episodes.

    A `tf.data.Dataset` source is read once into memory; it must be finite
    and yield `(x, y)` pairs of single examples or batches, with integer
    class labels.

    Args:
        x: array of examples `(n, ...)` (images, features, strings), or a
            finite `tf.data.Dataset` of `(x, y)`, in which case `y` must be
            `None`.
        y: array of int. Class labels `(n,)`. Defaults to `None` (only for a
            dataset source).
        num_ways: int. Classes per episode (N), at least 2. Defaults to `5`.
        num_shots: int. Support examples per class (K), at least 1. Defaults
            to `1`.
        num_queries: int. Query examples per class (Q), at least 1. Defaults
            to `15`.
        classes: sequence of int. The source labels episodes draw from, e.g.
            the novel classes held out of episodic training. Defaults to
            `None` (every label in `y`).
        seed: int. Seed of the episodes. Defaults to `0`.

    Raises:
        ValueError: if an argument is invalid, a class in `classes` has fewer
            than `num_shots + num_queries` examples (the message lists those
            classes with their counts), there are fewer than `num_ways`
            classes, or a dataset source is infinite.

    Example:

    ```python
    x, y, _ = keras_transfer.data.load_dataset("fashion_mnist", split="test")
    sampler = keras_transfer.data.EpisodeSampler(x, y, num_ways=5, num_shots=1)
    episode = sampler.sample(0)
    episode.support_x.shape, episode.query_y.shape  # (5, 28, 28), (75,)
    ```
    """

    def __init__(self, x, y=None, num_ways=5, num_shots=1, num_queries=15, classes=None,
                 seed=0):
        check_int(num_ways, "num_ways", minimum=2)
        check_int(num_shots, "num_shots", minimum=1)
        check_int(num_queries, "num_queries", minimum=1)
        check_int(seed, "seed", minimum=0)
        if isinstance(x, tf.data.Dataset):
            if y is not None:
                raise ValueError(
                    "`y` must be None when `x` is a tf.data.Dataset of (x, y) pairs. "
                    f"Received: y of type {type(y).__name__}")
            x, y = _read_dataset(x)
        elif y is None:
            raise ValueError(
                "`y` (the class labels) is required when `x` is an array. Received: y=None")
        self.x = np.asarray(x)
        self.y = _integer_labels(y, len(self.x))
        self.num_ways = int(num_ways)
        self.num_shots = int(num_shots)
        self.num_queries = int(num_queries)
        self.seed = int(seed)

        present, counts = np.unique(self.y, return_counts=True)
        count_of = dict(zip(present.tolist(), counts.tolist()))
        if classes is None:
            classes = present.tolist()
        else:
            classes = [int(c) for c in np.asarray(classes).reshape(-1)]
            if len(set(classes)) != len(classes):
                raise ValueError(f"`classes` must not repeat a label. Received: classes={classes}")
        needed = self.num_shots + self.num_queries
        too_small = {c: count_of.get(c, 0) for c in classes if count_of.get(c, 0) < needed}
        if too_small:
            listed = ", ".join(f"{c} ({n})" for c, n in sorted(too_small.items()))
            raise ValueError(
                f"Every class must have at least num_shots + num_queries = {needed} "
                f"examples. These classes have fewer (count in parentheses): {listed}. "
                "Lower `num_shots` or `num_queries`, or leave these classes out with "
                "`classes=`.")
        if len(classes) < self.num_ways:
            raise ValueError(
                f"`num_ways` must be at most the number of classes ({len(classes)}: "
                f"{sorted(classes)}). Received: num_ways={num_ways}")
        self.classes = np.asarray(sorted(classes), dtype="int64")
        self._indices = {c: np.flatnonzero(self.y == c) for c in self.classes.tolist()}

    def sample(self, index):
        """Returns episode number `index` (an `Episode`).

        Args:
            index: int >= 0. The episode's number; the same `index` always
                gives the same episode.

        Returns:
            `Episode(support_x, support_y, query_x, query_y, classes,
            support_indices, query_indices)`: `num_ways * num_shots` support
            and `num_ways * num_queries` query examples, class by class, with
            int32 episode labels; the indices point into the source arrays.
        """
        check_int(index, "index", minimum=0)
        rng = np.random.default_rng([self.seed, int(index)])
        classes = rng.choice(self.classes, size=self.num_ways, replace=False)
        support, query = [], []
        for c in classes.tolist():
            chosen = rng.choice(self._indices[c], size=self.num_shots + self.num_queries,
                                replace=False)
            support.append(chosen[:self.num_shots])
            query.append(chosen[self.num_shots:])
        support = np.concatenate(support)
        query = np.concatenate(query)
        ways = np.arange(self.num_ways, dtype="int32")
        return Episode(
            support_x=self.x[support],
            support_y=np.repeat(ways, self.num_shots),
            query_x=self.x[query],
            query_y=np.repeat(ways, self.num_queries),
            classes=classes,
            support_indices=support,
            query_indices=query,
        )

    def episodes(self, num_episodes, start=0):
        """Yields episodes `start, ..., start + num_episodes - 1`.

        Args:
            num_episodes: int >= 1. How many episodes.
            start: int >= 0. The number of the first one. Defaults to `0`.

        Yields:
            `Episode`s.
        """
        check_int(num_episodes, "num_episodes", minimum=1)
        check_int(start, "start", minimum=0)
        for index in range(start, start + num_episodes):
            yield self.sample(index)

    def as_dataset(self, num_episodes=None, start=0):
        """A `tf.data.Dataset` of episodes for `model.fit` (one episode a step).

        Each element is `({"support": support_x, "support_labels": support_y,
        "query": query_x}, query_y)`, the inputs and targets of
        `keras_transfer.ProtoNet`. Do not batch it: an episode is a batch.

        Args:
            num_episodes: int or None. Episodes in the dataset. Defaults to
                `None`: endless (pass `steps_per_epoch` to `fit`); each epoch
                of a finite dataset repeats the same episodes.
            start: int >= 0. The number of the first episode. Defaults to
                `0`.

        Returns:
            A `tf.data.Dataset`.
        """
        check_int(num_episodes, "num_episodes", minimum=1, allow_none=True)
        check_int(start, "start", minimum=0)
        support_size = self.num_ways * self.num_shots
        query_size = self.num_ways * self.num_queries
        x_dtype = tf.string if self.x.dtype.kind in "OUS" else tf.as_dtype(self.x.dtype)
        shape = self.x.shape[1:]

        def generate():
            index = start
            while num_episodes is None or index < start + num_episodes:
                episode = self.sample(index)
                yield ({"support": episode.support_x, "support_labels": episode.support_y,
                        "query": episode.query_x}, episode.query_y)
                index += 1

        signature = (
            {"support": tf.TensorSpec((support_size, *shape), x_dtype),
             "support_labels": tf.TensorSpec((support_size,), tf.int32),
             "query": tf.TensorSpec((query_size, *shape), x_dtype)},
            tf.TensorSpec((query_size,), tf.int32),
        )
        dataset = tf.data.Dataset.from_generator(generate, output_signature=signature)
        # A known cardinality: `fit` then counts steps (and metrics) exactly.
        cardinality = tf.data.INFINITE_CARDINALITY if num_episodes is None else num_episodes
        return dataset.apply(tf.data.experimental.assert_cardinality(cardinality))


def _read_dataset(dataset):
    if dataset.cardinality() == tf.data.INFINITE_CARDINALITY:
        raise ValueError(
            "`x` must be a finite tf.data.Dataset (it is read into memory once). "
            "Received: an infinite dataset (remove `.repeat()`)")
    spec = dataset.element_spec
    if not (isinstance(spec, tuple) and len(spec) == 2):
        raise ValueError(
            "`x` must be a tf.data.Dataset of (x, y) pairs. Received: a dataset with "
            f"element_spec={spec}")
    batched = spec[1].shape.rank == 1
    xs, ys = [], []
    for x, y in dataset.as_numpy_iterator():
        xs.append(x if batched else x[None])
        ys.append(np.reshape(y, (-1,)))
    if not xs:
        raise ValueError("`x` must be a non-empty tf.data.Dataset. Received: an empty dataset")
    return np.concatenate(xs), np.concatenate(ys)


def _integer_labels(y, num_examples):
    labels = np.asarray(y)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(
            "`y` must hold integer class labels of shape (n,). Received: y with "
            f"shape={labels.shape} and dtype={labels.dtype}")
    if len(labels) != num_examples:
        raise ValueError(
            f"`x` and `y` must have as many examples. Received: {num_examples} examples "
            f"and y with shape={labels.shape}")
    return labels.astype("int64")
