import keras
import numpy as np
import tensorflow as tf

from keras_transfer.evaluation.evaluate_classifier import evaluate_classifier
from keras_transfer.evaluation.predict_and_evaluate import predict_and_evaluate
from keras_transfer.testing import TestCase


def softmax(logits):
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def linear_classifier(num_features=4, num_classes=3, activation=None, seed=0):
    rng = np.random.default_rng(seed)
    inputs = keras.Input((num_features,))
    layer = keras.layers.Dense(num_classes, activation=activation)
    model = keras.Model(inputs, layer(inputs))
    layer.set_weights([rng.normal(size=(num_features, num_classes)).astype("float32"),
                       rng.normal(size=num_classes).astype("float32")])
    return model


def data(count=40, num_features=4, num_classes=3, seed=1):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(count, num_features)).astype("float32"),
            rng.integers(0, num_classes, count))


class PredictAndEvaluateTest(TestCase):
    def test_logits_get_a_softmax(self):
        model = linear_classifier()
        x, y = data()
        result = predict_and_evaluate(model, (x, y), class_names=["a", "b", "c"])
        self.assertTrue(result["from_logits"])
        logits = model.predict(x, verbose=0).astype("float64")
        expected = evaluate_classifier(y, softmax(logits), class_names=["a", "b", "c"],
                                       examples=x)
        self.assertAllClose(result["log_loss"], expected["log_loss"], atol=1e-9, rtol=0)
        self.assertEqual(result["confusion_matrix"], expected["confusion_matrix"])
        self.assertEqual(result["worst_predictions"], expected["worst_predictions"])
        self.assertStartsWith(result["worst_predictions"][0]["example"], "array shape (4,)")

    def test_probabilities_are_kept(self):
        model = linear_classifier(activation="softmax")
        x, y = data()
        result = predict_and_evaluate(model, (x, y))
        self.assertFalse(result["from_logits"])
        probabilities = model.predict(x, verbose=0)
        self.assertAllClose(result["log_loss"],
                            evaluate_classifier(y, probabilities)["log_loss"], atol=1e-9)
        # Same weights, logits or softmax output: the same evaluation.
        from_logits = predict_and_evaluate(linear_classifier(), (x, y))
        self.assertAllClose(result["log_loss"], from_logits["log_loss"], atol=1e-6)
        self.assertEqual(result["confusion_matrix"], from_logits["confusion_matrix"])

    def test_small_outputs_that_do_not_sum_to_one_are_logits(self):
        # Outputs in [0, 1] summing to 0.6: logits, not probabilities.
        inputs = keras.Input((4,))
        layer = keras.layers.Dense(3)
        model = keras.Model(inputs, layer(inputs))
        layer.set_weights([np.zeros((4, 3), "float32"), np.array([0.1, 0.2, 0.3], "float32")])
        x, _ = data(count=5)
        result = predict_and_evaluate(model, (x, np.zeros(5, "int64")))
        self.assertTrue(result["from_logits"])
        expected = softmax(np.array([[0.1, 0.2, 0.3]]))[0]
        self.assertAllClose(result["worst_predictions"][0]["true_probability"], expected[0],
                            atol=1e-7)
        self.assertAllClose(result["worst_predictions"][0]["confidence"], expected[2],
                            atol=1e-7)

    def test_dataset_is_read_once_and_stays_aligned(self):
        model = linear_classifier()
        x, y = data(count=50)
        expected = predict_and_evaluate(model, (x, y))
        dataset = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(
            50, seed=3, reshuffle_each_iteration=True).batch(8)
        result = predict_and_evaluate(model, dataset)
        self.assertEqual(result["num_examples"], 50)
        self.assertEqual(result["confusion_matrix"], expected["confusion_matrix"])
        self.assertAllClose(result["log_loss"], expected["log_loss"], atol=1e-6)
        self.assertNotIn("example", result["worst_predictions"][0])
        one_hot = tf.data.Dataset.from_tensor_slices(
            (x, np.eye(3, dtype="float32")[y], np.ones(50, "float32"))).batch(16)
        result = predict_and_evaluate(model, one_hot)
        self.assertEqual(result["confusion_matrix"], expected["confusion_matrix"])

    def test_text_inputs_are_kept(self):
        words = ["good", "bad", "meh"]
        inputs = keras.Input((), dtype="string")
        lookup = keras.layers.StringLookup(vocabulary=words, output_mode="one_hot")
        dense = keras.layers.Dense(3, activation="softmax")
        model = keras.Model(inputs, dense(lookup(inputs)))
        # One-hot index i + 1 for word i (0 is out-of-vocabulary).
        kernel = np.full((4, 3), -2.0, "float32")
        kernel[1, 0] = kernel[2, 1] = kernel[3, 0] = 2.0
        dense.set_weights([kernel, np.zeros(3, "float32")])
        texts = np.array(["good", "bad", "meh | *so-so*", "meh", "bad"])
        labels = np.array([0, 1, 2, 2, 0])
        dataset = tf.data.Dataset.from_tensor_slices((texts, labels)).batch(2)
        result = predict_and_evaluate(model, dataset, class_names=words, top_k_worst=5)
        worst = {w["index"]: w for w in result["worst_predictions"]}
        self.assertEqual(worst[3]["example"], "meh")
        self.assertEqual(worst[3]["predicted"], "good")
        self.assertEqual(worst[2]["example"], "meh | *so-so*")
        self.assertEqual({w["example_type"] for w in worst.values()}, {"text"})
        self.assertEqual(result["confusion_matrix"], [[1, 1, 0], [0, 1, 0], [2, 0, 0]])

    def test_binary_single_logit(self):
        inputs = keras.Input((1,))
        layer = keras.layers.Dense(1)
        model = keras.Model(inputs, layer(inputs))
        layer.set_weights([np.array([[3.0]], "float32"), np.zeros(1, "float32")])
        x = np.array([[-1.0], [1.0], [2.0]], "float32")
        result = predict_and_evaluate(model, (x, np.array([0, 1, 0])))
        self.assertTrue(result["from_logits"])
        self.assertEqual(result["confusion_matrix"], [[1, 1], [0, 1]])
        self.assertAllClose(result["worst_predictions"][0]["confidence"],
                            1 / (1 + np.exp(-6.0)), atol=1e-7)
        with self.assertRaisesRegex(ValueError, r"must lie in \[0, 1\]"):
            predict_and_evaluate(model, (x, np.array([0, 1, 0])), from_logits=False)

    def test_multi_worker_predicts_locally(self):
        # Under multi-worker MWMS each worker calls the model on the batch itself
        # (Keras' predict_on_batch would gather every worker's rows).
        import sys

        module = sys.modules[predict_and_evaluate.__module__]

        model = linear_classifier()
        x, y = data(count=10)
        dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
        expected = predict_and_evaluate(model, dataset)
        calls = []
        original = module.is_multi_worker
        module.is_multi_worker = lambda strategy: calls.append(strategy) or True
        try:
            model.predict_on_batch = model.predict = None  # must not be used
            for local in (predict_and_evaluate(model, dataset),
                          predict_and_evaluate(model, (x, y), batch_size=4)):
                self.assertEqual(local["num_examples"], 10)
                self.assertAllClose(local["log_loss"], expected["log_loss"], atol=1e-9,
                                    rtol=0)
        finally:
            module.is_multi_worker = original
        self.assertNotEmpty(calls)

    def test_errors(self):
        model = linear_classifier()
        x, y = data(count=6)
        cases = [
            ((model, tf.data.Dataset.from_tensor_slices(x).batch(2)),
             {}, "must yield (x, y) or (x, y, sample_weight)"),
            ((model, tf.data.Dataset.from_tensor_slices((x, y))), {}, "batch it first"),
            ((model, tf.data.Dataset.from_tensor_slices((x, y)).take(0).batch(2)), {},
             "`data` is empty"),
            ((model, 42), {}, "Received: data of type int"),
            ((model, (x, y)), {"from_logits": "yes"}, "Received: from_logits='yes'"),
            ((model, (x, y)), {"batch_size": 0}, "Received: batch_size=0"),
        ]
        inputs = keras.Input((4,))
        two_outputs = keras.Model(inputs, [keras.layers.Dense(3)(inputs),
                                           keras.layers.Dense(2)(inputs)])
        cases.append(((two_outputs, (x, y)), {}, "must have a single output"))
        for args, kwargs, message in cases:
            with self.subTest(message=message):
                with self.assertRaises(ValueError) as context:
                    predict_and_evaluate(*args, **kwargs)
                self.assertIn(message, str(context.exception))
