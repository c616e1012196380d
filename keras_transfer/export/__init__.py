"""Export: trained classifiers as TF Serving SavedModels, and checks of them."""

from keras_transfer.export.convert_to_tflite import convert_to_tflite
from keras_transfer.export.export_detector import export_detector
from keras_transfer.export.export_for_serving import export_for_serving
from keras_transfer.export.export_speech_recognizer import export_speech_recognizer
from keras_transfer.export.export_token_classifier import export_token_classifier
from keras_transfer.export.predict_tflite import predict_tflite
from keras_transfer.export.required_custom_ops import required_custom_ops
from keras_transfer.export.unsafe_ops import find_unsafe_ops
from keras_transfer.export.verify_export import verify_export
