"""`get_layer_groups(model)`: a whole model's layer groups, input side first."""

import keras

from keras_transfer.groups.layer_group import LayerGroup
from keras_transfer.groups.naming import group_names


def get_layer_groups(model, patterns=None):
    """Splits a model into ordered `LayerGroup`s, input side first.

    - A `HubBackbone` contributes its own groups (derived from the SavedModel's
      variable names, or its `groups=` patterns).
    - A nested Keras model with numbered blocks (a keras.applications model, a
      KerasHub backbone) contributes groups derived from its layer names
      (`block3a_…`, `transformer_layer_3/…`, `conv4_block2_…`).
    - Other layers after the last backbone form the `head` group; layers with
      weights before the first backbone form the `input` group.
    - A flat model with no backbone is grouped by its variable names; if they
      show no numbered blocks (a plain `Sequential` stack), each layer with
      weights is one group.

    Args:
        model: `keras.Model`. A built model.
        patterns: list. Ordered regexes or `(name, regex)` pairs matched
            against `variable.path`, replacing the derivation for the whole
            model. Defaults to `None`.

    Returns:
        list of `LayerGroup`, input side first, each with a unique name.

    Raises:
        ValueError: if the model is not built, has no weights, or `patterns`
            leave a variable without a group.

    Example:

    ```python
    groups = keras_transfer.get_layer_groups(model)
    print([g.name for g in groups])  # ['backbone/stem', ..., 'head']
    ```
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"`model` must be a keras.Model. Received: model={model!r}")
    if not model.built or not model.weights:
        raise ValueError(
            f"`model` {model.name!r} has no weights yet; build it (call it on data "
            "or give it an Input) before asking for its layer groups."
        )
    if patterns is not None:
        return _groups_from_names(model, list(model.weights), patterns, _top_layers(model))
    layers = _top_layers(model)
    backbones = [layer for layer in layers if _is_backbone(layer)]
    if not backbones:
        return _groups_from_names(model, list(model.weights), None, layers)

    groups, pending = [], []
    last_backbone = layers.index(backbones[-1])
    for index, layer in enumerate(layers):
        if layer in backbones:
            if pending:
                groups.append(_plain_group("input" if not groups else pending[0].name, pending))
                pending = []
            groups.extend(_backbone_groups(layer))
        elif index > last_backbone:
            pending.append(layer)
        else:
            pending.append(layer)
    if pending:
        groups.append(_plain_group("head", pending))
    return _unique(groups)


def _top_layers(model):
    return [layer for layer in model.layers if layer.weights]


def _is_backbone(layer):
    if hasattr(layer, "layer_groups"):
        return True
    if isinstance(layer, keras.Model):
        names = [v.path for v in layer.weights]
        return len(group_names(names)) > 1
    return False


def _backbone_groups(layer):
    if hasattr(layer, "layer_groups"):
        return list(layer.layer_groups)
    groups = get_layer_groups(layer)
    for group in groups:
        group.name = f"{layer.name}/{group.name}"
    return groups


def _plain_group(name, layers):
    return LayerGroup(name, [v for layer in layers for v in layer.weights], layers)


def _groups_from_names(model, variables, patterns, layers):
    grouped = group_names([v.path for v in variables], patterns)
    if patterns is None and len(grouped) == 1:
        # No structure in the names: one group per layer.
        return _unique([_plain_group(layer.name, [layer]) for layer in layers])
    owner = {}
    for layer in layers:
        for v in layer.weights:
            owner.setdefault(id(v), layer)
    groups = []
    for name, indices in grouped:
        members = [variables[i] for i in indices]
        ids = {id(v) for v in members}
        whole = [layer for layer in layers
                 if layer.weights and all(id(v) in ids for v in layer.weights)]
        covered = {id(v) for layer in whole for v in layer.weights}
        loose_owners = {id(owner[id(v)]): owner[id(v)] for v in members
                        if id(v) not in covered and id(v) in owner}
        if len(loose_owners) > 1:
            raise ValueError(
                f"Group {name!r} takes parts of several layers "
                f"({sorted(o.name for o in loose_owners.values())}); a group may split "
                "only one layer (a HubBackbone). Adjust `patterns`.")
        group_owner = next(iter(loose_owners.values()), None)
        may_train = None
        if group_owner is not None and hasattr(group_owner, "declared_trainable_variables"):
            declared = {id(v) for v in group_owner.declared_trainable_variables}
            may_train = [v for v in members if id(v) not in covered and id(v) in declared]
        groups.append(LayerGroup(name, members, whole, owner=group_owner,
                                 trainable_variables=may_train))
    return _unique(groups)


def _unique(groups):
    seen = {}
    for group in groups:
        if group.name in seen:
            seen[group.name] += 1
            group.name = f"{group.name}_{seen[group.name]}"
        else:
            seen[group.name] = 0
    return groups
