"""`extract_classifier`: the plain classifier inside a domain adaptation model."""

import keras

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.models.consistency_model import ConsistencyModel


@keras_transfer_export("keras_transfer.extract_classifier")
def extract_classifier(model, compile=True):
    """Returns the classifier of a domain adaptation model: inputs -> `"label"`.

    The result shares its layers and weights with `model` (no copy) and
    drops the domain branch (DANN's gradient reversal and domain
    classifier), so it evaluates, predicts, saves and exports like the
    models of `keras_transfer.build_image_classifier` and friends.

    Args:
        model: `keras.Model`. A model of
            `keras_transfer.build_domain_adaptation_model` (or any
            functional model with a dict output holding `"label"`), also
            after a `.keras` save and load; or a
            `keras_transfer.ConsistencyModel`.
        compile: bool. Compile with Adam, sparse categorical crossentropy
            and accuracy, so that `evaluate` works. Defaults to `True`.

    Returns:
        A `keras.Model` named `"<model name>_classifier"` from the model's
        inputs to the `"label"` probabilities (for a `ConsistencyModel`, its
        `classifier`).

    Raises:
        ValueError: if `model` has no dict output with a `"label"` entry.

    Example:

    ```python
    classifier = keras_transfer.extract_classifier(dann_model)
    classifier.evaluate(target_x, target_y)
    keras_transfer.export_for_serving(classifier, "serving/1")
    ```
    """
    if isinstance(model, ConsistencyModel):
        classifier = model.classifier
    else:
        output = getattr(model, "output", None) if isinstance(model, keras.Model) else None
        if not isinstance(output, dict) or "label" not in output:
            keys = sorted(output) if isinstance(output, dict) else None
            raise ValueError(
                "`model` must be a functional model with a dict output holding 'label' (as "
                "`keras_transfer.build_domain_adaptation_model` builds) or a "
                "ConsistencyModel. Received: "
                f"{type(model).__name__}" + (f" with outputs {keys}" if keys is not None else ""))
        classifier = keras.Model(model.input, output["label"],
                                 name=f"{model.name}_classifier")
    if compile:
        classifier.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                           metrics=["accuracy"])
    return classifier
