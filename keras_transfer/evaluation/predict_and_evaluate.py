"""`predict_and_evaluate`: run a classifier on labelled data and analyse its errors."""

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.distribute.multi_worker import is_multi_worker
from keras_transfer.evaluation.evaluate_classifier import evaluate_classifier
from keras_transfer.utils.argument_validation import check_int

# Outputs whose rows sum to 1 within this, with values in [0, 1], are
# probabilities; anything else is logits.
_SUM_TOLERANCE = 1e-3


@keras_transfer_export(["keras_transfer.predict_and_evaluate",
                        "keras_transfer.evaluation.predict_and_evaluate"])
def predict_and_evaluate(model, data, class_names=None, from_logits=None, batch_size=32,
                         top_k_worst=8):
    """Predicts on labelled data and returns `keras_transfer.evaluate_classifier`'s dict.

    `data` is either a batched `tf.data.Dataset` yielding `(x, y)` (or
    `(x, y, sample_weight)`; weights are ignored) or a tuple `(x, y)` of
    arrays. A dataset is read exactly once, predicting batch by batch, so
    labels and predictions stay aligned even when it reshuffles on every
    iteration. When the inputs are strings (text classifiers) they are kept,
    so the worst-predicted examples show their text; array inputs given as a
    tuple are described by shape and value range; array inputs from a dataset
    are not kept. Example indices in the result count examples in the order
    the data yielded them.

    Whether the model outputs logits is detected: outputs with values in
    `[0, 1]` whose rows sum to 1 (one column: values in `[0, 1]`) are taken as
    probabilities, anything else gets a softmax (one column: a sigmoid).
    Pass `from_logits` to decide instead, e.g. for a one-unit logit output
    that happens to lie in `[0, 1]`.

    Args:
        model: `keras.Model`. A classifier with one output of shape
            `(batch, num_classes)` (or `(batch, 1)` / `(batch,)` for binary).
        data: `tf.data.Dataset` of `(x, y)` batches, or a tuple `(x, y)`.
            Labels are class indices or one-hot rows.
        class_names: list of str. One name per class. Defaults to `None`.
        from_logits: bool. Whether the outputs are logits. Defaults to `None`
            (detected).
        batch_size: int. Batch size for `model.predict` on arrays (a
            dataset keeps its own batches). Defaults to 32.
        top_k_worst: int. How many worst-predicted examples to return.
            Defaults to 8.

    Returns:
        The dict of `keras_transfer.evaluate_classifier`, plus `from_logits`
        (bool): whether a softmax (or sigmoid) was applied.

    Raises:
        ValueError: if `data` is not labelled, not batched, the model has
            several outputs, or as `keras_transfer.evaluate_classifier`.

    Example:

    ```python
    result = keras_transfer.predict_and_evaluate(
        model, val_ds, class_names=["cat", "dog"])
    print(result["accuracy"], result["most_confused"][:3])
    ```
    """
    if from_logits not in (None, True, False):
        raise ValueError(
            f"`from_logits` must be None, True or False. Received: from_logits={from_logits!r}")
    check_int(batch_size, "batch_size", minimum=1)
    if isinstance(data, tf.data.Dataset):
        outputs, labels, examples = _predict_dataset(model, data)
    elif isinstance(data, (tuple, list)) and len(data) in (2, 3):
        x, labels = data[0], np.asarray(data[1])
        if is_multi_worker(getattr(model, "distribute_strategy", None)):
            outputs = np.concatenate([
                _single_output(_predict_batch(model, batch))
                for batch in tf.data.Dataset.from_tensor_slices(x).batch(batch_size)], axis=0)
        else:
            outputs = _single_output(model.predict(x, batch_size=batch_size, verbose=0))
        examples = x if _one_per_example(x, len(outputs)) else None
    else:
        raise ValueError(
            "`data` must be a `tf.data.Dataset` of (x, y) batches or a tuple (x, y). "
            f"Received: data of type {type(data).__name__}")

    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.ndim == 2 and outputs.shape[1] == 1:
        outputs = outputs[:, 0]
    if from_logits is None:
        from_logits = _looks_like_logits(outputs)
    if from_logits:
        outputs = _sigmoid(outputs) if outputs.ndim == 1 else _softmax(outputs)
    result = evaluate_classifier(labels, outputs, class_names=class_names, examples=examples,
                                 top_k_worst=top_k_worst)
    result["from_logits"] = bool(from_logits)
    return result


