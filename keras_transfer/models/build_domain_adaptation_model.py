"""`build_domain_adaptation_model`: a classifier plus a domain branch (DANN, MMD or CORAL)."""

import keras

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.backbones import registry
from keras_transfer.backbones.handles import parse_handle
from keras_transfer.heads.classification_head import ClassificationHead
from keras_transfer.layers.gradient_reversal import GradientReversal
from keras_transfer.losses.coral_loss import CoralLoss
from keras_transfer.losses.mmd_loss import MMDLoss
from keras_transfer.models import common
from keras_transfer.models.build_audio_classifier import build_audio_classifier
from keras_transfer.models.build_image_classifier import build_image_classifier
from keras_transfer.models.build_text_classifier import build_text_classifier
from keras_transfer.utils.argument_validation import check_int, check_number, check_one_of

METHODS = ("dann", "mmd", "coral")
_BUILDERS = {"image": build_image_classifier, "text": build_text_classifier,
             "audio": build_audio_classifier}


@keras_transfer_export("keras_transfer.build_domain_adaptation_model")
def build_domain_adaptation_model(
    backbone,
    num_classes,
    method="dann",
    domain_loss_weight=1.0,
    domain_units=(1024, 1024),
    modality=None,
    dropout=0.2,
    compile=True,
    learning_rate=None,
    strategy=None,
    **classifier_kwargs,
):
    """Builds a classifier trained to work on a second, unlabelled domain.

    The model has two outputs, `{"label": ..., "domain": ...}`, and trains
    with plain `model.fit` on the batches of
    `keras_transfer.data.domain_adaptation_dataset` (source rows labelled,
    target rows unlabelled; the target rows' label weight is 0). The
    feature extractor gives `features` `[batch, d]`, the label head
    (`"head"`, dropout + softmax) gives `"label"`, and `"domain"` depends on
    `method`:

    - `"dann"` (Ganin et al. 2016): `features -> GradientReversal ->
      Dense(ReLU) per entry of domain_units -> Dense(1)`, a domain logit
      trained with binary crossentropy (0 = source, 1 = target). The
      reversed gradient pushes the features towards domain invariance;
      add `keras_transfer.GradientReversalScheduler()` to `fit` for DANN's
      coefficient schedule (the coefficient is 1 without it).
    - `"mmd"` (DAN, Long et al. 2015): `"domain"` is `features` itself,
      with `keras_transfer.MMDLoss` (multi-kernel MMD between the source
      and target rows of each batch).
    - `"coral"` (Deep CORAL, Sun & Saenko 2016): `"domain"` is `features`,
      with `keras_transfer.CoralLoss`.

    So the same data, the same `fit` and no custom `train_step` serve all
    three. With `compile=True` the loss is `SparseCategoricalCrossentropy`
    averaged over the source rows only (`reduction="mean_with_sample_weight"`)
    plus `domain_loss_weight` times the domain loss, with Adam; metrics
    are the label accuracy on source rows and, for DANN, the domain
    classifier's accuracy. `keras_transfer.extract_classifier(model)`
    returns the plain classifier (inputs -> `"label"`) for evaluation and
    export.

    Args:
        backbone: the feature extractor. A `keras.Model` built on
            `keras.Input`s (functional or `Sequential`) whose single output
            is `[batch, d]` features; or a registry name, SavedModel path or
            URL, for which the builder of its modality
            (`build_image_classifier`, `build_text_classifier`,
            `build_audio_classifier`) makes the classifier (its `"head"`'s
            input is the features).
        num_classes: int. Number of classes, at least 2.
        method: str. `"dann"`, `"mmd"` or `"coral"`. Defaults to `"dann"`.
        domain_loss_weight: float. Weight of the domain loss, finite and
            >= 0. Defaults to `1.0`.
        domain_units: sequence of int. Hidden Dense widths of DANN's domain
            classifier (ReLU); `()` makes it linear. Ignored for MMD and
            CORAL. Defaults to `(1024, 1024)` (the Transfer-Learning-Library's
            discriminator).
        modality: str. `"image"`, `"text"` or `"audio"`, for a SavedModel
            path or URL. Defaults to `None` (the registry entry's modality;
            not needed for a `keras.Model`).
        dropout: float. Dropout before the label head's Dense layer.
            Defaults to `0.2`.
        compile: bool. Whether to compile the model. Defaults to `True`.
        learning_rate: float. Adam learning rate. Defaults to `None`
            (1e-4, the fine-tuning default: the features must train).
        strategy: `tf.distribute.Strategy`. When given, the variables are
            created (and the model compiled) under `strategy.scope()`. The
            MMD and CORAL losses are computed per replica, on the rows each
            replica gets. Defaults to `None`.
        **classifier_kwargs: for the modality's builder when `backbone` is
            a name or handle (`image_size`, `preprocessor`, `trainable`,
            `precision`, ...).

    Returns:
        A `keras.Model` named `"<method>_model"` with outputs
        `{"label": float32 probabilities [batch, num_classes], "domain":
        a float32 logit [batch, 1] (DANN) or the features (MMD, CORAL)}`.

    Raises:
        ValueError: for a bad argument, a `keras.Model` without known
            inputs or with other than 2-D features, a handle without
            `modality`, or `classifier_kwargs` with a `keras.Model`.

    Example:

    ```python
    features = keras.Sequential([keras.Input((784,)),
                                 keras.layers.Dense(256, activation="relu")])
    model = keras_transfer.build_domain_adaptation_model(
        features, num_classes=10, method="dann", learning_rate=1e-3)
    train = keras_transfer.data.domain_adaptation_dataset(
        (source_x, source_y), target_x, batch_size=64)
    model.fit(train, epochs=10, callbacks=[keras_transfer.GradientReversalScheduler()])
    classifier = keras_transfer.extract_classifier(model)
    classifier.evaluate(target_test_x, target_test_y)
    ```
    """
    num_classes = common.check_num_classes(num_classes)
    check_one_of(method, "method", METHODS)
    check_number(domain_loss_weight, "domain_loss_weight", minimum=0, finite=True)
    domain_units = _check_units(domain_units)
    learning_rate = common.default_learning_rate(learning_rate, trainable=True)
    precision = common.check_precision(classifier_kwargs.get("precision"))

    with common.strategy_scope(strategy):
        if isinstance(backbone, keras.Model):
            if classifier_kwargs or modality is not None:
                raise ValueError(
                    "`modality` and builder options apply to a registry name or handle, "
                    "not to a `keras.Model` backbone. Received: "
                    f"modality={modality!r}, {sorted(classifier_kwargs)}")
            inputs, features = _model_features(backbone)
            label = ClassificationHead(num_classes, dropout=dropout, name="head")(features)
        else:
            builder = _BUILDERS[_modality(backbone, modality)]
            classifier = builder(backbone, num_classes, dropout=dropout, compile=False,
                                 strategy=None, **classifier_kwargs)
            inputs, label = classifier.input, classifier.output
            features = classifier.get_layer("head").input
            _check_features(features, f"the {builder.__name__} model's features")

        if method == "dann":
            x = GradientReversal(name="gradient_reversal")(features)
            for index, units in enumerate(domain_units):
                x = keras.layers.Dense(units, activation="relu", dtype=precision,
                                       name=f"domain_dense_{index}")(x)
            domain = keras.layers.Dense(1, dtype="float32", name="domain_logit")(x)
        else:
            domain = features
        model = keras.Model(inputs, {"label": label, "domain": domain},
                            name=f"{method}_model")
        if compile:
            _compile(model, method, domain_loss_weight, learning_rate, precision)
    return model


