"""Speech recognition with CTC: the character vocabulary, decoding, transcription."""

from keras_transfer.speech.character_vocabulary import CharacterVocabulary
from keras_transfer.speech.decode_ctc import decode_ctc
from keras_transfer.speech.transcribe import transcribe

__all__ = ["CharacterVocabulary", "decode_ctc", "transcribe"]
