"""Pretrained causal language models (character level) and text generation.

`load_textgenrnn` returns textgenrnn's pretrained character LM as a Keras 3
model, `next_char_probabilities` its distribution over the next character
and `generate` samples a continuation; `encode_chars` is the encoding all
three share. See docs/language_models.md.
"""

from keras_transfer.language_models.encode_chars import encode_chars
from keras_transfer.language_models.generate import generate
from keras_transfer.language_models.next_char_probabilities import next_char_probabilities
from keras_transfer.language_models.textgenrnn.load_textgenrnn import load_textgenrnn
