"""`ConsistencyModel`: a classifier trained with FixMatch's consistency loss on target rows."""

import keras
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.layers.image_augmentation import strong_image_augmentation
from keras_transfer.layers.image_augmentation import weak_image_augmentation
from keras_transfer.losses.consistency_loss import CONFIDENCE_THRESHOLD
from keras_transfer.losses.consistency_loss import confidence_mask
from keras_transfer.losses.consistency_loss import consistency_loss
from keras_transfer.utils.argument_validation import check_number


@keras_transfer_export("keras_transfer.ConsistencyModel")
class ConsistencyModel(keras.Model):
    """Trains a classifier on labelled source and unlabelled target rows, FixMatch-style.

    Takes the batches of `keras_transfer.data.domain_adaptation_dataset`
    (source rows labelled, target rows marked by `y["domain"] == 1`) and
    trains with plain `fit` (only `compute_loss` and `compute_metrics` are
    overridden; Keras' own `train_step` runs). Each training step:

    1. `y_pred = classifier(weak_augmentation(x))` for the whole batch;
    2. the supervised loss is the compiled loss on the source rows only
       (their mean, whatever the loss' reduction), plus the model's
       regularization losses;
    3. the target rows of `y_pred` (weak views) give pseudo-labels where
       their max probability is `>= confidence_threshold`; a second pass,
       `classifier(strong_augmentation(target_x))`, is trained towards them:

    ```
    loss = CE(source labels, source predictions)
           + consistency_weight * keras_transfer.consistency_loss(weak, strong, τ)
    ```

    This is FixMatch (Sohn et al. 2020) with the target domain as the
    unlabelled data, the "self-ensembling"/consistency family of domain
    adaptation. The compiled metrics see the source rows only; two more
    metrics are logged in training: `consistency_loss` and
    `pseudo_label_rate` (the share of target rows above the threshold).

    Outside training, `model(x)` is `classifier(x)`, and `evaluate` takes
    plain `(x, y)` data (e.g. the labelled target test set) as well as the
    mixed batches. `model.classifier` (or
    `keras_transfer.extract_classifier(model)`) is the trained classifier,
    sharing its weights.

    Args:
        classifier: `keras.Model`. Maps a batch of inputs to class
            probabilities `[batch, classes]` (softmax output, as every
            keras_transfer builder's classifier has).
        weak_augmentation: a Keras layer or callable `f(x, training=...)`.
            Defaults to `None`: for image inputs (4-D),
            `keras_transfer.weak_image_augmentation()`; other inputs must
            pass one (for text, e.g. a token dropout layer; `lambda x,
            training: x` for none).
        strong_augmentation: the same, for the strong views. Defaults to
            `None`: for images, `keras_transfer.strong_image_augmentation()`
            with `value_range=(0, 255)`; pass your own for other pixel
            ranges.
        confidence_threshold: float. τ, in [0, 1]. Defaults to `0.95`.
        consistency_weight: float. λ, finite and >= 0. Defaults to `1.0`.
        **kwargs: `keras.Model` keyword arguments (`name`).

    Raises:
        ValueError: for a bad argument, or missing augmentations for
            inputs that are not images.

    Example:

    ```python
    classifier = keras_transfer.build_image_classifier(
        "efficientnet_lite0", num_classes=10, compile=False)
    model = keras_transfer.ConsistencyModel(classifier)
    model.compile(optimizer=keras.optimizers.Adam(1e-4),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    train = keras_transfer.data.domain_adaptation_dataset(
        (source_images, source_labels), target_images, batch_size=32)
    model.fit(train, epochs=10)
    model.evaluate(target_test_images, target_test_labels)
    ```

    Plain Python callables work for training, but only Keras layers (and
    registered functions) survive `get_config` and a `.keras` file.
    """

    def __init__(self, classifier, weak_augmentation=None, strong_augmentation=None,
                 confidence_threshold=CONFIDENCE_THRESHOLD, consistency_weight=1.0,
                 **kwargs):
        super().__init__(**kwargs)
        if not isinstance(classifier, keras.Model):
            raise ValueError(
                "`classifier` must be a keras.Model that outputs class probabilities. "
                f"Received: classifier={classifier!r}")
        check_number(confidence_threshold, "confidence_threshold", 0, 1)
        check_number(consistency_weight, "consistency_weight", minimum=0, finite=True)
        if weak_augmentation is None or strong_augmentation is None:
            _check_image_inputs(classifier)
        self.classifier = classifier
        self.weak_augmentation = (weak_image_augmentation() if weak_augmentation is None
                                  else weak_augmentation)
        self.strong_augmentation = (strong_image_augmentation() if strong_augmentation is None
                                    else strong_augmentation)
        self.confidence_threshold = float(confidence_threshold)
        self.consistency_weight = float(consistency_weight)
        self.consistency_tracker = keras.metrics.Mean(name="consistency_loss")
        self.pseudo_label_tracker = keras.metrics.Mean(name="pseudo_label_rate")

    def build(self, input_shape):
        for augmentation in (self.weak_augmentation, self.strong_augmentation):
            if isinstance(augmentation, keras.layers.Layer) and not augmentation.built:
                augmentation.build(input_shape)
        self.built = True

    def call(self, inputs, training=None):
        if training:
            inputs = self.weak_augmentation(inputs, training=True)
        return self.classifier(inputs, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        labels, weights, is_target = _unpack(y, sample_weight)
        if is_target is None:  # plain (x, y) data: the compiled loss alone
            return super().compute_loss(x, labels, y_pred, weights, training=training)
        is_source = tf.logical_not(is_target)
        supervised = super().compute_loss(
            x, tf.boolean_mask(labels, is_source), tf.boolean_mask(y_pred, is_source),
            None, training=training)
        if not training:
            return supervised
        weak = tf.boolean_mask(y_pred, is_target)
        target_x = tf.nest.map_structure(lambda t: tf.boolean_mask(t, is_target), x)
        strong = self.classifier(self.strong_augmentation(target_x, training=True),
                                 training=True)
        unlabelled = consistency_loss(weak, strong, self.confidence_threshold)
        self.consistency_tracker.update_state(unlabelled)
        self.pseudo_label_tracker.update_state(
            confidence_mask(weak, self.confidence_threshold))
        return supervised + tf.cast(self.consistency_weight * unlabelled, supervised.dtype)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        labels, weights, is_target = _unpack(y, sample_weight)
        if is_target is not None:
            is_source = tf.logical_not(is_target)
            labels = tf.boolean_mask(labels, is_source)
            y_pred = tf.boolean_mask(y_pred, is_source)
            weights = None
        return super().compute_metrics(x, labels, y_pred, weights)

    def get_config(self):
        config = super().get_config()
        config.update({
            "classifier": keras.saving.serialize_keras_object(self.classifier),
            "weak_augmentation": keras.saving.serialize_keras_object(self.weak_augmentation),
            "strong_augmentation": keras.saving.serialize_keras_object(
                self.strong_augmentation),
            "confidence_threshold": self.confidence_threshold,
            "consistency_weight": self.consistency_weight,
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for key in ("classifier", "weak_augmentation", "strong_augmentation"):
            config[key] = keras.saving.deserialize_keras_object(
                config[key], custom_objects=custom_objects)
        return cls(**config)


def _unpack(y, sample_weight):
    """`(labels, label_weights, is_target)`; `is_target` is None for plain labels."""
    if not isinstance(y, dict):
        return y, sample_weight, None
    if "label" not in y or "domain" not in y:
        raise ValueError(
            "ConsistencyModel takes plain labels or the {'label', 'domain'} targets of "
            f"keras_transfer.data.domain_adaptation_dataset. Received keys {sorted(y)}")
    weights = sample_weight.get("label") if isinstance(sample_weight, dict) else None
    is_target = tf.reshape(tf.cast(y["domain"], tf.float32), [-1]) > 0.5
    return y["label"], weights, is_target


def _check_image_inputs(classifier):
    shapes = [tuple(t.shape) for t in classifier.inputs] if classifier.inputs else None
    if not shapes or len(shapes) != 1 or len(shapes[0]) != 4:
        raise ValueError(
            "Default augmentations exist for image classifiers only (one 4-D input). "
            f"Received a classifier with inputs {shapes}: pass `weak_augmentation` and "
            "`strong_augmentation` (Keras layers, e.g. keras.layers.Dropout on token "
            "embeddings or a token-dropout layer for text).")