def _compile(model, method, domain_loss_weight, learning_rate, precision):
    domain_loss = {"dann": lambda: keras.losses.BinaryCrossentropy(from_logits=True),
                   "mmd": MMDLoss, "coral": CoralLoss}[method]()
    weighted_metrics = {"label": ["accuracy"]}
    if method == "dann":
        # A logit > 0 means "target": accuracy at threshold 0.
        weighted_metrics["domain"] = [
            keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")]
    model.compile(
        optimizer=common.make_optimizer(learning_rate, precision),
        loss={"label": keras.losses.SparseCategoricalCrossentropy(
                  reduction="mean_with_sample_weight"),
              "domain": domain_loss},
        loss_weights={"label": 1.0, "domain": float(domain_loss_weight)},
        weighted_metrics=weighted_metrics,
    )


def _model_features(backbone):
    try:
        # A Sequential model answers only `inputs`/`outputs` (lists).
        inputs = backbone.input if not isinstance(backbone, keras.Sequential) else None
        features = backbone.outputs
        if inputs is None:
            inputs = backbone.inputs
            inputs = inputs[0] if len(inputs) == 1 else inputs
        features = features[0] if len(features) == 1 else features
    except (AttributeError, ValueError, TypeError):
        raise ValueError(
            "A `keras.Model` backbone must be built on `keras.Input`s (a functional "
            f"or Sequential model with an Input). Received: model {backbone.name!r} "
            "without known inputs. Wrap it: `keras.Model(inputs, backbone(inputs))`."
        ) from None
    if isinstance(features, (list, tuple, dict)):
        raise ValueError(
            "A `keras.Model` backbone must have a single output, the features. "
            f"Received: model {backbone.name!r} with outputs {features!r}")
    _check_features(features, f"model {backbone.name!r}'s output")
    return inputs, features


def _check_features(features, what):
    if len(features.shape) != 2:
        raise ValueError(
            f"The features must be `[batch, d]`. Received: {what} of shape "
            f"{tuple(features.shape)}. Pool or flatten them (for example "
            "`keras.layers.GlobalAveragePooling2D()`).")


def _modality(backbone, modality):
    if modality is not None:
        return check_one_of(modality, "modality", tuple(_BUILDERS))
    try:
        parsed = parse_handle(backbone)
    except ValueError:
        parsed = None
    if parsed is not None and parsed.kind == "registry":
        return registry.get_backbone(parsed.name)["modality"]
    raise ValueError(
        "`backbone` must be a `keras.Model` feature extractor, or a registry name "
        f"({sorted(registry.BACKBONES)}), or a SavedModel path or URL together with "
        f"`modality=` ({list(_BUILDERS)}). Received: backbone={backbone!r}")


def _check_units(units):
    if not isinstance(units, (list, tuple)):
        raise ValueError(
            "`domain_units` must be a list of layer widths, e.g. (1024, 1024). "
            f"Received: domain_units={units!r}")
    for value in units:
        check_int(value, "domain_units", minimum=1,
                  note=f"each width; got {list(units)}")
    return tuple(int(value) for value in units)
