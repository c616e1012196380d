"""`build_sentence_similarity_model`: a siamese text encoder for sentence pairs."""

import keras

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.distribute.multi_worker import enable_multi_worker_fit
from keras_transfer.heads.classification_head import ClassificationHead
from keras_transfer.models import common


@keras_transfer_export("keras_transfer.build_sentence_similarity_model")
def build_sentence_similarity_model(
    backbone,
    num_classes=None,
    preprocessor=None,
    output_key=None,
    dropout=0.1,
    trainable=True,
    precision=None,
    compile=True,
    learning_rate=None,
    strategy=None,
):
    """Builds a siamese model that compares two sentences with one encoder.

    The model takes a dict of two string inputs, `"text_a"` and `"text_b"`
    (shape `()` per example), and encodes both with the same `preprocessor`
    and `backbone` layers (shared weights) into sentence embeddings `u` and
    `v`. Then either:

    - `num_classes=None`: the output is the cosine similarity of `u` and `v`,
      `[batch, 1]` float32 in [-1, 1] (layer `"cosine_similarity"`). With
      `compile=True` it is trained by mean squared error against similarity
      scores (Sentence-BERT's `CosineSimilarityLoss`; scale STS scores to
      [0, 1] or [-1, 1]). The model has no `head` layer.
    - `num_classes=k`: a siamese classifier (natural language inference,
      duplicate questions): `[u, v, |u - v|, u * v]` is concatenated
      (InferSent / Sentence-BERT features) and fed to a `head`
      (`ClassificationHead`, float32 softmax over `k` classes). With
      `compile=True`: sparse categorical crossentropy and accuracy.

    For `minilm_l6` the embedding is the registry's `"default"` output, the
    masked mean of the token vectors (what sentence-transformers uses).
    `precision` sets the dtype policy of the created layers only (the global
    policy is left alone); the output is float32 in every case. The default
    learning rate is 1e-3 for a frozen encoder and 1e-4 for fine-tuning.

    Args:
        backbone: str or path-like. A text registry name
            (`keras_transfer.backbones.registry.list_backbones("text")`), or
            the path/URL of an encoder SavedModel.
        num_classes: int. Number of pair classes (at least 2) for a siamese
            classifier. Defaults to `None` (cosine similarity output).
        preprocessor: str or path-like. Path/URL of the SavedModel that maps
            strings to the encoder's inputs. Defaults to `None` (the
            registry's preprocessor for a registry name; none for a handle).
        output_key: str. Which encoder output is the sentence embedding.
            Defaults to `None` (the registry entry's key; the whole output
            for a handle).
        dropout: float. Dropout before the classifier's Dense layer (only
            with `num_classes`). Defaults to `0.1`.
        trainable: bool. Whether the encoder's weights are trained. Defaults
            to `True`.
        precision: str. `None` (the global policy), `"float32"`,
            `"mixed_bfloat16"` or `"mixed_float16"`. Defaults to `None`.
        compile: bool. Whether to compile the model. Defaults to `True`.
        learning_rate: float. Adam learning rate. Defaults to `None` (1e-3
            when `trainable=False`, 1e-4 when `trainable=True`).
        strategy: `tf.distribute.Strategy`. When given, the variables are
            created (and the model compiled) under `strategy.scope()`.
            Under a multi-worker `MultiWorkerMirroredStrategy` the model also
            gets `keras_transfer.enable_multi_worker_fit`.
            Defaults to `None`.

    Returns:
        A `keras.Model` named `"sentence_similarity"` (cosine output) or
        `"siamese_classifier"` (class probabilities `[batch, num_classes]`).

    Raises:
        ValueError: for an unknown registry name (listing the text
            backbones), a non-text backbone, `num_classes < 2`, or a bad
            `dropout` or `precision`.

    Example:

    ```python
    model = keras_transfer.build_sentence_similarity_model("minilm_l6")
    pairs = {"text_a": tf.constant(["a man is eating", "a dog runs"]),
             "text_b": tf.constant(["someone eats food", "the stock fell"])}
    model.fit(pairs, np.array([0.9, 0.0]), epochs=1)
    scores = model.predict(pairs)  # [2, 1] cosine similarities
    ```
    """
    name, entry = common.resolve_backbone(backbone, "text",
                                          "build_sentence_similarity_model")
    if num_classes is not None:
        num_classes = common.check_num_classes(num_classes)
    precision = common.check_precision(precision)
    learning_rate = common.default_learning_rate(learning_rate, trainable)

    with common.strategy_scope(strategy):
        inputs = {
            "text_a": keras.Input((), dtype="string", name="text_a"),
            "text_b": keras.Input((), dtype="string", name="text_b"),
        }
        encoder, pre = common.text_layers(backbone, name, entry, preprocessor,
                                          output_key, trainable, precision)

        def encode(text):
            return encoder(pre(text) if pre is not None else text)

        u, v = encode(inputs["text_a"]), encode(inputs["text_b"])
        if num_classes is None:
            outputs = keras.layers.Dot(axes=-1, normalize=True, dtype="float32",
                                       name="cosine_similarity")([u, v])
            model = keras.Model(inputs, outputs, name="sentence_similarity")
            if compile:
                model.compile(optimizer=common.make_optimizer(learning_rate, precision),
                              loss="mean_squared_error")
            return enable_multi_worker_fit(model)
        # |u - v| as max(u - v, v - u): built-in layers only, so the model
        # serializes without Lambda layers (and loads in safe mode).
        difference = keras.layers.Maximum(dtype=precision, name="abs_difference")([
            keras.layers.Subtract(dtype=precision, name="u_minus_v")([u, v]),
            keras.layers.Subtract(dtype=precision, name="v_minus_u")([v, u]),
        ])
        product = keras.layers.Multiply(dtype=precision, name="product")([u, v])
        features = keras.layers.Concatenate(dtype=precision, name="pair_features")(
            [u, v, difference, product])
        head = ClassificationHead(num_classes, dropout=dropout, dtype=precision,
                                  name="head")
        model = keras.Model(inputs, head(features), name="siamese_classifier")
        if compile:
            common.compile_classifier(model, learning_rate, precision)
    return enable_multi_worker_fit(model)
