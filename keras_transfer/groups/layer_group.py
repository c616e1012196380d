"""`LayerGroup`: a named set of variables (and layers) that freeze and train together."""

import keras


class LayerGroup:
    """A named slice of a model, from input side to output side.

    Groups are what fine-tuning acts on: `ProgressiveUnfreezing` unfreezes
    them one at a time and `DiscriminativeLR` gives each its own learning rate.
    A group holds Keras layers (frozen with `layer.trainable`, which also puts
    BatchNormalization in inference mode) and/or variables of a `HubBackbone`
    (frozen per variable, since a SavedModel has no Keras layers inside).

    Args:
        name: str. The group's name, unique within a model.
        variables: list of `keras.Variable`. Every variable of the group.
        layers: list of `keras.layers.Layer`. Layers whose weights all belong
            to this group. Defaults to `()`.
        owner: `keras.layers.Layer`. For variables that are not covered by
            `layers`: the layer that holds them (a `HubBackbone`). Defaults
            to `None`.
        trainable_variables: list of `keras.Variable`. Of the variables not
            covered by `layers`, those that may ever train (a SavedModel's
            BatchNorm statistics may not). Defaults to `None` (all of them).

    Example:

    ```python
    groups = keras_transfer.get_layer_groups(model)
    groups[0].set_trainable(False)
    ```
    """

    def __init__(self, name, variables, layers=(), owner=None, trainable_variables=None):
        self.name = name
        self.variables = list(variables)
        self.layers = list(layers)
        self.owner = owner
        layer_variables = {id(v) for layer in self.layers for v in layer.weights}
        self._loose = [v for v in self.variables if id(v) not in layer_variables]
        if trainable_variables is None:
            trainable_variables = self._loose
        self._may_train = {id(v) for v in trainable_variables}

    @property
    def paths(self):
        """The `variable.path` of every variable, in order."""
        return [v.path for v in self.variables]

    @property
    def trainable_variables(self):
        """The group's variables that the next train step would update."""
        ids = set()
        for layer in self.layers:
            ids.update(id(v) for v in layer.trainable_weights)
        if self.owner is None or self.owner.trainable:
            ids.update(id(v) for v in self._loose if v.trainable)
        return [v for v in self.variables if id(v) in ids]

    @property
    def trainable(self):
        """True when any variable of the group would be trained."""
        return bool(self.trainable_variables)

    def set_trainable(self, trainable, train_batchnorm=True):
        """Freezes or unfreezes the group, leaving other groups as they are.

        Args:
            trainable: bool. The new state.
            train_batchnorm: bool. When False, BatchNormalization layers stay
                frozen (inference mode) even when the group is unfrozen, as
                the Keras fine-tuning guide recommends. Defaults to True.
        """
        trainable = bool(trainable)
        for layer in self.layers:
            is_bn = isinstance(layer, keras.layers.BatchNormalization)
            layer.trainable = trainable and (train_batchnorm or not is_bn)
            if trainable and not train_batchnorm:
                for sub in _sublayers(layer):
                    if isinstance(sub, keras.layers.BatchNormalization):
                        sub.trainable = False
        if not self._loose:
            return
        if trainable and self.owner is not None and not self.owner.trainable:
            # Turning the owner on would unfreeze all its variables: keep the
            # others as they were (frozen, since the owner was frozen).
            self.owner.trainable = True
            mine = {id(v) for v in self._loose}
            for v in self.owner.weights:
                if id(v) not in mine:
                    v.trainable = False
        for v in self._loose:
            v.trainable = trainable and id(v) in self._may_train

    def __repr__(self):
        return (f"LayerGroup(name={self.name!r}, variables={len(self.variables)}, "
                f"layers={len(self.layers)})")


def _sublayers(layer):
    """Every nested layer of a model-like layer (public `layers` only)."""
    found = []
    for sub in getattr(layer, "layers", None) or []:
        found.append(sub)
        found.extend(_sublayers(sub))
    return found
