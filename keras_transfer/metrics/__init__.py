"""Keras metrics for `model.fit`: character and word error rates of CTC models."""

from keras_transfer.metrics.character_error_rate import CharacterErrorRate
from keras_transfer.metrics.word_error_rate import WordErrorRate
