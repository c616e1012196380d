"""`build_multi_task_model`: one backbone, one named head per task."""

import keras

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.heads.classification_head import ClassificationHead
from keras_transfer.models import common
from keras_transfer.utils.argument_validation import check_int, check_number

# Keys a task dict may hold; exactly one of `num_classes` / `units`.
_TASK_KEYS = ("num_classes", "units", "loss_weight", "dropout")


@keras_transfer_export("keras_transfer.build_multi_task_model")
def build_multi_task_model(
    base_model,
    tasks,
    compile=True,
    learning_rate=None,
):
    """Builds a model with one shared backbone and one head per task.

    Takes a keras_transfer classifier (from `build_text_classifier`,
    `build_image_classifier` or `build_audio_classifier`, trained or not)
    and replaces its layer `"head"` with one head per task, each fed the
    same backbone features. The input, preprocessing and backbone layers are
    the base model's own (same weights; training the multi-task model trains
    them). The result is a plain functional Keras model whose outputs are a
    dict keyed by task name, trained with `model.fit(x, {task: targets})`
    and exported with `keras_transfer.export.export_for_serving` (one set
    of outputs per task).

    Each task is a dict with either
    - `num_classes` (int >= 2): classification, a softmax head, sparse
      categorical crossentropy on integer labels, metric `accuracy`; or
    - `units` (int >= 1): regression, a linear head, mean squared error,
      metric `mae`;
    and optionally `loss_weight` (float >= 0, default 1.0; the total loss is
    the weighted sum of the task losses, as in `Model.compile(loss_weights=)`)
    and `dropout` (default 0.1). Keras logs each task's loss and metrics
    under the task's name (`sentiment_loss`, `sentiment_accuracy`,
    `rating_mae`).

    Args:
        base_model: `keras.Model`. A keras_transfer classifier with a layer
            named `"head"`.
        tasks: dict. Task name (a valid layer name) -> task dict.
        compile: bool. Compile with Adam and the losses, loss weights and
            metrics above. Defaults to `True`.
        learning_rate: float. Adam learning rate. Defaults to `None` (1e-4
            when the backbone is trainable, else 1e-3).

    Returns:
        A `keras.Model` named `"multi_task_model"` with the base model's
        input and a dict of float32 outputs, one per task.

    Raises:
        ValueError: for a base model without a `"head"` layer, an empty
            `tasks`, or a bad task dict (unknown key, both or neither of
            `num_classes` and `units`, a negative `loss_weight`).

    Example:

    ```python
    base = keras_transfer.build_text_classifier("minilm_l6", num_classes=2, compile=False)
    model = keras_transfer.build_multi_task_model(base, {
        "sentiment": {"num_classes": 2},
        "rating": {"units": 1, "loss_weight": 0.5},
    })
    model.fit(texts, {"sentiment": labels, "rating": stars}, epochs=3)
    ```
    """
    tasks = _check_tasks(tasks)
    try:
        head = base_model.get_layer("head")
    except (AttributeError, ValueError):
        names = [layer.name for layer in getattr(base_model, "layers", [])]
        raise ValueError(
            "`base_model` must be a keras_transfer classifier with a layer named "
            f"'head' (its features feed the new heads). Its layers: {names}"
        ) from None
    features = head.input
    outputs = {}
    for name, task in tasks.items():
        units = task.get("num_classes") or task["units"]
        activation = "softmax" if "num_classes" in task else None
        outputs[name] = ClassificationHead(units, dropout=task.get("dropout", 0.1),
                                           activation=activation, name=name)(features)
    model = keras.Model(base_model.inputs, outputs, name="multi_task_model")
    if compile:
        backbone = _backbone(base_model)
        learning_rate = common.default_learning_rate(
            learning_rate, bool(backbone is not None and backbone.trainable_weights))
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate),
            loss={name: _loss(task) for name, task in tasks.items()},
            loss_weights={name: float(task.get("loss_weight", 1.0))
                          for name, task in tasks.items()},
            metrics={name: ["accuracy" if "num_classes" in task else "mae"]
                     for name, task in tasks.items()},
        )
    return model


def _backbone(model):
    try:
        return model.get_layer("backbone")
    except ValueError:
        return None


def _loss(task):
    if "num_classes" in task:
        return keras.losses.SparseCategoricalCrossentropy()
    return keras.losses.MeanSquaredError()


def _check_tasks(tasks):
    if not isinstance(tasks, dict) or not tasks:
        raise ValueError(
            "`tasks` must be a non-empty dict of task name -> task dict, e.g. "
            "{'sentiment': {'num_classes': 2}, 'rating': {'units': 1}}. "
            f"Received: tasks={tasks!r}"
        )
    checked = {}
    for name, task in tasks.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(
                f"Task names must be identifiers (they name layers and outputs). "
                f"Received: {name!r}"
            )
        if not isinstance(task, dict) or set(task) - set(_TASK_KEYS):
            raise ValueError(
                f"Task {name!r} must be a dict with keys from {list(_TASK_KEYS)}. "
                f"Received: {task!r}"
            )
        if ("num_classes" in task) == ("units" in task):
            raise ValueError(
                f"Task {name!r} needs exactly one of `num_classes` (classification) and "
                f"`units` (regression). Received: {task!r}"
            )
        if "num_classes" in task:
            common.check_num_classes(task["num_classes"], f"tasks[{name!r}]['num_classes']")
        else:
            check_int(task["units"], f"tasks[{name!r}]['units']", minimum=1)
        check_number(task.get("loss_weight", 1.0), f"tasks[{name!r}]['loss_weight']", 0)
        check_number(task.get("dropout", 0.1), f"tasks[{name!r}]['dropout']", 0, 1,
                     max_open=True)
        checked[name] = dict(task)
    return checked