def _predict_dataset(model, dataset):
    spec = dataset.element_spec
    if not isinstance(spec, tuple) or len(spec) not in (2, 3):
        raise ValueError(
            "`data` must yield (x, y) or (x, y, sample_weight) batches with labels. "
            f"Received a dataset with element_spec={spec}")
    label_spec = spec[1]
    if isinstance(label_spec, tf.TensorSpec) and label_spec.shape.rank == 0:
        raise ValueError(
            "`data` yields single examples (scalar labels); batch it first, e.g. "
            f"`data.batch(32)`. Received: element_spec={spec}")
    keep_text = isinstance(spec[0], tf.TensorSpec) and spec[0].dtype == tf.string
    outputs, labels, texts = [], [], []
    for batch in dataset:
        x, y = batch[0], batch[1]
        outputs.append(_single_output(_predict_batch(model, x)))
        labels.append(keras.ops.convert_to_numpy(y))
        if keep_text:
            texts.extend(np.asarray(x).reshape(len(y), -1)[:, 0].tolist())
    if not outputs:
        raise ValueError("`data` is empty: it yielded no batch to evaluate.")
    return (np.concatenate(outputs, axis=0), np.concatenate(labels, axis=0),
            texts if keep_text else None)


def _predict_batch(model, x):
    """`model.predict_on_batch(x)`, or a plain call on this worker under multi-worker MWMS.

    Under `MultiWorkerMirroredStrategy` Keras' `predict_on_batch` runs the
    batch on every worker and gathers their outputs, so a batch of 4 comes
    back as 8 rows with 2 workers. Inference needs no communication: each
    worker calls the model on the whole batch (mirrored variables read their
    local copy) and gets the rows of that batch, the same on every worker.
    """
    if is_multi_worker(getattr(model, "distribute_strategy", None)):
        return keras.tree.map_structure(keras.ops.convert_to_numpy, model(x, training=False))
    return model.predict_on_batch(x)


def _one_per_example(x, count):
    # A list of arrays is a multi-input model's inputs, not one input per example.
    if isinstance(x, dict):
        return all(len(value) == count for value in x.values())
    return hasattr(x, "shape") and len(x) == count


def _single_output(outputs):
    if isinstance(outputs, dict):
        if len(outputs) != 1:
            raise ValueError(
                "`model` must have a single output (class scores). Received outputs "
                f"{sorted(outputs)}; evaluate one of them, e.g. "
                "`keras.Model(model.inputs, model.outputs[0])`.")
        outputs = next(iter(outputs.values()))
    if isinstance(outputs, (list, tuple)):
        if len(outputs) != 1:
            raise ValueError(
                f"`model` must have a single output (class scores). Received {len(outputs)} "
                "outputs; evaluate one of them, e.g. `keras.Model(model.inputs, "
                "model.outputs[0])`.")
        outputs = outputs[0]
    return keras.ops.convert_to_numpy(outputs)


def _looks_like_logits(outputs):
    if outputs.size == 0:
        return False
    if np.min(outputs) < 0 or np.max(outputs) > 1:
        return True
    if outputs.ndim == 1:
        return False
    return bool(np.any(np.abs(outputs.sum(axis=-1) - 1) > _SUM_TOLERANCE))


def _softmax(logits):
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def _sigmoid(logits):
    return 0.5 * (1.0 + np.tanh(0.5 * logits))
