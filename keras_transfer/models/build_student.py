"""`build_student`: a small CNN or BiLSTM with a teacher's inputs, for distillation."""

import keras

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.heads.classification_head import ClassificationHead
from keras_transfer.layers.trim_padding import TrimPadding
from keras_transfer.models import common
from keras_transfer.utils.argument_validation import (check_int, check_number, check_one_of,
                                                     check_positive)

ARCHITECTURES = ("cnn", "bilstm")
# The teacher encoder variable whose rows are the token embeddings (its first
# dimension is the vocabulary size).
# The inputs of a text student's `token_classifier` (from the teacher's preprocessor).
TOKEN_INPUTS = ("input_word_ids", "input_mask")
_EMBEDDING_NAMES = ("word_embeddings", "token_embedding", "word_embedding")


@keras_transfer_export("keras_transfer.build_student")
def build_student(
    teacher,
    architecture="cnn",
    units=64,
    embedding_dim=64,
    vocab_size=None,
    image_size=64,
    dropout=0.1,
    compile=True,
    learning_rate=1e-3,
):
    """Builds a small student classifier that takes the same inputs as `teacher`.

    The student is a plain Keras functional model, small enough for phones
    and TFLite, to be trained with `keras_transfer.distill` (or alone with
    `fit`). It takes exactly the teacher's input and returns float32 softmax
    probabilities over the teacher's classes, so it is evaluated, exported
    (`keras_transfer.export.export_for_serving`) and served like the teacher.

    - Text teachers (a string input and a layer named `"preprocessor"`, as
      `keras_transfer.build_text_classifier` builds): the student reuses the
      teacher's preprocessor (its tokenizer, no weights) and its
      `TrimPadding`, then a nested model named `"token_classifier"`:
      `input_word_ids` -> `Embedding(vocab_size, embedding_dim)` -> either a
      `Conv1D(units, 3)` with a masked global max pool (`"cnn"`) or a
      `Bidirectional(LSTM(units))` (`"bilstm"`) -> head. The tokenizer's
      string ops do not run in TFLite's builtin runtime, while
      `student.get_layer("token_classifier")` (int32 `input_word_ids` and
      `input_mask` -> probabilities) converts with
      `keras_transfer.export.convert_to_tflite`.
    - Image teachers (float `(height, width, 3)` pixel values 0..255): the
      student resizes to `image_size`, rescales to [0, 1] and runs three
      `Conv2D` blocks (`units / 4`, `units / 2`, `units` filters) and a global
      average pool -> head (`architecture` must be `"cnn"`).

    The student is not initialised from the teacher's weights. A shallower
    transformer copied from the teacher's first layers is not possible for a
    `HubBackbone` encoder: it is a restored SavedModel, a fixed graph whose
    layers cannot be cut out.

    Args:
        teacher: `keras.Model`. A trained classifier with one input and
            softmax outputs `[batch, num_classes]` (any keras_transfer text or
            image builder model).
        architecture: str. `"cnn"` or `"bilstm"` (text only). Defaults to
            `"cnn"`.
        units: int. Filters of the last convolution, or LSTM units per
            direction. Defaults to `64`.
        embedding_dim: int. Text only: size of the token embeddings. Defaults
            to `64`.
        vocab_size: int. Text only: number of token ids. Defaults to `None`:
            the first dimension of the teacher encoder's word embedding
            variable.
        image_size: int. Images only: the side the student resizes images to.
            Defaults to `64`.
        dropout: float. Dropout rate before the head's Dense layer. Defaults
            to `0.1`.
        compile: bool. Compile with Adam, sparse categorical crossentropy and
            accuracy (to train the student without a teacher). Defaults to
            `True`.
        learning_rate: float. Adam learning rate. Defaults to `1e-3`.

    Returns:
        A `keras.Model` named `"student"` with the teacher's input and float32
        class probabilities `[batch, num_classes]`.

    Raises:
        ValueError: for a teacher that is neither a text nor an image
            classifier, a vocabulary size that cannot be found, or a bad
            argument.

    Example:

    ```python
    teacher = keras_transfer.build_text_classifier("minilm_l6", num_classes=2)
    teacher.fit(train_ds, epochs=2)
    student = keras_transfer.build_student(teacher, architecture="cnn")
    keras_transfer.distill(teacher, student, train_ds, epochs=5)
    ```
    """
    check_one_of(architecture, "architecture", ARCHITECTURES)
    check_int(units, "units", minimum=4)
    check_int(embedding_dim, "embedding_dim", minimum=1)
    check_int(vocab_size, "vocab_size", minimum=2, allow_none=True)
    check_int(image_size, "image_size", minimum=8)
    check_number(dropout, "dropout", 0, 1, max_open=True)
    check_positive(learning_rate, "learning_rate")
    spec, num_classes = _teacher_spec(teacher)

    inputs = keras.Input(tuple(spec.shape[1:]), dtype=spec.dtype, name=spec.name)
    if spec.dtype == "string":
        outputs = _text_features(teacher, inputs, architecture, units, embedding_dim,
                                 vocab_size, num_classes, dropout)
    else:
        if architecture != "cnn":
            raise ValueError(
                "Image students are CNNs: `architecture` must be 'cnn' for an image "
                f"teacher. Received: architecture={architecture!r}"
            )
        features = _image_features(inputs, units, image_size)
        outputs = ClassificationHead(num_classes, dropout=dropout, name="head")(features)
    model = keras.Model(inputs, outputs, name="student")
    if compile:
        common.compile_classifier(model, learning_rate, precision=None)
    return model


