"""`build_text_classifier`: strings -> preprocessor -> encoder -> softmax."""

import keras

from keras_transfer.layers.trim_padding import TrimPadding

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.distribute.multi_worker import enable_multi_worker_fit
from keras_transfer.heads.classification_head import ClassificationHead
from keras_transfer.models import common


@keras_transfer_export("keras_transfer.build_text_classifier")
def build_text_classifier(
    backbone,
    num_classes,
    preprocessor=None,
    output_key=None,
    dropout=0.2,
    trainable=True,
    precision=None,
    compile=True,
    learning_rate=None,
    strategy=None,
    trim_padding=True,
):
    """Builds a text classifier on a pretrained encoder.

    The model takes a batch of scalar strings (shape `()` per example: what
    `keras.utils.text_dataset_from_directory` yields) and contains, in order:

    - `preprocessor`: a `keras_transfer.layers.hub_backbone.HubBackbone`
      that turns strings into the encoder's inputs (BERT's
      `input_word_ids`, `input_mask`, `input_type_ids`), with no weights.
      Present when the registry entry names a `preprocessor` variant or a
      `preprocessor` handle is passed; without one the backbone must take
      strings itself (a sentence encoder).
    - `backbone`: the encoder, a `HubBackbone` returning `output_key` (the
      registry's, e.g. `"default"`, a mean-pooled sentence embedding, for
      `minilm_l6`).
    - `head`: a `keras_transfer.heads.classification_head.ClassificationHead`
      with dropout and a float32 softmax.

    `precision` sets the dtype policy of the backbone and head layers only;
    the global policy is left alone. Strings and token ids are unaffected, a
    SavedModel encoder computes in its saved dtype, and the probabilities are
    float32 in every case.

    With `compile=True` the model is compiled with Adam, sparse categorical
    crossentropy and accuracy (labels are integer class ids). The default
    learning rate is 1e-3 for a frozen encoder and 1e-4 for fine-tuning; BERT
    fine-tuning usually does best with 2e-5 to 5e-5.

    Args:
        backbone: str or path-like. A registry name
            (`keras_transfer.backbones.registry.list_backbones("text")`), or
            the path/URL of an encoder SavedModel.
        num_classes: int. Number of classes, at least 2.
        preprocessor: str or path-like. Path/URL of the SavedModel that maps
            strings to the encoder's inputs. Defaults to `None` (the
            registry's preprocessor for a registry name; none for a handle).
        output_key: str. Which output of the encoder feeds the head (for
            BERT-style encoders `"pooled_output"` or `"default"`). Defaults
            to `None` (the registry entry's key; the whole output for a
            handle).
        dropout: float. Dropout rate before the last Dense layer. Defaults
            to `0.2`.
        trainable: bool. Whether the encoder's weights are trained. Defaults
            to `True`.
        precision: str. `None` (the global policy), `"float32"`,
            `"mixed_bfloat16"` or `"mixed_float16"` (the optimizer is then a
            `keras.optimizers.LossScaleOptimizer`). Defaults to `None`.
        compile: bool. Whether to compile the model. Defaults to `True`.
        learning_rate: float. Adam learning rate. Defaults to `None` (1e-3
            when `trainable=False`, 1e-4 when `trainable=True`).
        strategy: `tf.distribute.Strategy`. When given, the variables are
            created (and the model compiled) under `strategy.scope()`.
            Under a multi-worker `MultiWorkerMirroredStrategy` the model also
            gets `keras_transfer.enable_multi_worker_fit`.
            Defaults to `None`.
        trim_padding: bool. Insert a `keras_transfer.TrimPadding` layer
            between the preprocessor and the encoder, so each batch runs at
            its longest text's length instead of the preprocessor's fixed
            `seq_length` (same outputs, less compute). Turn off on TPUs,
            which need static shapes. Defaults to `True`.

    Returns:
        A `keras.Model` named `"text_classifier"` from strings `[batch]` to
        float32 class probabilities `[batch, num_classes]`.

    Raises:
        ValueError: for an unknown registry name (listing the text
            backbones), an image or audio backbone, `num_classes < 2`, or a
            bad `dropout` or `precision`.

    Example:

    ```python
    model = keras_transfer.build_text_classifier(
        "minilm_l6", num_classes=2, trainable=False)
    model.fit(tf.constant(["a fine film", "a dull film"]), np.array([1, 0]))
    ```
    """
    name, entry = common.resolve_backbone(backbone, "text", "build_text_classifier")
    num_classes = common.check_num_classes(num_classes)
    precision = common.check_precision(precision)
    learning_rate = common.default_learning_rate(learning_rate, trainable)

    with common.strategy_scope(strategy):
        inputs = keras.Input((), dtype="string", name="text")
        encoder, pre = common.text_layers(backbone, name, entry, preprocessor,
                                          output_key, trainable, precision)
        x = pre(inputs) if pre is not None else inputs
        if pre is not None and trim_padding:
            x = TrimPadding(name="trim_padding")(x)
        head = ClassificationHead(num_classes, dropout=dropout, dtype=precision,
                                  name="head")
        outputs = head(encoder(x))
        model = keras.Model(inputs, outputs, name="text_classifier")
        if compile:
            common.compile_classifier(model, learning_rate, precision)
    return enable_multi_worker_fit(model)

