"""`contrastive_fine_tune`: SetFit (contrastive encoder tuning, then a head)."""

import logging

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.data.make_contrastive_pairs import make_contrastive_pairs
from keras_transfer.heads.classification_head import ClassificationHead
from keras_transfer.layers.trim_padding import TrimPadding
from keras_transfer.models import common
from keras_transfer.utils.argument_validation import check_int, check_one_of, check_positive

logger = logging.getLogger(__name__)

HEADS = ("dense", "logistic_regression")


@keras_transfer_export("keras_transfer.contrastive_fine_tune")
def contrastive_fine_tune(
    backbone,
    texts,
    labels,
    num_classes=None,
    preprocessor=None,
    output_key=None,
    num_iterations=20,
    num_pairs=None,
    epochs=1,
    batch_size=16,
    learning_rate=2e-5,
    head="dense",
    head_epochs=100,
    head_learning_rate=1e-2,
    seed=0,
    verbose=0,
):
    """Fine-tunes a sentence encoder contrastively, then trains a head (SetFit).

    SetFit (Tunstall et al. 2022), for text classification from a few labels:

    1. `keras_transfer.data.make_contrastive_pairs` turns the labelled texts
       into balanced pairs: same class (target 1) and different classes
       (target 0), `num_iterations` rounds over the examples.
    2. A siamese Keras model (one preprocessor and one encoder shared by both
       texts; `keras_transfer.TrimPadding` in between) outputs the cosine
       similarity of the two embeddings and is trained with `model.fit` on
       the mean squared error against the targets (sentence-transformers'
       `CosineSimilarityLoss`), updating the encoder's weights.
    3. The tuned encoder embeds the labelled texts once; a head is trained
       on the unit-length embeddings: a `keras_transfer.ClassificationHead`
       with `model.fit` (`head="dense"`), or scikit-learn's
       `LogisticRegression` (`head="logistic_regression"`, SetFit's
       default head; its weights are copied into the same Dense layer).

    The result is a normal Keras classifier: strings `[batch]` to float32
    class probabilities, with layers `preprocessor`, `trim_padding`,
    `backbone`, `normalize` (`keras.layers.UnitNormalization`) and `head`,
    compiled with Adam at `learning_rate`, sparse categorical crossentropy
    and accuracy, and exportable with `keras_transfer.export_for_serving`.
    It works on any text encoder that `keras_transfer.build_text_classifier`
    accepts.

    Args:
        backbone: str or path-like. A text registry name
            (`keras_transfer.backbones.registry.list_backbones("text")`), or
            the path/URL of an encoder SavedModel.
        texts: sequence of str. The labelled training texts.
        labels: sequence of int. Class ids in `[0, num_classes)`.
        num_classes: int. Number of classes. Defaults to `None`
            (`max(labels) + 1`).
        preprocessor: str or path-like. Path/URL of the SavedModel that maps
            strings to the encoder's inputs. Defaults to `None` (the
            registry's preprocessor for a registry name).
        output_key: str. Which encoder output is the sentence embedding.
            Defaults to `None` (the registry entry's key).
        num_iterations: int. Pair-generation rounds (2 pairs per example per
            round). Defaults to `20` (SetFit's default).
        num_pairs: int. Exact number of pairs; overrides `num_iterations`.
            Defaults to `None`.
        epochs: int. Epochs of contrastive training over the pairs.
            Defaults to `1` (SetFit's default).
        batch_size: int. Pairs per step, and examples per step for the head.
            Defaults to `16` (SetFit's default).
        learning_rate: float. Adam learning rate of the encoder. Defaults to
            `2e-5` (SetFit's default).
        head: str. `"dense"` or `"logistic_regression"` (needs
            scikit-learn). Defaults to `"dense"`.
        head_epochs: int. Epochs of the `"dense"` head. Defaults to `100`.
        head_learning_rate: float. Adam learning rate of the `"dense"` head.
            Defaults to `1e-2`.
        seed: int. Seeds the pairs, the shuffles and the weights. Defaults
            to `0`.
        verbose: int. Passed to `model.fit`. Defaults to `0`.

    Returns:
        A compiled `keras.Model` named `"setfit_classifier"`.

    Raises:
        ValueError: for an unknown or non-text backbone, labels outside
            `[0, num_classes)`, fewer than two classes, or a bad numeric
            argument or `head`.
        ImportError: for `head="logistic_regression"` without scikit-learn.

    Example:

    ```python
    model = keras_transfer.contrastive_fine_tune(
        "minilm_l6", texts, labels, num_iterations=20)
    model.predict(tf.constant(["A triumph.", "A mess."]))  # [2, num_classes]
    keras_transfer.export_for_serving(model, "serving/reviews")
    ```
    """
    name, entry = common.resolve_backbone(backbone, "text", "contrastive_fine_tune")
    texts = np.asarray(texts, dtype=object)
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            "`labels` must be a 1-D sequence of integer class ids. "
            f"Received: labels with dtype {labels.dtype} and shape {labels.shape}")
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if len(labels) else 0
    num_classes = common.check_num_classes(num_classes)
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"`labels` must be class ids in [0, {num_classes}). Received labels "
            f"from {labels.min()} to {labels.max()} with num_classes={num_classes}")
    for value, argument in ((epochs, "epochs"), (batch_size, "batch_size"),
                            (head_epochs, "head_epochs")):
        check_int(value, argument, minimum=1)
    check_positive(learning_rate, "learning_rate")
    check_positive(head_learning_rate, "head_learning_rate")
    check_one_of(head, "head", HEADS)
    pairs, targets = make_contrastive_pairs(texts, labels, num_iterations=num_iterations,
                                            num_pairs=num_pairs, seed=seed)
    keras.utils.set_random_seed(seed)

    encoder, pre = common.text_layers(backbone, name, entry, preprocessor, output_key,
                                      trainable=True, precision=None)
    trim = TrimPadding(name="trim_padding") if pre is not None else None

    def embed(text):
        x = pre(text) if pre is not None else text
        return encoder(trim(x) if trim is not None else x)

    # 1-2. The siamese model: cosine similarity of the shared embeddings.
    pair_inputs = {key: keras.Input((), dtype="string", name=key)
                   for key in ("text_a", "text_b")}
    similarity = keras.layers.Dot(axes=-1, normalize=True, dtype="float32",
                                  name="cosine_similarity")(
        [embed(pair_inputs["text_a"]), embed(pair_inputs["text_b"])])
    siamese = keras.Model(pair_inputs, similarity, name="sentence_similarity")
    siamese.compile(optimizer=keras.optimizers.Adam(learning_rate),
                    loss="mean_squared_error")
    pair_data = tf.data.Dataset.from_tensor_slices((pairs, targets)).shuffle(
        len(targets), seed=seed).batch(batch_size)
    history = siamese.fit(pair_data, epochs=epochs, shuffle=False, verbose=verbose)
    logger.info("contrastive_fine_tune: %d pairs, cosine MSE %.4f -> %.4f", len(targets),
                history.history["loss"][0], history.history["loss"][-1])

    # 3. The classifier on the tuned encoder, and its head.
    text = keras.Input((), dtype="string", name="text")
    features = keras.layers.UnitNormalization(dtype="float32", name="normalize")(embed(text))
    head_layer = ClassificationHead(num_classes, seed=seed, name="head")
    model = keras.Model(text, head_layer(features), name="setfit_classifier")
    embeddings = keras.Model(text, features).predict(
        tf.data.Dataset.from_tensor_slices(texts.astype(str)).batch(batch_size),
        verbose=0)
    if head == "logistic_regression":
        _fit_logistic_regression(head_layer, embeddings, labels, num_classes, seed)
    else:
        head_model = keras.Sequential([keras.Input(embeddings.shape[1:]), head_layer])
        head_model.compile(optimizer=keras.optimizers.Adam(head_learning_rate),
                           loss="sparse_categorical_crossentropy")
        head_model.fit(embeddings, labels, epochs=head_epochs, batch_size=batch_size,
                       shuffle=True, verbose=0)
    common.compile_classifier(model, learning_rate, None)
    return model


def _fit_logistic_regression(head_layer, embeddings, labels, num_classes, seed):
    """Fits scikit-learn's LogisticRegression and copies it into the Dense head."""
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        raise ImportError(
            "`head='logistic_regression'` needs scikit-learn: "
            "`pip install scikit-learn` (or use head='dense').") from None
    classifier = LogisticRegression(max_iter=1000, random_state=seed).fit(embeddings, labels)
    kernel = np.zeros((embeddings.shape[1], num_classes), np.float32)
    bias = np.zeros((num_classes,), np.float32)
    present = classifier.classes_.astype(int)
    if len(present) == 2 and classifier.coef_.shape[0] == 1:
        # Binary: p(second) = sigmoid(w.x + b) = softmax([0, w.x + b])[1].
        kernel[:, present[1]] = classifier.coef_[0]
        bias[present[1]] = classifier.intercept_[0]
        if num_classes > 2:  # classes without examples never win
            bias[np.setdiff1d(np.arange(num_classes), present)] = -1e4
    else:
        kernel[:, present] = classifier.coef_.T
        bias[:] = -1e4
        bias[present] = classifier.intercept_
    head_layer.dense.set_weights([kernel, bias])
