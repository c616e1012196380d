import keras
import numpy as np

import keras_transfer
from keras_transfer.models.consistency_model import ConsistencyModel
from keras_transfer.testing import TestCase


def softmax(logits):
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def identity_classifier():
    """Logits == inputs: x -> softmax(x), so the test crafts logits directly."""
    inputs = keras.Input((3,))
    dense = keras.layers.Dense(3, kernel_initializer="identity", bias_initializer="zeros")
    outputs = keras.layers.Softmax()(dense(inputs))
    return keras.Model(inputs, outputs)


def image_classifier(size=8):
    return keras.Sequential([
        keras.Input((size, size, 1)),
        keras.layers.Rescaling(1 / 255),
        keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(3, activation="softmax"),
    ])


class ConsistencyModelTest(TestCase):
    def crafted(self, **kwargs):
        # The weak view is the input itself; the strong view halves the logits.
        model = ConsistencyModel(identity_classifier(), keras.layers.Identity(),
                                 keras.layers.Rescaling(0.5), **kwargs)
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        x = np.array([[1.0, 0.0, 0.0],    # source, label 0
                      [0.0, 2.0, 0.0],    # source, label 2
                      [4.0, 0.0, 0.0],    # target: p = 0.9646 >= 0.95 -> class 0
                      [2.0, 0.0, 0.0],    # target: p = 0.787, masked out
                      [0.0, 0.0, 5.0]],   # target: p = 0.9867 -> class 2
                     "float32")
        y = {"label": np.array([0, 2, 0, 0, 0]), "domain": np.array([0, 0, 1, 1, 1], "float32")}
        weights = {"label": np.array([1, 1, 0, 0, 0], "float32"), "domain": np.ones(5, "float32")}
        return model, x, y, weights

    def test_loss_equals_hand_computation(self):
        model, x, y, weights = self.crafted(consistency_weight=2.0)
        y_pred = model(x, training=True)
        loss = float(model.compute_loss(x, y, y_pred, weights, training=True))

        p = softmax(x.astype(np.float64))
        supervised = -(np.log(p[0, 0]) + np.log(p[1, 2])) / 2  # source rows only
        strong = softmax(0.5 * x.astype(np.float64))
        unlabelled = -(np.log(strong[2, 0]) + np.log(strong[4, 2])) / 3  # row 4 masked
        self.assertAllClose(loss, supervised + 2.0 * unlabelled, atol=1e-5)
        self.assertAllClose(float(model.consistency_tracker.result()), unlabelled, atol=1e-5)
        self.assertAllClose(float(model.pseudo_label_tracker.result()), 2 / 3, atol=1e-6)
        # Evaluation: the supervised part only.
        self.assertAllClose(
            float(model.compute_loss(x, y, model(x), weights, training=False)), supervised,
            atol=1e-5)
        # Plain labels (a labelled test set): the compiled loss on every row.
        plain = float(model.compute_loss(x, y["label"], model(x), None, training=False))
        self.assertAllClose(plain, -np.log(p[np.arange(5), y["label"]]).mean(), atol=1e-5)

    def test_threshold_decides_which_rows_count(self):
        model, x, y, weights = self.crafted(confidence_threshold=0.7)
        model.compute_loss(x, y, model(x, training=True), weights, training=True)
        self.assertAllClose(float(model.pseudo_label_tracker.result()), 1.0)
        model, x, y, weights = self.crafted(confidence_threshold=0.97)
        model.compute_loss(x, y, model(x, training=True), weights, training=True)
        self.assertAllClose(float(model.pseudo_label_tracker.result()), 1 / 3)

    def test_one_step_matches_gradient_of_hand_loss(self):
        model, x, y, weights = self.crafted()
        kernel = model.classifier.layers[1].kernel
        before = kernel.numpy().copy()
        model.optimizer.learning_rate.assign(0.1)
        model.train_on_batch(x, y, weights)

        import tensorflow as tf
        w = tf.Variable(before)
        with tf.GradientTape() as tape:
            p = tf.nn.softmax(x @ w)
            s = tf.nn.softmax(0.5 * x @ w)
            loss = (-(tf.math.log(p[0, 0]) + tf.math.log(p[1, 2])) / 2
                    - (tf.math.log(s[2, 0]) + tf.math.log(s[4, 2])) / 3)
        expected = before - 0.1 * tape.gradient(loss, w).numpy()
        self.assertAllClose(kernel.numpy(), expected, atol=1e-5)

    def test_fit_with_default_image_augmentations_and_serialization(self):
        keras.utils.set_random_seed(0)
        rng = np.random.default_rng(0)
        source = (rng.random((16, 8, 8, 1)) * 255).astype("float32")
        labels = rng.integers(0, 3, 16)
        target = (rng.random((16, 8, 8, 1)) * 255).astype("float32")
        model = ConsistencyModel(image_classifier(), confidence_threshold=0.0)
        self.assertEqual(type(model.strong_augmentation.layers[0]).__name__, "RandAugment")
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        before = [w.numpy().copy() for w in model.classifier.trainable_weights]
        train = keras_transfer.data.domain_adaptation_dataset(
            (source, labels), target, batch_size=8)
        history = model.fit(train, epochs=2, verbose=0)
        self.assertEqual(len(history.history["loss"]), 2)
        # Threshold 0: every target row is pseudo-labelled.
        self.assertAllClose(history.history["pseudo_label_rate"], [1.0, 1.0])
        self.assertGreater(history.history["consistency_loss"][-1], 0.0)
        for old, new in zip(before, model.classifier.trainable_weights):
            self.assertGreater(float(np.abs(new.numpy() - old).max()), 0.0)
        result = model.evaluate(target, labels, verbose=0, return_dict=True)
        self.assertTrue(0.0 <= result["accuracy"] <= 1.0)
        classifier = keras_transfer.extract_classifier(model)
        self.assertIs(classifier, model.classifier)
        self.assertAllClose(classifier.evaluate(target, labels, verbose=0)[1],
                            result["accuracy"])
        reloaded = self.run_serialization_test(model, source[:4])
        self.assertEqual(reloaded.confidence_threshold, 0.0)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "Default augmentations exist for image"):
            ConsistencyModel(identity_classifier())
        with self.assertRaisesRegex(ValueError, "`classifier` must be a keras.Model"):
            ConsistencyModel(keras.layers.Dense(2))
        with self.assertRaisesRegex(ValueError, "`consistency_weight` must be"):
            ConsistencyModel(image_classifier(), consistency_weight=-1.0)
