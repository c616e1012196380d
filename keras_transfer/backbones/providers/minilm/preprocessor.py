"""In-graph BERT tokenization and packing with tf-text ops (a `tf.Module`)."""

from pathlib import Path

import tensorflow as tf

from keras_transfer.backbones.providers.minilm.model import import_text_deps


BERT_SPECIAL_TOKENS = {"cls": "[CLS]", "sep": "[SEP]", "pad": "[PAD]", "unk": "[UNK]"}


class BertPreprocessor(tf.Module):
    """In-graph BERT tokenization and packing (lowercase + accent stripping).

    Shared by every WordPiece text provider: BERT-family checkpoints differ
    only in the names of their special tokens (MPNet's `vocab.txt` writes
    `<s>`, `</s>`, `<pad>` where BERT writes `[CLS]`, `[SEP]`, `[PAD]`), so
    those are data (`special_tokens`), not code.

    Args:
        vocab_path: str or path. The WordPiece `vocab.txt`.
        seq_length: int. Tokens per packed example.
        special_tokens: dict with keys `cls`, `sep`, `pad`, `unk` (the
            vocabulary's spelling of each). Defaults to `None`
            (`BERT_SPECIAL_TOKENS`).
    """

    def __init__(self, vocab_path, seq_length, special_tokens=None):
        super().__init__(name="preprocessor")
        _, tensorflow_text = import_text_deps()
        special = dict(BERT_SPECIAL_TOKENS, **(special_tokens or {}))
        tokens = Path(vocab_path).read_text(encoding="utf-8").splitlines()
        index = {token: i for i, token in enumerate(tokens)}
        missing = [t for t in special.values() if t not in index]
        if missing:
            raise ValueError(f"The vocabulary {vocab_path} lacks {missing}.")
        self.seq_length = seq_length
        self.cls_id = index[special["cls"]]
        self.sep_id = index[special["sep"]]
        self.pad_id = index[special["pad"]]
        # TextFileInitializer tracks the file as a SavedModel asset, so the
        # vocabulary is copied into `assets/` and moves with the folder.
        initializer = tf.lookup.TextFileInitializer(
            str(vocab_path),
            key_dtype=tf.string,
            key_index=tf.lookup.TextFileIndex.WHOLE_LINE,
            value_dtype=tf.int64,
            value_index=tf.lookup.TextFileIndex.LINE_NUMBER,
        )
        self.vocab_table = tf.lookup.StaticVocabularyTable(
            initializer, num_oov_buckets=1
        )
        # Lowercasing and accent stripping happen in `tokenize` (see there),
        # so the tokenizer itself only splits and looks up word pieces.
        self._tokenizer = tensorflow_text.BertTokenizer(
            self.vocab_table,
            lower_case=False,
            token_out_type=tf.int64,
            unknown_token=special["unk"],
        )

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def tokenize(self, strings):
        """strings `[batch]` -> int32 RaggedTensor `[batch, words, pieces]`."""
        _, tensorflow_text = import_text_deps()
        # As the model's Hugging Face (fast) BertNormalizer: drop control and
        # format characters, Unicode spaces to " ", lowercase one character
        # at a time, NFD, drop combining marks. `BertTokenizer(lower_case=
        # True)` would apply NFKC_Casefold instead ("straße" -> "strasse").
        text = tf.strings.regex_replace(strings, r"[^\P{C}\t\n\r]|\x{FFFD}", "")
        text = tf.strings.regex_replace(text, r"\p{Z}", " ")
        chars = tf.strings.unicode_split(text, "UTF-8")
        chars = tf.ragged.map_flat_values(tf.strings.lower, chars, encoding="utf-8")
        text = tf.strings.reduce_join(chars, axis=-1)
        text = tensorflow_text.normalize_utf8(text, "NFD")
        text = tf.strings.regex_replace(text, r"\p{Mn}", "")
        return tf.cast(self._tokenizer.tokenize(text), tf.int32)

    def pack(self, segments, seq_length, pad_to_length=True):
        """Trims, adds `[CLS]`/`[SEP]`, pads; returns the BERT input dict."""
        _, tensorflow_text = import_text_deps()
        segments = [
            s.merge_dims(1, -1) if isinstance(s, tf.RaggedTensor) and s.ragged_rank > 1
            else s
            for s in segments
        ]
        segments = [tf.cast(s, tf.int32) for s in segments]
        trimmer = tensorflow_text.RoundRobinTrimmer(
            max_seq_length=seq_length - len(segments) - 1
        )
        ids, type_ids = tensorflow_text.combine_segments(
            trimmer.trim(segments),
            start_of_sequence_id=self.cls_id,
            end_of_segment_id=self.sep_id,
        )
        if pad_to_length:
            word_ids, mask = tensorflow_text.pad_model_inputs(
                ids, max_seq_length=seq_length, pad_value=self.pad_id
            )
            type_ids, _ = tensorflow_text.pad_model_inputs(
                type_ids, max_seq_length=seq_length, pad_value=0
            )
        else:
            word_ids = ids.to_tensor(default_value=self.pad_id)
            mask = tf.ones_like(ids).to_tensor(default_value=0)
            type_ids = type_ids.to_tensor(default_value=0)
        return {
            "input_word_ids": tf.cast(word_ids, tf.int32),
            "input_mask": tf.cast(mask, tf.int32),
            "input_type_ids": tf.cast(type_ids, tf.int32),
        }

    @tf.function
    def bert_pack_inputs(self, inputs, seq_length):
        """Packs a list of 1 or 2 tokenized segments to `seq_length` tokens."""
        return self.pack(list(inputs), seq_length)

    def __call__(self, inputs, training=False):
        del training  # No randomness in preprocessing.
        return self.pack([self.tokenize(inputs)], self.seq_length)
