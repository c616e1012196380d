"""`DiscriminativeOptimizer`: per-group learning rates on `keras.optimizers.MultiOptimizer`."""

import warnings

import keras

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.groups.naming import compile_group_patterns, match_group, warn_empty_groups


@keras_transfer_export("keras_transfer.DiscriminativeOptimizer")
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
    1.0, the head). A group that matches no variable while some variables
    fall to the default is reported once, with a warning, when the optimizer
    is built (a typo would otherwise train everything at the top rate).

    Gradient clipping follows the base optimizer exactly: its
    `global_clipnorm` clips by the norm over ALL variables (not per group),
    then each group applies its own rate; `clipnorm` (per variable) and
    `clipvalue` (per element) act per variable as they do in the base
    optimizer. Its `loss_scale_factor` is undone once, before clipping.

    Args:
        optimizer: `keras.optimizers.Optimizer` or str. The base optimizer
            whose class and settings every group copies.
        groups: list of `(name, regex)` pairs, input-side group first. A
            variable belongs to the first group whose regex `re.search`es its
            `variable.path` (the rule of `keras_transfer.get_layer_groups` and
            the fine-tuning callbacks): `"d0/"` selects layer `d0`'s
            variables; anchor with `^`/`$` for exact paths.
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
        if isinstance(groups, (str, bytes)) or not isinstance(groups, (list, tuple)):
            raise ValueError(f"`groups` must be a list of (name, regex) pairs. Received: groups={groups!r}")
        for item in groups:
            if not isinstance(item, (list, tuple)) or len(item) != 2 or not isinstance(item[1], str):
                raise ValueError(f"`groups` must be (name, regex) pairs. Received: {item!r}")
        groups = [(str(g[0]), g[1]) for g in groups]
        compiled = compile_group_patterns(groups)
        try:
            multipliers = [float(m) for m in multipliers]
        except (TypeError, ValueError):
            raise ValueError(
                f"`multipliers` must be a list of numbers. Received: multipliers={multipliers!r}"
            ) from None
        if len(groups) != len(multipliers):
            raise ValueError(
                "`multipliers` must have one value per group. Received "
                f"{len(multipliers)} multipliers for {len(groups)} groups."
            )
        for m in multipliers:
            if not m >= 0:
                raise ValueError(f"`multipliers` must be >= 0. Received: multipliers={multipliers}")
        base_config = template.get_config()
        if learning_rate is None:
            learning_rate = base_config["learning_rate"]
            if isinstance(learning_rate, dict):
                learning_rate = keras.optimizers.schedules.deserialize(learning_rate)
        # Done once over all groups in `apply`, as the base optimizer would:
        # per group, a global norm would let the update reach sqrt(n) x the clip.
        global_clipnorm = base_config.get("global_clipnorm")
        loss_scale_factor = kwargs.pop("loss_scale_factor", None) or base_config.get(
            "loss_scale_factor")
        if global_clipnorm and base_config.get("gradient_accumulation_steps"):
            raise ValueError(
                "`global_clipnorm` together with `gradient_accumulation_steps` is not "
                "supported by DiscriminativeOptimizer (the clip would apply to each "
                "micro-batch). Received: "
                f"global_clipnorm={global_clipnorm}, gradient_accumulation_steps="
                f"{base_config.get('gradient_accumulation_steps')}")
        base_config = dict(base_config, global_clipnorm=None, loss_scale_factor=None)

        def clone(multiplier, suffix):
            # Readable names in logs and TensorBoard.
            config = dict(base_config, learning_rate=float(_initial_value(learning_rate)) * multiplier,
                          name=f"{name}_{suffix}")
            return type(template).from_config(config)

        default = clone(1.0, "default")
        group_optimizers = [clone(m, f"group_{k}") for k, m in enumerate(multipliers)]
        optimizer_map = _GroupMap(compiled, default, group_optimizers)
        super().__init__(optimizer_map, name=name, **kwargs)
        self.global_clipnorm = global_clipnorm
        self._loss_scale_factor = loss_scale_factor
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

    @property
    def loss_scale_factor(self):
        return getattr(self, "_loss_scale_factor", None)

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        # Kept here, not pushed to the group optimizers: `apply` unscales
        # once, before the global clip, as the base optimizer does.
        self._loss_scale_factor = value

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
        counts, ungrouped = [0] * len(self.groups), []
        for v in var_list:
            index = match_group(v.path, self._optimizer_map.compiled)
            if index is None:
                ungrouped.append(v.path)
            else:
                counts[index] += 1
        # Only when some variables then fall to the default (top) rate: a
        # frozen group legitimately has no variable in `var_list`.
        if ungrouped:
            warn_empty_groups(
                self._optimizer_map.compiled, counts,
                f"DiscriminativeOptimizer {self.name!r} ({len(ungrouped)} variable(s) in no "
                f"group train at the base rate, e.g. {ungrouped[:3]})")

    def apply(self, grads, trainable_variables=None):
        """Applies gradients for all or a subset of the built variables.

        Without `trainable_variables`, `grads` match the variables the
        optimizer was built on, one to one (Keras' rule).
        """
        if len(grads) == 0:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer "
                    "must already be built on a list of variables. "
                    "Call `optimizer.build(trainable_variables)` first.")
            if len(grads) != len(self._trainable_variables):
                raise ValueError(
                    f"`grads` must match the {len(self._trainable_variables)} variables the "
                    f"optimizer was built on, one to one. Received {len(grads)} gradients.")
            trainable_variables = list(self._trainable_variables)
        else:
            trainable_variables = list(trainable_variables)
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
        pairs = [(g, v) for g, v in zip(grads, trainable_variables) if g is not None]
        if not pairs:
            raise ValueError("No gradients provided for any variable.")
        if len(pairs) < len(trainable_variables):
            missing = [v.path for g, v in zip(grads, trainable_variables) if g is None]
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing "
                          "the loss.", stacklevel=2)
        grads = [g for g, _ in pairs]
        if self.loss_scale_factor is not None:
            grads = [g / self.loss_scale_factor for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            grads = _clip_by_global_norm(grads, self.global_clipnorm)
        self._sync_group_learning_rates()
        by_optimizer = {}
        for grad, (_, var) in zip(grads, pairs):
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
        config["groups"] = [_upgrade_legacy_pattern(g) for g in config.get("groups", [])]
        config["optimizer"] = keras.optimizers.deserialize(
            config["optimizer"], custom_objects=custom_objects)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = keras.saving.deserialize_keras_object(
                config["learning_rate"], custom_objects=custom_objects)
        return cls(**config)


class _GroupMap(keras.optimizers.OptimizerMap):
    """`OptimizerMap` that assigns variables by `keras_transfer`'s one regex rule.

    The stock map `re.fullmatch`es; this one uses `groups.naming.match_group`
    (first `re.search` wins), like the fine-tuning callbacks.
    """

    def __init__(self, compiled, default_optimizer, group_optimizers):
        super().__init__(default_optimizer, {
            f"{k}:{regex.pattern}": opt
            for k, ((_, regex), opt) in enumerate(zip(compiled, group_optimizers))})
        self.compiled = compiled
        self.group_optimizers = list(group_optimizers)

    def __getitem__(self, key):
        if key in self._optimizer_map:  # the map's own keys (`values()` looks them up)
            return self._optimizer_map[key]
        index = match_group(key, self.compiled)
        return self.default_optimizer if index is None else self.group_optimizers[index]


_LEGACY_PREFIX, _LEGACY_SUFFIX = "(?:.*/)?(?:", ")"


def _upgrade_legacy_pattern(group):
    """Files saved before the `re.search` rule hold `re.fullmatch` patterns.

    `discriminative_optimizer` wrote `(?:.*/)?(?:a|b)`; under `re.search` that
    would also match `xa`, so it becomes the equivalent `(?:^|/)(?:a|b)$`.
    """
    name, regex = group
    if regex.startswith(_LEGACY_PREFIX) and regex.endswith(_LEGACY_SUFFIX):
        regex = "(?:^|/)(?:" + regex[len(_LEGACY_PREFIX):-len(_LEGACY_SUFFIX)] + ")$"
    return [name, regex]


def _clip_by_global_norm(grads, clip_norm):
    """Keras' own `clip_by_global_norm` (same formula, so the same numbers)."""
    ops = keras.ops
    norm = ops.sqrt(ops.sum(ops.stack([ops.sum(ops.square(g)) for g in grads])))
    scale_for_finite = clip_norm * ops.minimum(1.0 / norm, 1.0 / clip_norm)
    scale = scale_for_finite + (norm - norm)  # NaN for an infinite or NaN norm, as Keras
    return [g * scale for g in grads]


def _initial_value(learning_rate):
    if isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        return keras.ops.convert_to_numpy(learning_rate(0))
    return keras.ops.convert_to_numpy(learning_rate)
