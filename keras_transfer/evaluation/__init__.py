"""Evaluation: metrics and error analysis of trained classifiers and taggers."""

from keras_transfer.evaluation.compression_report import compression_report
from keras_transfer.evaluation.evaluate_classifier import evaluate_classifier
from keras_transfer.evaluation.evaluate_entities import entity_spans
from keras_transfer.evaluation.evaluate_entities import evaluate_entities
from keras_transfer.evaluation.evaluate_episodes import evaluate_episodes
from keras_transfer.evaluation.predict_and_evaluate import predict_and_evaluate
from keras_transfer.evaluation.predict_entities import predict_entities
