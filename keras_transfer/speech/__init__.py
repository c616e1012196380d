"""Speech recognition with CTC: the character vocabulary, decoding with an LM, transcription."""

from keras_transfer.speech.character_language_model import CharacterLanguageModel
from keras_transfer.speech.character_ngram_model import CharacterNgramModel
from keras_transfer.speech.character_vocabulary import CharacterVocabulary
from keras_transfer.speech.decode_ctc import decode_ctc
from keras_transfer.speech.textgenrnn_language_model import TextgenrnnLanguageModel
from keras_transfer.speech.transcribe import transcribe

__all__ = ["CharacterLanguageModel", "CharacterNgramModel", "CharacterVocabulary",
           "TextgenrnnLanguageModel", "decode_ctc", "transcribe"]
