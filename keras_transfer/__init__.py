"""keras_transfer: transfer learning for Keras 3.

TF Hub-format backbones as real Keras 3 layers, fine-tuning callbacks for
`model.fit` (progressive unfreezing, discriminative learning rates, schedules,
LR finder), model builders, domain adaptation (DANN, MMD, CORAL), offline
pretrained backbones, and TF Serving export.
"""

import os as _os
import sys as _sys

if _os.path.basename(_sys.argv[0] if _sys.argv else "") == "keras-transfer":
    # The command line: keep TensorFlow's C++ start-up chatter out of the output.
    _os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_transfer import data
from keras_transfer import detection
from keras_transfer import distribute
from keras_transfer import language_models
from keras_transfer import metrics
from keras_transfer import speech
from keras_transfer.api_export import custom_objects
from keras_transfer.backbones.conversion import backbone_path
from keras_transfer.backbones.hub_format import save_hub_savedmodel
from keras_transfer.backbones.registry import get_backbone
from keras_transfer.backbones.registry import list_backbones
from keras_transfer.backbones.register_adapted_backbone import register_adapted_backbone
from keras_transfer.backbones.registry import register_backbone
from keras_transfer.callbacks.discriminative_lr import DiscriminativeLR
from keras_transfer.callbacks.gradient_reversal_scheduler import GradientReversalScheduler
from keras_transfer.callbacks.lr_finder import LRFinder
from keras_transfer.callbacks.progressive_unfreezing import ProgressiveUnfreezing
from keras_transfer.distribute.backup_and_restore import BackupAndRestore
from keras_transfer.distribute.multi_worker import enable_multi_worker_fit
from keras_transfer.distribute.strategy import get_strategy
from keras_transfer.evaluation.compression_report import compression_report
from keras_transfer.evaluation.cross_validate import cross_validate
from keras_transfer.evaluation.evaluate_classifier import evaluate_classifier
from keras_transfer.evaluation.evaluate_detections import evaluate_detections
from keras_transfer.evaluation.evaluate_entities import evaluate_entities
from keras_transfer.evaluation.evaluate_episodes import evaluate_episodes
from keras_transfer.evaluation.predict_and_evaluate import predict_and_evaluate
from keras_transfer.evaluation.predict_entities import predict_entities
from keras_transfer.evaluation.stratified_k_fold import stratified_k_fold
from keras_transfer.export.export_for_serving import export_for_serving
from keras_transfer.export.verify_export import verify_export
from keras_transfer.features.feature_cache import FeatureCache
from keras_transfer.groups.layer_group import LayerGroup
from keras_transfer.groups.model_groups import get_layer_groups
from keras_transfer.heads.classification_head import ClassificationHead
from keras_transfer.heads.ctc_head import CTCHead
from keras_transfer.heads.prototypical_head import PrototypicalHead
from keras_transfer.heads.yolo_head import YoloHead
from keras_transfer.layers.attention_weighted_average import AttentionWeightedAverage
from keras_transfer.layers.gradient_reversal import GradientReversal
from keras_transfer.layers.hub_backbone import HubBackbone
from keras_transfer.layers.image_augmentation import strong_image_augmentation
from keras_transfer.layers.image_augmentation import weak_image_augmentation
from keras_transfer.layers.trim_padding import TrimPadding
from keras_transfer.losses.coral_loss import CoralLoss
from keras_transfer.losses.ctc_loss import CTCLoss
from keras_transfer.losses.coral_loss import coral_loss
from keras_transfer.losses.consistency_loss import consistency_loss
from keras_transfer.losses.mmd_loss import MMDLoss
from keras_transfer.losses.mmd_loss import mmd_loss
from keras_transfer.losses.yolo_loss import YoloLoss
from keras_transfer.metrics.character_error_rate import CharacterErrorRate
from keras_transfer.metrics.word_error_rate import WordErrorRate
from keras_transfer.models.build_audio_classifier import build_audio_classifier
from keras_transfer.models.build_detector import build_detector
from keras_transfer.models.build_domain_adaptation_model import build_domain_adaptation_model
from keras_transfer.models.build_image_classifier import build_image_classifier
from keras_transfer.models.build_multi_task_model import build_multi_task_model
from keras_transfer.models.build_sentence_similarity_model import build_sentence_similarity_model
from keras_transfer.models.build_speech_recognizer import build_speech_recognizer
from keras_transfer.models.build_student import build_student
from keras_transfer.models.build_text_classifier import build_text_classifier
from keras_transfer.models.build_token_classifier import build_token_classifier
from keras_transfer.models.proto_net import ProtoNet
from keras_transfer.models.build_zero_shot_classifier import build_zero_shot_classifier
from keras_transfer.models.consistency_model import ConsistencyModel
from keras_transfer.models.extract_classifier import extract_classifier
from keras_transfer.models.masked_language_model import MaskedLanguageModel
from keras_transfer.models.init_head_from_class_descriptions import init_head_from_class_descriptions
from keras_transfer.optimizers.discriminative import discriminative_optimizer
from keras_transfer.optimizers.discriminative_optimizer import DiscriminativeOptimizer
from keras_transfer.recipes.adapt_language_model import adapt_language_model
from keras_transfer.recipes.contrastive_fine_tune import contrastive_fine_tune
from keras_transfer.recipes.choose_plan import choose_plan
from keras_transfer.recipes.distill import distill
from keras_transfer.recipes.fine_tune import fine_tune
from keras_transfer.regularizers.l2_sp import L2SP
from keras_transfer.report.build_confusion_matrix_figure import build_confusion_matrix_figure
from keras_transfer.report.build_learning_curves_figure import build_learning_curves_figure
from keras_transfer.report.build_per_class_figure import build_per_class_figure
from keras_transfer.report.build_reliability_diagram_figure import build_reliability_diagram_figure
from keras_transfer.report.write_report import write_report
from keras_transfer.schedules.dann_coefficient import dann_coefficient
from keras_transfer.schedules.one_cycle import OneCycle
from keras_transfer.schedules.scaled import ScaledSchedule
from keras_transfer.schedules.slanted_triangular import SlantedTriangular
from keras_transfer.version import __version__
