"""`adapt_language_model`: masked-LM domain adaptation of a BERT-style encoder."""

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import keras
import numpy as np

from keras_transfer.api_export import keras_transfer_export
from keras_transfer.backbones.handles import resolve_handle
from keras_transfer.backbones.registry import register_backbone
from keras_transfer.data.mask_tokens import BERT_INPUTS
from keras_transfer.data.masked_lm_dataset import masked_lm_dataset
from keras_transfer.data.word_pieces import IGNORE_LABEL
from keras_transfer.layers.hub_backbone import HubBackbone
from keras_transfer.models import common
from keras_transfer.models.masked_language_model import MaskedLanguageModel
from keras_transfer.utils.argument_validation import check_int, check_positive

logger = logging.getLogger(__name__)

# Spellings of the special tokens in WordPiece vocabularies: BERT's, and
# MPNet's (see providers/minilm/preprocessor.py). The first present is used.
MASK_TOKENS = ("[MASK]", "<mask>")
SPECIAL_TOKENS = ("[PAD]", "[CLS]", "[SEP]", "[MASK]", "<pad>", "<s>", "</s>", "<mask>")
_TOKENIZE_BATCH = 256


@keras_transfer_export("keras_transfer.adapt_language_model")
def adapt_language_model(
    backbone,
    texts,
    export_dir,
    preprocessor=None,
    name=None,
    epochs=1,
    batch_size=32,
    learning_rate=1e-4,
    max_predictions=20,
    mask_token_id=None,
    special_token_ids=None,
    seed=0,
    verbose=0,
):
    """Adapts a BERT-style encoder to a domain by masked-language modelling.

    Domain-adaptive pretraining (Gururangan et al. 2020, "Don't Stop
    Pretraining"): before fine-tuning on a few labels, continue the
    encoder's masked-LM training on unlabelled text of the target domain.

    1. The texts are tokenized once by the backbone's preprocessor.
    2. `keras_transfer.data.masked_lm_dataset` masks them afresh every epoch
       (15% of the non-special tokens; 80% `[MASK]`, 10% random, 10% kept).
    3. A `keras_transfer.MaskedLanguageModel` (the encoder, trainable, with
       an MLM head tied to its word embeddings; the transform and bias start
       fresh) is trained with `model.fit`: Adam at `learning_rate`,
       `SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)`
       (loss on masked positions only), masked-token accuracy as a weighted
       metric.
    4. The adapted encoder is written to `export_dir/encoder` (the head is
       dropped), the preprocessor copied to `export_dir/preprocessor`, and
       a registry entry to `export_dir/adapted.json`.

    Every text builder then takes the adapted encoder like the original:
    pass `name=` to register it (or, in a later process,
    `keras_transfer.register_backbone(name, json.load(open(export_dir +
    "/adapted.json"))["entry"])`) and use `name` as the `backbone`. The
    entry is the source's (output key, sequence length, groups) with local
    handles; it has no provider, so `.keras` files that name it load only
    with `safe_mode=False`, like any SavedModel that is not the library's
    own conversion.

    Args:
        backbone: str or path-like. A text registry name (e.g.
            `"minilm_l6"`) or the path/URL of a BERT-style encoder
            SavedModel (dict inputs, `sequence_output` among its outputs).
        texts: sequence of str. Unlabelled in-domain text. Never include
            the texts you will evaluate on.
        export_dir: str or path. Output folder; must not exist.
        preprocessor: str or path-like. The strings -> BERT inputs
            SavedModel. Defaults to `None` (the registry's).
        name: str. Register the adapted encoder under this name (replacing
            an entry of that name). Defaults to `None` (do not register).
        epochs: int. Passes over `texts`. Defaults to `1`.
        batch_size: int. Texts per step. Defaults to `32`.
        learning_rate: float. Adam's rate for encoder and head. Defaults to
            `1e-4`.
        max_predictions: int. Masked positions per text at most. Defaults
            to `20` (BERT's for 128 tokens).
        mask_token_id: int. Id of the mask token. Defaults to `None`: looked
            up (`[MASK]` or `<mask>`) in the preprocessor's
            `assets/vocab.txt`.
        special_token_ids: sequence of int. Ids never masked. Defaults to
            `None`: those of `[PAD]`, `[CLS]`, `[SEP]`, `[MASK]` (or MPNet's
            spellings) in that vocabulary.
        seed: int. Seeds the head's initialization, shuffling and masks.
            Defaults to `0`.
        verbose: int. `model.fit` verbosity. Defaults to `0`.

    Returns:
        dict with `path` (str, `export_dir`), `entry` (the registry entry),
        `history` (`History.history`: `loss` and `accuracy` per epoch) and
        `num_texts`.

    Raises:
        ValueError: for no texts, an unknown or non-text backbone, no
            preprocessor, a vocabulary without a mask token (pass
            `mask_token_id` and `special_token_ids`), or a bad number.
        FileExistsError: if `export_dir` exists.

    Example:

    ```python
    train = keras_transfer.data.load_rotten_tomatoes_unlabelled()
    keras_transfer.adapt_language_model(
        "minilm_l6", train, "/tmp/minilm_rt", name="minilm_rt")
    model = keras_transfer.build_text_classifier("minilm_rt", num_classes=2)
    ```
    """
    texts = [str(text) for text in texts]
    if not texts:
        raise ValueError("`texts` must hold at least one text. Received: texts=[]")
    for value, argument in ((epochs, "epochs"), (batch_size, "batch_size"),
                            (max_predictions, "max_predictions")):
        check_int(value, argument, minimum=1)
    check_int(seed, "seed", minimum=0)
    check_positive(learning_rate, "learning_rate")
    export_dir = Path(export_dir)
    if export_dir.exists():
        raise FileExistsError(
            f"`export_dir` already exists: {export_dir}. Remove it first or pick "
            "another path."
        )
    source, entry = common.resolve_backbone(backbone, "text", "adapt_language_model")
    if preprocessor is None and entry is not None and entry.get("preprocessor"):
        preprocessor = common.registry_handle(source, entry["preprocessor"])
    if preprocessor is None:
        raise ValueError(
            "`adapt_language_model` needs a preprocessor (strings -> BERT inputs) "
            f"to tokenize the texts: pass `preprocessor=`. Backbone {backbone!r} has "
            "none in the registry."
        )
    preprocessor_path = resolve_handle(preprocessor)
    if mask_token_id is None or special_token_ids is None:
        found_mask, found_special = _vocabulary_ids(preprocessor_path)
        mask_token_id = found_mask if mask_token_id is None else mask_token_id
        if special_token_ids is None:
            special_token_ids = found_special

    features = _tokenize(preprocessor_path, texts)
    keras.utils.set_random_seed(seed)
    model = MaskedLanguageModel(backbone, name="masked_language_model")
    dataset = masked_lm_dataset(
        features, model.vocabulary_size, mask_token_id, special_token_ids,
        batch_size=batch_size, seed=seed, max_predictions=max_predictions)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, ignore_class=IGNORE_LABEL),
        weighted_metrics=["accuracy"],
    )
    history = model.fit(dataset, epochs=epochs, verbose=verbose, shuffle=False)

    staging = Path(tempfile.mkdtemp(prefix=".adapted-", dir=_parent(export_dir)))
    try:
        model.save_encoder(staging / "encoder")
        shutil.copytree(preprocessor_path, staging / "preprocessor")
        adapted = _entry(backbone, entry, export_dir, len(texts))
        record = {"backbone": str(backbone), "num_texts": len(texts),
                  "epochs": epochs, "learning_rate": learning_rate, "seed": seed,
                  "history": history.history, "entry": adapted}
        (staging / "adapted.json").write_text(json.dumps(record, indent=2),
                                              encoding="utf-8")
        os.rename(staging, export_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if name is not None:
        register_backbone(name, adapted, overwrite=True)
    logger.info("Adapted %s on %d texts; wrote %s", backbone, len(texts), export_dir)
    return {"path": str(export_dir), "entry": adapted,
            "history": history.history, "num_texts": len(texts)}


def _parent(path):
    parent = path.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    return parent


def _vocabulary_ids(preprocessor_path):
    """(mask id, special ids) from the preprocessor's `assets/vocab.txt`."""
    vocab_path = Path(preprocessor_path) / "assets" / "vocab.txt"
    if not vocab_path.is_file():
        raise ValueError(
            f"The preprocessor {preprocessor_path} has no assets/vocab.txt to look "
            "up the mask token in: pass `mask_token_id` and `special_token_ids`."
        )
    with open(vocab_path, encoding="utf-8") as f:
        tokens = [line.rstrip("\n") for line in f]
    index = {token: i for i, token in enumerate(tokens)}
    masks = [index[token] for token in MASK_TOKENS if token in index]
    if not masks:
        raise ValueError(
            f"The vocabulary {vocab_path} has none of {list(MASK_TOKENS)}: pass "
            "`mask_token_id` and `special_token_ids`."
        )
    special = tuple(sorted(index[token] for token in SPECIAL_TOKENS if token in index))
    return masks[0], special


def _tokenize(preprocessor_path, texts):
    """BERT inputs of `texts`, trimmed to the longest text's length."""
    layer = HubBackbone(preprocessor_path, name="preprocessor")
    parts = {key: [] for key in BERT_INPUTS}
    for start in range(0, len(texts), _TOKENIZE_BATCH):
        batch = layer(np.array(texts[start:start + _TOKENIZE_BATCH], dtype=object))
        for key in BERT_INPUTS:
            parts[key].append(np.asarray(batch[key], np.int32))
    features = {key: np.concatenate(value) for key, value in parts.items()}
    length = max(1, int(features["input_mask"].sum(axis=1).max()))
    return {key: value[:, :length] for key, value in features.items()}


def _entry(backbone, entry, export_dir, num_texts):
    """The registry entry of the adapted encoder: the source's, local handles."""
    root = Path(export_dir).absolute()
    adapted = dict(entry or {"modality": "text", "output_key": "pooled_output",
                             "input": {}, "groups": None})
    for key in ("provider", "requirement"):
        adapted.pop(key, None)
    adapted.update({
        "description": f"{backbone} adapted by masked-LM training on {num_texts} texts.",
        "handles": {"encoder": str(root / "encoder"),
                    "preprocessor": str(root / "preprocessor")},
        "variant": "encoder",
        "preprocessor": "preprocessor",
        "precision_variants": {},
    })
    return adapted
