"""Every layer of a model, nested models' layers included."""


def walk_layers(model):
    """The layers of `model`, depth first, each nested model's own layers after it."""
    found = []
    for layer in getattr(model, "layers", []):
        found.append(layer)
        found.extend(walk_layers(layer))
    return found
