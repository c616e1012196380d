"""`build_token_classifier`: per-token tags (NER, POS) on a BERT encoder."""

import keras

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.distribute.multi_worker import enable_multi_worker_fit
from keras_transfer.data.word_pieces import IGNORE_LABEL
from keras_transfer.heads.classification_head import ClassificationHead
from keras_transfer.models import common

BERT_INPUTS = ("input_word_ids", "input_mask", "input_type_ids")


@keras_transfer_export("keras_transfer.build_token_classifier")
def build_token_classifier(
    backbone,
    num_tags,
    string_inputs=False,
    preprocessor=None,
    output_key="sequence_output",
    dropout=0.1,
    trainable=True,
    precision=None,
    compile=True,
    learning_rate=None,
    strategy=None,
):
    """Builds a token classifier (named entities, parts of speech) on a BERT encoder.

    The encoder's per-token vectors (`output_key="sequence_output"`,
    `[batch, seq_length, hidden]`) go through a `head`
    (`ClassificationHead`: dropout, then one Dense shared by all positions)
    to float32 tag probabilities `[batch, seq_length, num_tags]`.

    Inputs: by default the BERT input dict, int32 `[batch, seq_length]` each:
    `input_word_ids`, `input_mask` (1 for real tokens) and `input_type_ids`
    (0). With `string_inputs=True` the model takes scalar strings and
    contains the `preprocessor` that produces that dict (fixed
    `seq_length`, 128 for `minilm_l6`).

    Labels are int `[batch, seq_length]`, one per *wordpiece position* of
    the encoder input, not per word. Align them the standard BERT way: split
    each word into wordpieces with the same tokenizer (the preprocessor's
    `tokenize` signature, or its vocabulary); give the word's tag to its
    first wordpiece; give `-1` to the continuation wordpieces, to `[CLS]`
    (position 0), `[SEP]` and padding. For example, words
    `["Jim", "Henson", "puppeteer"]` with tags `[B-PER, I-PER, O]` tokenized
    as `[CLS] jim henson puppet ##eer [SEP] [PAD]...` get labels
    `[-1, B-PER, I-PER, O, -1, -1, -1, ...]`. To predict, take the argmax at
    each word's first wordpiece. `keras_transfer.data.align_word_labels`
    does this alignment with the backbone's own tokenizer, and
    `keras_transfer.data.word_tags_from_pieces` the way back.

    With `compile=True`: Adam, `SparseCategoricalCrossentropy(ignore_class=-1)`
    (positions labelled -1 add nothing to the loss or its gradient) and
    accuracy as a *weighted* metric: pass `sample_weight=(labels >= 0)` to
    `fit`/`evaluate` to count only labelled positions (without it every
    position counts and -1 positions count as wrong). The default learning
    rate is 1e-3 for a frozen encoder and 1e-4 for fine-tuning (BERT NER
    usually uses 2e-5 to 5e-5). `precision` sets the dtype policy of the
    encoder and head only; the probabilities are float32 in every case.

    Args:
        backbone: str or path-like. A text registry name
            (`keras_transfer.backbones.registry.list_backbones("text")`), or
            the path/URL of a BERT-style encoder SavedModel.
        num_tags: int. Number of tags, at least 2.
        string_inputs: bool. Take strings and include the preprocessor (the
            registry's, or `preprocessor`). Defaults to `False` (the BERT
            input dict).
        preprocessor: str or path-like. Path/URL of the strings -> BERT
            inputs SavedModel, with `string_inputs=True`. Defaults to `None`
            (the registry's).
        output_key: str. The encoder output with one vector per token.
            Defaults to `"sequence_output"`.
        dropout: float. Dropout before the Dense layer. Defaults to `0.1`.
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
        A `keras.Model` named `"token_classifier"` to float32
        `[batch, seq_length, num_tags]`.

    Raises:
        ValueError: for an unknown registry name, a non-text backbone,
            `num_tags < 2`, `string_inputs=True` with no preprocessor
            available, a `preprocessor` without `string_inputs=True`, or a
            bad `dropout` or `precision`.

    Example:

    ```python
    model = keras_transfer.build_token_classifier("minilm_l6", num_tags=5)
    ids = np.zeros((2, 16), "int32")
    inputs = {"input_word_ids": ids, "input_mask": np.ones_like(ids),
              "input_type_ids": ids}
    labels = np.full((2, 16), -1)
    labels[:, 1:4] = [[1, 2, 0], [0, 0, 3]]
    model.fit(inputs, labels, sample_weight=labels >= 0, epochs=1)
    ```
    """
    name, entry = common.resolve_backbone(backbone, "text", "build_token_classifier")
    num_tags = common.check_num_classes(num_tags, "num_tags")
    precision = common.check_precision(precision)
    learning_rate = common.default_learning_rate(learning_rate, trainable)
    if not string_inputs and preprocessor is not None:
        raise ValueError(
            "`preprocessor` is only used with `string_inputs=True`. Received: "
            f"string_inputs={string_inputs!r}, preprocessor={preprocessor!r}"
        )
    if string_inputs and preprocessor is None and not (entry or {}).get("preprocessor"):
        raise ValueError(
            "`string_inputs=True` needs a preprocessor (strings -> BERT inputs): pass "
            f"`preprocessor=` its path or URL. Backbone {backbone!r} has none in the "
            "registry."
        )

    with common.strategy_scope(strategy):
        if string_inputs:
            inputs = keras.Input((), dtype="string", name="text")
            encoder, pre = common.text_layers(backbone, name, entry, preprocessor,
                                              output_key, trainable, precision)
            x = pre(inputs)
        else:
            inputs = {key: keras.Input((None,), dtype="int32", name=key)
                      for key in BERT_INPUTS}
            encoder = common.backbone_layer(backbone, name, entry, trainable, precision,
                                            output_key)
            x = inputs
        head = ClassificationHead(num_tags, dropout=dropout, dtype=precision,
                                  name="head")
        model = keras.Model(inputs, head(encoder(x)), name="token_classifier")
        if compile:
            common.compile_classifier(
                model, learning_rate, precision,
                loss=keras.losses.SparseCategoricalCrossentropy(
                    ignore_class=IGNORE_LABEL),
                metrics=None, weighted_metrics=("accuracy",))
    return enable_multi_worker_fit(model)
