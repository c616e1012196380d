"""`distill`: train a student on a teacher's soft labels with `keras.distillation`."""

import keras
import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.utils.argument_validation import check_int, check_number, check_positive

# log(p) of a float32 softmax: p underflows to 0 only for logit gaps above ~87;
# the smallest normal float32 keeps those at a finite log instead of -inf.
_TINY = float(np.finfo("float32").tiny)


@keras_transfer_export("keras_transfer.distill")
def distill(
    teacher,
    student,
    x,
    y=None,
    epochs=5,
    batch_size=None,
    temperature=3.0,
    student_loss_weight=0.5,
    learning_rate=1e-3,
    validation_data=None,
    callbacks=None,
    verbose="auto",
):
    """Trains `student` to match `teacher`'s predictions (knowledge distillation).

    Hinton et al.'s distillation, run by Keras' own
    `keras.distillation.Distiller` with `model.fit`. Each step minimises

    `a * CE(y, p_s) + (1 - a) * T^2 * KL(softmax(z_t / T) || softmax(z_s / T))`

    with `a = student_loss_weight` (the usual "alpha"), `T = temperature`,
    `p_s` the student's probabilities, and `z_t`, `z_s` the teacher's and
    student's logits. keras_transfer models return softmax probabilities,
    not logits, so both models are wrapped to return `log(p)`: softmax is
    blind to a constant shift, so `log(p)` gives exactly the same tempered
    distribution as the logits, and the cross-entropy on `log(p)` "logits"
    is the cross-entropy on `p`. The KL term uses a
    `keras.losses.KLDivergence` instance: `LogitsDistillation` only applies
    the softmax when given an instance, not the string `"kl_divergence"`.

    The student's layers are trained in place (the wrapper shares them), so
    afterwards `student` is the distilled model, ready to evaluate and
    export. The teacher is frozen while distilling (`Distiller` sets it
    non-trainable) and its layers' `trainable` flags are restored afterwards.

    Args:
        teacher: `keras.Model`. The trained classifier, returning softmax
            probabilities `[batch, num_classes]`.
        student: `keras.Model`. A classifier with the same input and output
            shapes (for example from `keras_transfer.build_student`).
        x: Training inputs, as for `model.fit`: an array, or a `tf.data.Dataset`
            of `(inputs, labels)` batches.
        y: Integer class labels when `x` is an array. Defaults to `None`.
        epochs: int. Passes over the data. Defaults to `5`.
        batch_size: int. Batch size when `x` is an array. Defaults to `None`
            (Keras' 32).
        temperature: float. Softens both distributions; 2 to 5 is usual.
            Defaults to `3.0`.
        student_loss_weight: float in [0, 1]. Weight `a` of the loss on the
            true labels; `1 - a` weighs the distillation term. Defaults to
            `0.5`.
        learning_rate: float. Adam learning rate for the student. Defaults to
            `1e-3`.
        validation_data: As for `model.fit`. Defaults to `None`.
        callbacks: list of `keras.callbacks.Callback`. Defaults to `None`.
        verbose: As for `model.fit`. Defaults to `"auto"`.

    Returns:
        The `keras.callbacks.History` of the fit; its `model` is the
        `keras.distillation.Distiller` and its `history` has `loss`,
        `student_loss`, `distillation_loss` and `accuracy` per epoch.

    Raises:
        ValueError: for a bad argument, or models that are not compatible
            (`keras.distillation.Distiller` checks the input and output
            shapes and dtypes).

    Example:

    ```python
    student = keras_transfer.build_student(teacher)
    keras_transfer.distill(teacher, student, train_ds, epochs=5, temperature=3.0)
    student.evaluate(test_ds)
    ```
    """
    check_int(epochs, "epochs", minimum=1)
    check_int(batch_size, "batch_size", minimum=1, allow_none=True)
    check_positive(temperature, "temperature")
    check_number(student_loss_weight, "student_loss_weight", 0, 1)
    check_positive(learning_rate, "learning_rate")
    for name, model in (("teacher", teacher), ("student", student)):
        _check_classifier(model, name)

    # Parents first, so restoring a parent's flag does not undo a child's.
    flags = [(layer, layer.trainable) for layer in _walk(teacher)]
    try:
        distiller = make_distiller(teacher, student, temperature, student_loss_weight)
        distiller.compile(
            optimizer=keras.optimizers.Adam(learning_rate),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        return distiller.fit(x, y, epochs=epochs, batch_size=batch_size,
                             validation_data=validation_data, callbacks=callbacks,
                             verbose=verbose)
    finally:
        for layer, trainable in flags:
            layer.trainable = trainable


def make_distiller(teacher, student, temperature, student_loss_weight):
    """The `keras.distillation.Distiller` on log-probability views of both models.

    Not compiled. `distill` uses it; tests use it to compute the loss.
    """
    return keras.distillation.Distiller(
        teacher=log_probabilities(teacher, "teacher_log_probabilities"),
        student=log_probabilities(student, "student_log_probabilities"),
        distillation_losses=keras.distillation.LogitsDistillation(
            temperature=float(temperature), loss=keras.losses.KLDivergence()),
        student_loss_weight=float(student_loss_weight),
    )


def log_probabilities(model, name):
    """A functional view of `model` that returns `log(p)` (sharing its layers)."""
    probabilities = model.outputs[0]
    outputs = keras.ops.log(keras.ops.maximum(keras.ops.cast(probabilities, "float32"), _TINY))
    return keras.Model(model.inputs, outputs, name=name)


def _walk(layer):
    yield layer
    for child in getattr(layer, "layers", None) or []:
        yield from _walk(child)


def _check_classifier(model, name):
    if (not isinstance(model, keras.Model) or not getattr(model, "inputs", None)
            or len(model.outputs) != 1 or len(model.outputs[0].shape) != 2):
        raise ValueError(
            f"`{name}` must be a functional `keras.Model` with one output of class "
            f"probabilities [batch, num_classes]. Received: {name}={model!r}"
        )