def _teacher_spec(teacher):
    if not isinstance(teacher, keras.Model) or not getattr(teacher, "inputs", None):
        raise ValueError(
            "`teacher` must be a functional `keras.Model` (built from `keras.Input`, "
            f"as every keras_transfer builder is). Received: teacher={teacher!r}"
        )
    if len(teacher.inputs) != 1 or len(teacher.outputs) != 1:
        raise ValueError(
            "`teacher` must have one input and one output (class probabilities). "
            f"Received: {len(teacher.inputs)} input(s), {len(teacher.outputs)} output(s)."
        )
    spec, output = teacher.inputs[0], teacher.outputs[0]
    if len(output.shape) != 2 or output.shape[-1] is None or output.shape[-1] < 2:
        raise ValueError(
            "`teacher` must return class probabilities [batch, num_classes]. "
            f"Received: output shape {tuple(output.shape)}."
        )
    is_text = spec.dtype == "string"
    is_image = len(spec.shape) == 4 and "float" in str(spec.dtype)
    if not (is_text or is_image):
        raise ValueError(
            "`teacher` must be a text classifier (string input) or an image "
            f"classifier (float images [batch, height, width, channels]). Received: "
            f"an input of shape {tuple(spec.shape)} and dtype {spec.dtype}."
        )
    return spec, int(output.shape[-1])


def _layer(teacher, name):
    try:
        return teacher.get_layer(name)
    except ValueError:
        return None


def _text_features(teacher, inputs, architecture, units, embedding_dim, vocab_size,
                   num_classes, dropout):
    preprocessor = _layer(teacher, "preprocessor")
    if preprocessor is None:
        raise ValueError(
            "A text student needs the teacher's tokenizer: a layer named "
            "'preprocessor' (as `keras_transfer.build_text_classifier` builds). The "
            f"teacher's layers are {[layer.name for layer in teacher.layers]}."
        )
    if vocab_size is None:
        vocab_size = _vocab_size(teacher)
    tokens = preprocessor(inputs)
    if _layer(teacher, "trim_padding") is not None:
        tokens = TrimPadding(name="trim_padding")(tokens)
    token_classifier = _token_classifier(architecture, units, embedding_dim, vocab_size,
                                         num_classes, dropout)
    return token_classifier({key: keras.ops.cast(tokens[key], "int32") for key in TOKEN_INPUTS})


def _token_classifier(architecture, units, embedding_dim, vocab_size, num_classes, dropout):
    """The student after the tokenizer: token ids and mask -> probabilities."""
    token_inputs = {key: keras.Input((None,), dtype="int32", name=key) for key in TOKEN_INPUTS}
    mask = keras.ops.expand_dims(
        keras.ops.cast(token_inputs["input_mask"], "float32"), -1)
    x = keras.layers.Embedding(vocab_size, embedding_dim, name="embedding")(
        token_inputs["input_word_ids"])
    x = x * mask
    if architecture == "bilstm":
        x = keras.layers.Bidirectional(keras.layers.LSTM(units), name="bilstm")(
            x, mask=keras.ops.cast(token_inputs["input_mask"], "bool"))
    else:
        x = keras.layers.Conv1D(units, 3, padding="same", activation="relu", name="conv")(x)
        # ReLU outputs are >= 0: zeroed padding positions never win the max.
        x = keras.layers.GlobalMaxPooling1D(name="max_pool")(x * mask)
    outputs = ClassificationHead(num_classes, dropout=dropout, name="head")(x)
    return keras.Model(token_inputs, outputs, name="token_classifier")


def _vocab_size(teacher):
    backbone = _layer(teacher, "backbone")
    variables = backbone.weights if backbone is not None else []
    for variable in variables:
        path = getattr(variable, "path", None) or variable.name
        if len(variable.shape) == 2 and any(name in path for name in _EMBEDDING_NAMES):
            return int(variable.shape[0])
    raise ValueError(
        "Cannot find the vocabulary size: the teacher has no 'backbone' layer with a "
        f"2-D variable named like {list(_EMBEDDING_NAMES)}. Pass `vocab_size=` (the "
        "number of token ids the teacher's preprocessor produces)."
    )


def _image_features(inputs, units, image_size):
    x = keras.layers.Resizing(image_size, image_size, name="resizing")(inputs)
    x = keras.layers.Rescaling(1.0 / 255, name="rescaling")(x)
    for i, filters in enumerate((max(units // 4, 1), max(units // 2, 1), units)):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu",
                                name=f"conv_{i + 1}")(x)
        if i < 2:
            x = keras.layers.MaxPooling2D(name=f"pool_{i + 1}")(x)
    return keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
