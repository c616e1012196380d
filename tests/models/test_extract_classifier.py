import keras
import numpy as np

from keras_transfer.layers.gradient_reversal import GradientReversal
from keras_transfer.models.build_domain_adaptation_model import build_domain_adaptation_model
from keras_transfer.models.extract_classifier import extract_classifier
from keras_transfer.testing import TestCase


def dann_model():
    features = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, name="features")])
    return build_domain_adaptation_model(features, 3, domain_units=(4,))


class ExtractClassifierTest(TestCase):
    def test_shares_weights_and_drops_the_domain_branch(self):
        model = dann_model()
        classifier = extract_classifier(model)
        self.assertEqual(classifier.name, "dann_model_classifier")
        self.assertEmpty([layer for layer in classifier.layers
                          if isinstance(layer, GradientReversal)
                          or layer.name.startswith("domain_")])
        x = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")
        self.assertAllClose(classifier.predict(x, verbose=0),
                            model.predict(x, verbose=0)["label"], atol=0)
        # The same variables: a change in the model shows in the classifier.
        dense = model.get_layer("features")
        dense.kernel.assign(dense.kernel.numpy() * 2.0)
        self.assertAllClose(classifier.predict(x, verbose=0),
                            model.predict(x, verbose=0)["label"], atol=0)
        self.assertTrue(classifier.compiled)
        loss, accuracy = classifier.evaluate(x, np.zeros(6, "int32"), verbose=0)
        self.assertTrue(np.isfinite(loss))
        self.assertFalse(extract_classifier(model, compile=False).compiled)

    def test_after_save_and_load(self):
        model = dann_model()
        path = self.temp_dir() + "/dann.keras"
        model.save(path)
        classifier = extract_classifier(keras.saving.load_model(path))
        x = np.ones((2, 4), "float32")
        self.assertAllClose(classifier.predict(x, verbose=0),
                            model.predict(x, verbose=0)["label"], atol=1e-6)
        self.run_serialization_test(classifier, x)

    def test_rejects_models_without_a_label_output(self):
        inputs = keras.Input((2,))
        plain = keras.Model(inputs, keras.layers.Dense(2)(inputs))
        with self.assertRaisesRegex(ValueError, r"dict output holding 'label'.*Received: "
                                                r"Functional$"):
            extract_classifier(plain)
        two = keras.Model(inputs, {"a": keras.layers.Dense(2)(inputs)})
        with self.assertRaisesRegex(ValueError, r"Received: Functional with outputs \['a'\]"):
            extract_classifier(two)
        with self.assertRaisesRegex(ValueError, r"Received: str"):
            extract_classifier("model.keras")
