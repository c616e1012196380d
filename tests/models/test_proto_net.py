import keras
import numpy as np

from keras_transfer.data.episode_sampler import EpisodeSampler
from keras_transfer.evaluation.evaluate_episodes import evaluate_episodes
from keras_transfer.heads.prototypical_head import PrototypicalHead
from keras_transfer.layers.hub_backbone import HubBackbone
from keras_transfer.models.proto_net import ProtoNet
from tests import savedmodels
from keras_transfer.testing import TestCase


def _nuisance_task(num_classes=12, per_class=30, seed=0):
    """Classes differ in 4 of 16 dimensions; the other 12 are loud noise."""
    rng = np.random.default_rng(seed)
    centers = np.zeros((num_classes, 16))
    centers[:, :4] = rng.normal(size=(num_classes, 4)) * 1.5
    y = np.repeat(np.arange(num_classes), per_class)
    x = centers[y] + rng.normal(size=(len(y), 16)) * np.r_[np.full(4, 0.3), np.full(12, 3.0)]
    return x.astype("float32"), y


def _compile(model, learning_rate=1e-2):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


class ProtoNetTest(TestCase):
    def test_episodic_fit_lowers_loss_and_helps_novel_classes(self):
        x, y = _nuisance_task()
        train_classes, novel_classes = list(range(8)), list(range(8, 12))
        backbone = keras.Sequential([keras.Input((16,)), keras.layers.Dense(8)],
                                    name="backbone")
        sampler = EpisodeSampler(x, y, num_ways=4, num_shots=3, num_queries=5,
                                 classes=train_classes, seed=0)
        model = _compile(ProtoNet(backbone, PrototypicalHead(4, distance="euclidean")))
        kernel_before = backbone.layers[0].kernel.numpy().copy()

        def novel_accuracy():
            return evaluate_episodes(backbone, x, y, num_ways=4, num_shots=3, num_queries=5,
                                     num_episodes=60, classes=novel_classes,
                                     method="nearest_centroid", seed=1)["accuracy"]

        before = novel_accuracy()
        history = model.fit(sampler.as_dataset(40), epochs=4, verbose=0)
        after = novel_accuracy()

        losses = history.history["loss"]
        self.assertLess(losses[-1], 0.6 * losses[0], losses)
        self.assertGreater(history.history["accuracy"][-1], history.history["accuracy"][0])
        self.assertGreater(np.abs(backbone.layers[0].kernel.numpy() - kernel_before).max(), 0.05)
        # What was learned on the training classes transfers to unseen ones.
        self.assertGreater(after, before + 0.1, (before, after))

    def test_logits_are_the_heads_on_backbone_features(self):
        x, y = _nuisance_task(num_classes=3, per_class=6)
        backbone = keras.Sequential([keras.Input((16,)), keras.layers.Dense(5)])
        head = PrototypicalHead(3)
        model = ProtoNet(backbone, head)
        episode = EpisodeSampler(x, y, num_ways=3, num_shots=2, num_queries=3).sample(0)
        logits = model({"support": episode.support_x, "support_labels": episode.support_y,
                        "query": episode.query_x})
        head.set_prototypes(backbone(episode.support_x), episode.support_y)
        self.assertAllClose(keras.ops.convert_to_numpy(logits),
                            keras.ops.convert_to_numpy(head(backbone(episode.query_x))),
                            atol=1e-5)

    def test_keras_file_round_trip(self):
        x, y = _nuisance_task(num_classes=3, per_class=6)
        backbone = keras.Sequential([keras.Input((16,)), keras.layers.Dense(5)])
        model = _compile(ProtoNet(backbone, PrototypicalHead(3, trainable_scale=True)))
        dataset = EpisodeSampler(x, y, num_ways=3, num_shots=2, num_queries=3).as_dataset(2)
        model.fit(dataset, verbose=0)
        inputs = next(iter(dataset))[0]
        reloaded = self.run_serialization_test(model, inputs, atol=1e-5, safe_mode=True)
        self.assertIsInstance(reloaded.head, PrototypicalHead)
        self.assertTrue(reloaded.head.trainable_scale)

    def test_trains_a_hub_backbone(self):
        backbone = HubBackbone(savedmodels.image_feature_vector(self.temp_dir()),
                               trainable=True, name="backbone")
        rng = np.random.default_rng(0)
        x = rng.uniform(size=(24, 8, 8, 3)).astype("float32")
        y = np.repeat(np.arange(3), 8)
        model = _compile(ProtoNet(backbone, PrototypicalHead(3)), learning_rate=1e-2)
        before = self.weights_snapshot(backbone.trainable_weights)
        sampler = EpisodeSampler(x, y, num_ways=3, num_shots=2, num_queries=2)
        model.fit(sampler.as_dataset(3), verbose=0)
        after = self.weights_snapshot(backbone.trainable_weights)
        self.assertGreater(len(before), 0)
        self.assertTrue(any(np.abs(a - b).max() > 0 for a, b in zip(before, after)))

    def test_head_must_be_prototypical(self):
        with self.assertRaisesRegex(ValueError, "`head` must be a keras_transfer."
                                                "PrototypicalHead. Received: head=<Dense"):
            ProtoNet(keras.layers.Dense(3), keras.layers.Dense(3))
