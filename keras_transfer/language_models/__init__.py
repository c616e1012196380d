"""Pretrained causal language models (character level) and text generation.

`load_textgenrnn` returns textgenrnn's pretrained character LM as a Keras 3
model, `next_char_probabilities` its distribution over the next character
and `generate` samples a continuation; `encode_chars` is the encoding all
three share. ULMFiT's later stages: `fine_tune_language_model` adapts the
LM to unlabelled in-domain text (examples from `char_lm_dataset`) and
`build_char_lm_classifier` puts its body under a classification head, to
fine-tune with `keras_transfer.fine_tune(..., groups=CHAR_LM_GROUPS)`. See
docs/language_models.md.
"""

from keras_transfer.language_models.build_char_lm_classifier import build_char_lm_classifier
from keras_transfer.language_models.char_lm_dataset import char_lm_dataset
from keras_transfer.language_models.encode_chars import encode_chars
from keras_transfer.language_models.fine_tune_language_model import CHAR_LM_GROUPS
from keras_transfer.language_models.fine_tune_language_model import evaluate_language_model
from keras_transfer.language_models.fine_tune_language_model import fine_tune_language_model
from keras_transfer.language_models.generate import generate
from keras_transfer.language_models.next_char_probabilities import next_char_probabilities
from keras_transfer.language_models.textgenrnn.load_textgenrnn import load_textgenrnn
