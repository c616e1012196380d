"""`DiscriminativeOptimizer`: per-group learning rates on `keras.optimizers.MultiOptimizer`."""

import re

import keras

from keras_transfer.api_export import keras_transfer_export


@keras_transfer_export
class DiscriminativeOptimizer(keras.optimizers.MultiOptimizer):
    """One copy of a base optimizer per layer group, each at its own learning rate.

    Built on `keras.optimizers.MultiOptimizer` + `OptimizerMap`: every group
    gets its own instance of the base optimizer (same class and settings), so
    each variable receives exactly the update the base optimizer would apply
    with its group's learning rate — for SGD, Adam, AdamW alike (scaling
    gradients instead would be wrong for Adam).

    Unlike the stock `MultiOptimizer`, it presents ONE learning rate, the
    base rate of the top group, and each group follows it times its
    multiplier. So Keras' `ReduceLROnPlateau`, `LearningRateScheduler`,
    `TensorBoard` and keras_transfer's `LRFinder` scale every group together
    and the ratios between groups stay; a `LearningRateSchedule` (e.g.
    `SlantedTriangular`) is shared by all groups, evaluated at this
    optimizer's step counter. For that, the per-group optimizers are exposed
    by `get_group_optimizers()`, not as MultiOptimizer's `optimizers` (which Keras'
    callbacks would set one by one, flattening the groups). It also accepts
    gradients for a subset of the variables it was built on, which is what
    `ProgressiveUnfreezing` needs.

    Variables that match no group pattern use the default copy (multiplier
    1.0, the head).

    Args:
        optimizer: `keras.optimizers.Optimizer` or str. The base optimizer
            whose class and settings every group copies.
        groups: list of `(name, regex)` pairs. Regexes are `re.fullmatch`ed
            against `variable.path`, input-side group first.
        multipliers: list of float. One per group: its learning rate is the
            base rate times this.
        learning_rate: float or `LearningRateSchedule`. The base rate.
            Defaults to `None` (the base optimizer's own rate).
        name: str. Defaults to `"discriminative"`.

    Example:

    ```python
    optimizer = keras_transfer.discriminative_optimizer(model, "adam",
                                                        learning_rate=1e-3, decay=2.6)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    ```
    """

    def __init__(self, optimizer, groups, multipliers, learning_rate=None, name="discriminative",
                 **kwargs):
        template = keras.optimizers.get(optimizer)
        if isinstance(template, keras.optimizers.MultiOptimizer):
            raise ValueError("`optimizer` must be a plain optimizer, not a MultiOptimizer. "
                             f"Received: optimizer={template!r}")
        groups = [tuple(g) for g in groups]
        multipliers = [float(m) for m in multipliers]
        if len(groups) != len(multipliers):
            raise ValueError(
                "`multipliers` must have one value per group. Received "
                f"{len(multipliers)} multipliers for {len(groups)} groups."
            )
        for m in multipliers:
            if not m >= 0:
                raise ValueError(f"`multipliers` must be >= 0. Received: multipliers={multipliers}")
        for item in groups:
            if len(item) != 2 or not isinstance(item[1], str):
                raise ValueError(f"`groups` must be (name, regex) pairs. Received: {item!r}")
            re.compile(item[1])
        base_config = template.get_config()
        if learning_rate is None:
            learning_rate = base_config["learning_rate"]
            if isinstance(learning_rate, dict):
                learning_rate = keras.optimizers.schedules.deserialize(learning_rate)
        def clone(multiplier, suffix):
            # Readable names in logs and TensorBoard.
            config = dict(base_config, learning_rate=float(_initial_value(learning_rate)) * multiplier,
                          name=f"{name}_{suffix}")
            return type(template).from_config(config)

        default = clone(1.0, "default")
        group_optimizers = [clone(m, f"group_{k}") for k, m in enumerate(multipliers)]
        optimizer_map = keras.optimizers.OptimizerMap(
            default_optimizer=default,
            optimizer_map={regex: opt for (_, regex), opt in zip(groups, group_optimizers)},
        )
        super().__init__(optimizer_map, name=name, **kwargs)
        self._template_config = keras.optimizers.serialize(template)
        self.groups = groups
        self.multipliers = multipliers
        self._default = default
        self._group_optimizers = group_optimizers
        if isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
            # Not via the setter: it would untrack the 0.0 variable that
            # MultiOptimizer created, and TF cannot save a list with a hole.
            self._learning_rate = learning_rate
        else:
            self.learning_rate = learning_rate

    # The stock MultiOptimizer hides `learning_rate`; restore Keras' own
    # getter/setter (schedule-aware, refuses assignment over a schedule).
    learning_rate = keras.optimizers.Optimizer.learning_rate

    @property
    def optimizers(self):
        # Hidden on purpose (see the class docstring): Keras' LR callbacks
        # look for this attribute and would set each group to the same rate.
        raise AttributeError(
            "DiscriminativeOptimizer presents one learning rate for all groups; "
            "use `.learning_rate` (the top group's) or `.get_group_optimizers()`.")

    def get_group_optimizers(self):
        """Returns `{group name: optimizer}` plus `"default"` (variables in no group).

        A method, not a property: Keras' saver walks public attributes and
        would store every group's variables a second time.
        """
        optimizers = dict(zip((name for name, _ in self.groups), self._group_optimizers))
        optimizers["default"] = self._default
        return optimizers

    def _sync_group_learning_rates(self):
        # A plain tensor, never a Variable: Keras' setter would adopt (and
        # track) anything callable as the sub-optimizer's own rate.
        base = self.learning_rate * 1.0
        self._default.learning_rate = base
        for opt, multiplier in zip(self._group_optimizers, self.multipliers):
            opt.learning_rate = base * multiplier

    def group_learning_rates(self):
        """Returns `{group name: current learning rate}` (plus `"default"`)."""
        base = float(keras.ops.convert_to_numpy(self.learning_rate))
        rates = {name: base * m for (name, _), m in zip(self.groups, self.multipliers)}
        rates["default"] = base
        return rates

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._known = {id(v) for v in var_list}

    def apply(self, grads, trainable_variables=None):
        """Applies gradients for all or a subset of the built variables."""
        if len(grads) == 0:
            return
        if trainable_variables is None:
            return super().apply(grads)
        if not self.built:
            self.build(trainable_variables)
        unknown = [v.path for v in trainable_variables if id(v) not in self._known]
        if unknown:
            raise ValueError(
                f"{len(unknown)} variable(s) were not known when the optimizer was "
                f"built, e.g. {unknown[:3]}. Build it on every variable that may "
                "ever train (leave all groups trainable when compiling; "
                "ProgressiveUnfreezing freezes them itself)."
            )
        self._sync_group_learning_rates()
        by_optimizer = {}
        for grad, var in zip(grads, trainable_variables):
            opt = self._optimizer_map(var)
            by_optimizer.setdefault(id(opt), (opt, [], []))
            by_optimizer[id(opt)][1].append(grad)
            by_optimizer[id(opt)][2].append(var)
        for opt, sub_grads, sub_vars in by_optimizer.values():
            opt.apply(sub_grads, sub_vars)
        self.iterations.assign_add(1)

    def save_own_variables(self, store):
        """Saves this optimizer's own step and rate only.

        Keras' saver also walks into the per-group optimizers (saved under
        their stable names); the stock `MultiOptimizer` saves their variables
        a second time here, doubling the optimizer's share of a `.keras` file.
        """
        for i, variable in enumerate(self._variables):
            store[str(i)] = variable

    def load_own_variables(self, store):
        if len(store.keys()) != len(self._variables):
            raise ValueError(
                f"Optimizer {self.name!r} expects {len(self._variables)} saved "
                f"variables of its own and found {len(store.keys())}; the file was "
                "written by another optimizer layout.")
        for i, variable in enumerate(self._variables):
            variable.assign(store[str(i)])

    def get_config(self):
        return {
            "optimizer": self._template_config,
            "groups": [list(g) for g in self.groups],
            "multipliers": list(self.multipliers),
            "learning_rate": keras.saving.serialize_keras_object(self._learning_rate)
            if isinstance(self._learning_rate, keras.optimizers.schedules.LearningRateSchedule)
            else float(keras.ops.convert_to_numpy(self._learning_rate)),
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["optimizer"] = keras.optimizers.deserialize(
            config["optimizer"], custom_objects=custom_objects)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = keras.saving.deserialize_keras_object(
                config["learning_rate"], custom_objects=custom_objects)
        return cls(**config)


def _initial_value(learning_rate):
    if isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        return keras.ops.convert_to_numpy(learning_rate(0))
    return keras.ops.convert_to_numpy(learning_rate)
