"""A tiny offline provider for cache tests: a vocabulary lookup SavedModel.

`convert(export_dir)` writes `export_dir/lookup/` (strings -> token ids via a
vocabulary asset, plus a small variable so there is a variables shard). It
appends one line to `$KT_FAKE_CONVERT_LOG` per call (to count conversions
across processes) and sleeps `$KT_FAKE_CONVERT_SECONDS` first (to make
concurrent conversions overlap). `$KT_FAKE_CONVERT_FAIL` makes it fail.
"""

import os
import time

import tensorflow as tf

NAME = "fake_lookup"
REQUIREMENT = "fake-lookup==1.0"
VOCAB = ["[PAD]", "[UNK]", "the", "cat", "sat", "on", "mat", "kitten", "rug", "zebra"]
ENTRY = {
    "modality": "text",
    "description": "Test-only vocabulary lookup.",
    "provider": "tests.backbones.fake_provider",
    "requirement": REQUIREMENT,
    "variant": "lookup",
}


def register():
    from keras_transfer.backbones.registry import register_backbone

    register_backbone(NAME, ENTRY, overwrite=True)


class _Lookup(tf.Module):
    def __init__(self, vocab_path):
        super().__init__()
        self.vocab = tf.saved_model.Asset(vocab_path)
        initializer = tf.lookup.TextFileInitializer(
            self.vocab, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE,
            tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER)
        self.table = tf.lookup.StaticHashTable(initializer, default_value=-1)
        self.scale = tf.Variable(tf.range(64, dtype=tf.float32), name="scale")

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def __call__(self, tokens):
        return self.table.lookup(tokens)


def convert(export_dir):
    log = os.environ.get("KT_FAKE_CONVERT_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"{os.getpid()}\n")
    time.sleep(float(os.environ.get("KT_FAKE_CONVERT_SECONDS", "0")))
    if os.environ.get("KT_FAKE_CONVERT_FAIL"):
        raise RuntimeError("the fake wheel cannot be fetched")
    os.makedirs(export_dir)
    vocab_path = os.path.join(export_dir, "vocab.txt")
    with open(vocab_path, "w", encoding="utf-8") as f:
        f.write("\n".join(VOCAB) + "\n")
    tf.saved_model.save(_Lookup(vocab_path), os.path.join(export_dir, "lookup"))
    os.remove(vocab_path)  # the SavedModel keeps its own copy in assets/


def token_ids(path, tokens):
    """Loads the lookup SavedModel at `path` and returns the ids of `tokens`."""
    return tf.saved_model.load(path)(tf.constant(tokens)).numpy().tolist()


def verify(export_dir):
    ids = token_ids(os.path.join(export_dir, "lookup"), ["cat", "zebra"])
    if ids != [3, 9]:
        raise RuntimeError(f"fake lookup gives {ids}, expected [3, 9]")
    return {"ids": ids}
