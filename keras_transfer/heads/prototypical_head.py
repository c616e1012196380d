"""`PrototypicalHead`: logits from the distance to class prototypes."""

import keras
import numpy as np
from keras import ops

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.argument_validation import check_int, check_one_of, check_positive

_DISTANCES = ("cosine", "euclidean")
_EPSILON = 1e-12


@keras_transfer_export("keras_transfer.PrototypicalHead")
class PrototypicalHead(keras.layers.Layer):
    """Classifies features by their similarity to one prototype per class.

    The prototype of a class is the mean of its support features (Snell et
    al. 2017, "Prototypical Networks"), L2-normalised first when `normalize`
    is set. The logits of a feature vector `x` are

    - `distance="cosine"`: `scale * cos(x, prototype)` (a cosine classifier
      with a temperature, Chen et al. 2019);
    - `distance="euclidean"`: `-scale * ||x - prototype||^2`.

    The prototypes are a (non-trainable) weight of shape
    `(num_classes, features)`, set from labelled features with
    `set_prototypes`, and saved with the model in `.keras` files. Passing
    `prototypes=` to `call` uses other prototypes instead, computed with
    `compute_prototypes` from a support set inside the graph: that is how
    `keras_transfer.ProtoNet` trains a backbone on episodes.

    `to_dense_weights` turns the prototypes into the kernel and bias of a
    Dense layer (a `keras_transfer.ClassificationHead`), to start
    fine-tuning from the prototype classifier instead of a random head.

    Args:
        num_classes: int. Number of classes (the N of an N-way episode), at
            least 2.
        distance: str. `"cosine"` or `"euclidean"`. Defaults to `"cosine"`.
        normalize: bool. L2-normalise every feature vector (support and
            query) before averaging and comparing. Defaults to `True`.
        scale: float or None. Multiplies the similarity (the inverse of a
            softmax temperature). Defaults to `None`: 10 for cosine, 1 for
            euclidean.
        trainable_scale: bool. Learn `scale` with the model. Defaults to
            `False`.
        **kwargs: Base layer keyword arguments (`name`, `dtype`).

    Call arguments:
        inputs: a float tensor `[batch, features]`.
        prototypes: optional float tensor `[num_classes, features]` used
            instead of the stored prototypes.

    Returns:
        float32 logits `[batch, num_classes]`.

    Raises:
        ValueError: if `num_classes`, `distance` or `scale` is invalid.

    Example:

    ```python
    head = keras_transfer.PrototypicalHead(3)
    head.set_prototypes(support_features, support_labels)  # labels in 0..2
    logits = head(query_features)  # (len(query_features), 3)
    ```
    """

    def __init__(self, num_classes, distance="cosine", normalize=True, scale=None,
                 trainable_scale=False, **kwargs):
        super().__init__(**kwargs)
        check_int(num_classes, "num_classes", minimum=2)
        check_one_of(distance, "distance", _DISTANCES)
        check_positive(scale, "scale", allow_none=True)
        self.num_classes = int(num_classes)
        self.distance = distance
        self.normalize = bool(normalize)
        self.scale = None if scale is None else float(scale)
        self.trainable_scale = bool(trainable_scale)

    def build(self, input_shape):
        features = input_shape[-1]
        if features is None:
            raise ValueError(
                "The last axis of the inputs of PrototypicalHead must be known. "
                f"Received: input_shape={input_shape}")
        self.prototypes = self.add_weight(
            name="prototypes", shape=(self.num_classes, features), initializer="zeros",
            trainable=False, dtype="float32")
        default = 10.0 if self.distance == "cosine" else 1.0
        self.scale_weight = self.add_weight(
            name="scale", shape=(), dtype="float32", trainable=self.trainable_scale,
            initializer=keras.initializers.Constant(
                self.scale if self.scale is not None else default))
        self.built = True

    def _features(self, x):
        x = ops.cast(x, "float32")
        return _l2_normalize(x) if self.normalize else x

    def compute_prototypes(self, features, labels):
        """The class means of `features` (normalised first if `normalize`).

        Differentiable, so a backbone can be trained through it.

        Args:
            features: float tensor `[n, features]`.
            labels: int tensor `[n]` of classes in `0 .. num_classes - 1`.

        Returns:
            float32 tensor `[num_classes, features]`. A class without any
            example gets a zero prototype.
        """
        features = self._features(features)
        one_hot = ops.one_hot(ops.cast(ops.reshape(labels, (-1,)), "int32"), self.num_classes,
                              dtype="float32")
        sums = ops.matmul(ops.transpose(one_hot), features)
        counts = ops.sum(one_hot, axis=0)[:, None]
        return sums / ops.maximum(counts, 1.0)

    def set_prototypes(self, features, labels):
        """Stores the class means of labelled features as the prototypes.

        Args:
            features: float array `[n, features]` (a backbone's outputs).
            labels: int array `[n]`, every class in `0 .. num_classes - 1`
                present at least once.

        Raises:
            ValueError: if a label is out of range or a class has no example.
        """
        labels = np.asarray(labels).reshape(-1)
        missing = sorted(set(range(self.num_classes)) - set(labels.tolist()))
        outside = sorted(set(labels.tolist()) - set(range(self.num_classes)))
        if missing or outside:
            raise ValueError(
                f"`labels` must hold every class 0..{self.num_classes - 1} and nothing "
                f"else. Missing: {missing}; out of range: {outside}")
        features = ops.convert_to_tensor(np.asarray(features, "float32"))
        if not self.built:
            self.build(features.shape)
        self.prototypes.assign(self.compute_prototypes(features, labels))

    def call(self, inputs, prototypes=None):
        x = self._features(inputs)
        p = self.prototypes if prototypes is None else ops.cast(prototypes, "float32")
        if self.distance == "cosine":
            similarity = ops.matmul(_l2_normalize(x), ops.transpose(_l2_normalize(p)))
        else:
            similarity = -(ops.sum(ops.square(x), axis=-1, keepdims=True)
                           - 2.0 * ops.matmul(x, ops.transpose(p))
                           + ops.sum(ops.square(p), axis=-1)[None, :])
        return self.scale_weight * similarity

    def to_dense_weights(self):
        """The `[kernel, bias]` of a Dense layer that ranks classes as this head does.

        For `"euclidean"`, `-scale * ||x - p||^2 = scale * (2 x.p - ||p||^2)
        - scale * ||x||^2`; the last term is the same for every class, so the
        Dense layer with kernel `2 * scale * p^T` and bias
        `-scale * ||p||^2` gives the same softmax probabilities. For
        `"cosine"`, the kernel is `scale * p^T / ||p||` with a zero bias: the
        same probabilities for unit-norm inputs, the same ranking of classes
        for any input. With `normalize=True` the Dense layer sees
        unnormalised features, so the probabilities differ (the ranking does
        not, for cosine).

        Returns:
            A list `[kernel (features, num_classes), bias (num_classes,)]` of
            float32 NumPy arrays, for `dense.set_weights(...)`, e.g.
            `classification_head.dense.set_weights(head.to_dense_weights())`.

        Raises:
            ValueError: if the head is not built (no prototypes yet).
        """
        if not self.built:
            raise ValueError(
                "PrototypicalHead has no prototypes yet: call `set_prototypes` (or the "
                "layer) first.")
        p = keras.ops.convert_to_numpy(self.prototypes).astype("float64")
        scale = float(keras.ops.convert_to_numpy(self.scale_weight))
        if self.distance == "cosine":
            norms = np.maximum(np.linalg.norm(p, axis=1, keepdims=True), np.sqrt(_EPSILON))
            kernel = scale * (p / norms).T
            bias = np.zeros(self.num_classes)
        else:
            kernel = 2.0 * scale * p.T
            bias = -scale * np.sum(p * p, axis=1)
        return [kernel.astype("float32"), bias.astype("float32")]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.num_classes,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "num_classes": self.num_classes,
            "distance": self.distance,
            "normalize": self.normalize,
            "scale": self.scale,
            "trainable_scale": self.trainable_scale,
        })
        return config


def _l2_normalize(x):
    return x / ops.sqrt(ops.maximum(ops.sum(ops.square(x), axis=-1, keepdims=True), _EPSILON))
