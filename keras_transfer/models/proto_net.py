"""`ProtoNet`: a backbone trained on episodes through a `PrototypicalHead`."""

import keras
from keras import ops

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.heads.prototypical_head import PrototypicalHead


@keras_transfer_export("keras_transfer.ProtoNet")
class ProtoNet(keras.Model):
    """Episodic fine-tuning of a backbone with plain `model.fit`.

    Takes one episode, `{"support": [N*K, ...], "support_labels": [N*K],
    "query": [N*Q, ...]}`, and returns the query logits `[N*Q, N]`: the
    backbone embeds support and query examples in one batch, the head
    averages the support features per class into prototypes
    (`PrototypicalHead.compute_prototypes`) and scores the queries against
    them. Trained with sparse categorical cross-entropy on the query labels,
    this is Snell et al.'s (2017) prototypical network; the gradient flows
    through the prototypes into the backbone. No custom `train_step` is
    needed: `keras_transfer.data.EpisodeSampler.as_dataset` yields exactly
    `(inputs, query_labels)` pairs, one episode per step.

    After training, the backbone is an ordinary feature extractor: evaluate
    it with `keras_transfer.evaluate_episodes`, or classify with
    `head.set_prototypes(backbone.predict(x), y)` and
    `keras.Sequential([backbone, head])`.

    Args:
        backbone: a Keras layer or model mapping a batch of examples to
            features `[batch, features]` (a `keras_transfer.HubBackbone`
            with `trainable=True`, a feature extractor, any Keras model).
        head: `keras_transfer.PrototypicalHead`. Its `num_classes` is the
            number of ways of the episodes.
        **kwargs: `keras.Model` keyword arguments (`name`).

    Raises:
        ValueError: if `head` is not a `PrototypicalHead`.

    Example:

    ```python
    sampler = keras_transfer.data.EpisodeSampler(x, y, num_ways=5, num_shots=5)
    model = keras_transfer.ProtoNet(backbone, keras_transfer.PrototypicalHead(5))
    model.compile(
        optimizer=keras.optimizers.Adam(1e-4),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"])
    model.fit(sampler.as_dataset(), steps_per_epoch=100, epochs=3)
    ```
    """

    def __init__(self, backbone, head, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(head, PrototypicalHead):
            raise ValueError(
                "`head` must be a keras_transfer.PrototypicalHead. "
                f"Received: head={head!r}")
        self.backbone = backbone
        self.head = head

    def call(self, inputs, training=None):
        support, query = inputs["support"], inputs["query"]
        num_support = ops.shape(support)[0]
        features = self.backbone(ops.concatenate([support, query], axis=0), training=training)
        prototypes = self.head.compute_prototypes(features[:num_support],
                                                  inputs["support_labels"])
        return self.head(features[num_support:], prototypes=prototypes)

    def get_config(self):
        config = super().get_config()
        config.update({
            "backbone": keras.saving.serialize_keras_object(self.backbone),
            "head": keras.saving.serialize_keras_object(self.head),
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["backbone"] = keras.saving.deserialize_keras_object(
            config["backbone"], custom_objects=custom_objects)
        config["head"] = keras.saving.deserialize_keras_object(
            config["head"], custom_objects=custom_objects)
        return cls(**config)
