import keras
import numpy as np

from keras_transfer.data.episode_sampler import EpisodeSampler
from keras_transfer.heads.classification_head import ClassificationHead
from keras_transfer.heads.prototypical_head import PrototypicalHead
from keras_transfer.testing import TestCase


def _reference_logits(support, labels, query, num_classes, distance, normalize, scale):
    """Prototypical network logits in float64 NumPy, written out the long way."""
    support, query = support.astype("float64"), query.astype("float64")
    if normalize:
        support = support / np.linalg.norm(support, axis=1, keepdims=True)
        query = query / np.linalg.norm(query, axis=1, keepdims=True)
    prototypes = np.stack([support[labels == c].mean(axis=0) for c in range(num_classes)])
    logits = np.zeros((len(query), num_classes))
    for i, q in enumerate(query):
        for c, p in enumerate(prototypes):
            if distance == "cosine":
                logits[i, c] = scale * q @ p / (np.linalg.norm(q) * np.linalg.norm(p))
            else:
                logits[i, c] = -scale * np.sum((q - p) ** 2)
    return prototypes, logits


def _separable(num_classes=10, per_class=40, dim=16, noise=0.5, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(num_classes, dim)) * 2.0
    y = np.repeat(np.arange(num_classes), per_class)
    x = centers[y] + noise * rng.normal(size=(len(y), dim))
    return x.astype("float32"), y


class PrototypicalHeadTest(TestCase):
    def test_logits_match_numpy_reference(self):
        rng = np.random.default_rng(0)
        support = rng.normal(size=(12, 5)).astype("float32") + 0.5
        labels = np.repeat(np.arange(3), 4)
        query = rng.normal(size=(7, 5)).astype("float32")
        for distance, normalize, scale, expected_scale in (
                ("cosine", True, None, 10.0), ("cosine", False, 3.0, 3.0),
                ("euclidean", False, None, 1.0), ("euclidean", True, 2.5, 2.5)):
            head = PrototypicalHead(3, distance=distance, normalize=normalize, scale=scale)
            head.set_prototypes(support, labels)
            prototypes, logits = _reference_logits(support, labels, query, 3, distance,
                                                   normalize, expected_scale)
            self.assertAllClose(head.prototypes.numpy(), prototypes, atol=1e-5)
            self.assertAllClose(keras.ops.convert_to_numpy(head(query)), logits, atol=1e-4,
                                msg=f"{distance}, normalize={normalize}")
            # The same through compute_prototypes and call(prototypes=...).
            fresh = PrototypicalHead(3, distance=distance, normalize=normalize, scale=scale)
            in_graph = fresh(query, prototypes=fresh.compute_prototypes(support, labels))
            self.assertAllClose(keras.ops.convert_to_numpy(in_graph), logits, atol=1e-4)

    def test_serialization_keeps_prototypes_and_scale(self):
        inputs = keras.Input((4,))
        head = PrototypicalHead(3, distance="euclidean", normalize=False, scale=0.5,
                                trainable_scale=True, name="proto")
        model = keras.Model(inputs, head(inputs))
        rng = np.random.default_rng(2)
        head.set_prototypes(rng.normal(size=(6, 4)), [0, 1, 2, 0, 1, 2])
        head.scale_weight.assign(0.75)
        x = rng.normal(size=(5, 4)).astype("float32")
        reloaded = self.run_serialization_test(model, x, safe_mode=True)
        layer = reloaded.get_layer("proto")
        self.assertAllClose(layer.prototypes.numpy(), head.prototypes.numpy())
        self.assertAllClose(float(layer.scale_weight.numpy()), 0.75)
        self.assertEqual([w.path.split("/", 1)[1] for w in layer.trainable_weights], ["scale"])
        self.assertEqual((layer.num_classes, layer.distance, layer.normalize, layer.scale),
                         (3, "euclidean", False, 0.5))

    def test_dense_weights_reproduce_the_head(self):
        rng = np.random.default_rng(3)
        support = rng.normal(size=(8, 6)).astype("float32")
        labels = np.repeat(np.arange(4), 2)
        query = rng.normal(size=(9, 6)).astype("float32")
        # Euclidean: identical softmax probabilities from a ClassificationHead.
        head = PrototypicalHead(4, distance="euclidean", normalize=False, scale=0.3)
        head.set_prototypes(support, labels)
        classifier = ClassificationHead(4)
        classifier.build((None, 6))
        classifier.dense.set_weights(head.to_dense_weights())
        expected = keras.ops.convert_to_numpy(keras.ops.softmax(head(query)))
        self.assertAllClose(keras.ops.convert_to_numpy(classifier(query)), expected, atol=1e-5)
        # Cosine: identical probabilities on unit-norm inputs.
        head = PrototypicalHead(4)
        head.set_prototypes(support, labels)
        classifier.dense.set_weights(head.to_dense_weights())
        unit = query / np.linalg.norm(query, axis=1, keepdims=True)
        self.assertAllClose(keras.ops.convert_to_numpy(classifier(unit)),
                            keras.ops.convert_to_numpy(keras.ops.softmax(head(query))),
                            atol=1e-5)
        with self.assertRaisesRegex(ValueError, "no prototypes yet"):
            PrototypicalHead(2).to_dense_weights()

    def test_separable_episodes_prototypes_beat_a_random_head(self):
        x, y = _separable()
        sampler = EpisodeSampler(x, y, num_ways=5, num_shots=1, num_queries=10, seed=0)
        head = PrototypicalHead(5)
        random_head = ClassificationHead(5)
        proto_accuracy, random_accuracy = [], []
        for episode in sampler.episodes(40):
            head.set_prototypes(episode.support_x, episode.support_y)
            predicted = np.argmax(keras.ops.convert_to_numpy(head(episode.query_x)), -1)
            proto_accuracy.append(np.mean(predicted == episode.query_y))
            predicted = np.argmax(keras.ops.convert_to_numpy(random_head(episode.query_x)), -1)
            random_accuracy.append(np.mean(predicted == episode.query_y))
        self.assertGreaterEqual(np.mean(proto_accuracy), 0.95)
        self.assertLess(np.mean(random_accuracy), 0.5)

    def test_argument_and_label_errors(self):
        with self.assertRaisesRegex(ValueError, r"`distance` must be one of \['cosine', "
                                                r"'euclidean'\]. Received: distance='l1'"):
            PrototypicalHead(3, distance="l1")
        with self.assertRaisesRegex(ValueError, "`num_classes` must be an integer >= 2"):
            PrototypicalHead(1)
        with self.assertRaisesRegex(ValueError, "`scale` must be a number > 0"):
            PrototypicalHead(3, scale=0.0)
        head = PrototypicalHead(3)
        with self.assertRaisesRegex(ValueError, r"Missing: \[2\]; out of range: \[5\]"):
            head.set_prototypes(np.ones((3, 2)), [0, 1, 5])

    def test_output_is_float32_under_mixed_precision(self):
        keras.config.set_dtype_policy("mixed_float16")
        head = PrototypicalHead(2)
        logits = head(np.ones((3, 4), "float16"),
                      prototypes=np.eye(2, 4, dtype="float32"))
        self.assertEqual(keras.backend.standardize_dtype(logits.dtype), "float32")
