"""The data layer: offline datasets and tf.data loaders for image, text, audio;
word-piece alignment of word tags for token classification; dynamic masking
for masked-LM domain adaptation; mixed source/target batches for DANN, MMD
and CORAL; box annotations (Pascal VOC, COCO, YOLO) for detection;
transcribed speech (LibriSpeech folders, CSV manifests, synthetic sentences)."""

from keras_transfer.data.array_split import ArraySplit
from keras_transfer.data.audio import decode_wav
from keras_transfer.data.audio import inspect_wav
from keras_transfer.data.audio import pad_or_trim
from keras_transfer.data.audio import resample
from keras_transfer.data.datasets.rotten_tomatoes_unlabelled import load_rotten_tomatoes_unlabelled
from keras_transfer.data.datasets.synthetic_speech import load_synthetic_speech
from keras_transfer.data.datasets.vader_sentiment import load_vader_ratings
from keras_transfer.data.domain_adaptation_dataset import domain_adaptation_dataset
from keras_transfer.data.episode_sampler import EpisodeSampler
from keras_transfer.data.image_boxes import ImageBoxes
from keras_transfer.data.load_transcribed_audio import load_transcribed_audio
from keras_transfer.data.loaders import from_arrays
from keras_transfer.data.loaders import from_directory
from keras_transfer.data.loaders import from_tfds
from keras_transfer.data.loaders import from_tfrecords
from keras_transfer.data.make_contrastive_pairs import make_contrastive_pairs
from keras_transfer.data.mask_tokens import mask_tokens
from keras_transfer.data.masked_lm_dataset import masked_lm_dataset
from keras_transfer.data.pad_speech import pad_speech
from keras_transfer.data.read_coco_json import read_coco_json
from keras_transfer.data.read_librispeech import read_librispeech
from keras_transfer.data.read_pocketsphinx_librivox import read_pocketsphinx_librivox
from keras_transfer.data.read_transcript_csv import read_transcript_csv
from keras_transfer.data.read_voc_xml import read_voc_xml
from keras_transfer.data.read_yolo_txt import read_yolo_txt
from keras_transfer.data.registry import DATASETS
from keras_transfer.data.registry import list_datasets
from keras_transfer.data.registry import load_dataset
from keras_transfer.data.tagged_dataset import tagged_dataset
from keras_transfer.data.tagged_split import TaggedSplit
from keras_transfer.data.tfio_support import tensorflow_io_available
from keras_transfer.data.word_pieces import IGNORE_LABEL
from keras_transfer.data.word_pieces import align_word_labels
from keras_transfer.data.word_pieces import word_tags_from_pieces
