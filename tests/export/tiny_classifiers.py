"""Tiny image, text and audio classifiers on `tests.savedmodels`, and raw inputs.

The classifiers follow keras_transfer's input conventions: images are float
pixel values 0..255 (rescaled and resized in the model), text is a string
scalar, audio a float waveform at 16 kHz in [-1, 1].
"""

import base64
import json
import os

import keras
import numpy as np
import tensorflow as tf

from keras_transfer.layers.hub_backbone import HubBackbone
from tests import savedmodels

IMAGE_SIZE = (20, 24)  # what image_dataset_from_directory resizes to
CLIP_LENGTH = 800  # 50 ms at 16 kHz
TEXTS = ["A good movie", "bad, BAD acting", "hello world again and again", "x"]


def image_classifier(root, num_classes=3, any_size=False):
    """With `any_size`, takes images of any size, like `build_image_classifier`."""
    inputs = keras.Input(((None, None) if any_size else IMAGE_SIZE) + (3,))
    x = keras.layers.Resizing(16, 16)(inputs)
    x = keras.layers.Rescaling(1.0 / 255)(x)
    x = HubBackbone(savedmodels.image_feature_vector(root))(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def text_classifier(root, num_classes=2):
    """Averages the encoder's sequence output (its pooled output only sees [CLS])."""
    inputs = keras.Input((), dtype="string")
    x = HubBackbone(savedmodels.string_preprocessor(root))(inputs)
    x = HubBackbone(savedmodels.bert_encoder(root), output_key="sequence_output")(x)
    x = keras.layers.GlobalAveragePooling1D()(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def audio_classifier(root, num_classes=4, clip_length=CLIP_LENGTH):
    inputs = keras.Input((clip_length,))
    x = HubBackbone(savedmodels.waveform_model(root))(inputs)
    x = keras.layers.Dense(num_classes, activation="softmax")(x * 10.0)
    return keras.Model(inputs, x)


def write_images(directory, seed=0):
    """Writes JPEG/PNG files of several sizes (one grayscale) in class folders."""
    rng = np.random.default_rng(seed)
    shapes = [(20, 24, 3), (31, 17, 3), (8, 8, 1), (40, 50, 3)]
    paths = []
    for i, shape in enumerate(shapes):
        folder = os.path.join(directory, f"class_{i % 2}")
        os.makedirs(folder, exist_ok=True)
        pixels = rng.integers(0, 256, shape, dtype=np.uint8)
        if i % 2:
            data, ext = tf.io.encode_png(pixels).numpy(), "png"
        else:
            data, ext = tf.io.encode_jpeg(pixels, quality=85).numpy(), "jpg"
        path = os.path.join(folder, f"img_{i}.{ext}")
        with open(path, "wb") as f:
            f.write(data)
        paths.append(path)
    return paths


def wav_bytes(seconds, sample_rate, channels=1, seed=0, frequency=440.0):
    t = np.arange(int(round(seconds * sample_rate))) / sample_rate
    rng = np.random.default_rng(seed)
    tone = 0.4 * np.sin(2 * np.pi * frequency * t) + 0.1 * rng.standard_normal(t.shape)
    audio = np.stack([tone * (c + 1) / channels for c in range(channels)], axis=-1)
    audio = np.clip(audio, -1, 1).astype(np.float32)
    return tf.audio.encode_wav(audio, sample_rate).numpy()


def wav_files():
    """WAV bytes: shorter and longer than the clip, at 8 kHz, and stereo."""
    return [
        wav_bytes(0.03, 16000, seed=1),
        wav_bytes(0.07, 16000, seed=2, frequency=1200.0),
        wav_bytes(0.05, 8000, seed=3, frequency=300.0),
        wav_bytes(0.04, 16000, channels=2, seed=4, frequency=2500.0),
    ]


def decode_audio_like_training(data, sample_rate=16000, clip_length=CLIP_LENGTH):
    """What `keras_transfer.data.from_directory(..., "audio")` feeds the model."""
    from keras_transfer.data import decode_wav
    from keras_transfer.data import pad_or_trim
    from keras_transfer.data import resample

    waveform, rate = decode_wav(tf.constant(data))
    waveform = resample(waveform, int(rate), sample_rate)
    return pad_or_trim(waveform, clip_length).numpy()


def rest_body(instances, signature_name="serving_default"):
    """A TF Serving REST `:predict` body in the row ("instances") format."""
    encoded = [
        {"b64": base64.b64encode(x).decode("ascii")} if isinstance(x, bytes) else x
        for x in instances
    ]
    return json.dumps({"signature_name": signature_name, "instances": encoded})


def tensors_from_rest_body(body, signature):
    """Decodes a REST body the way TF Serving does, for a one-input signature.

    Returns the keyword arguments to call `signature` with.
    """
    request = json.loads(body)
    (name,) = signature.structured_input_signature[1]

    def value(item):
        if isinstance(item, dict) and set(item) == {"b64"}:
            return base64.b64decode(item["b64"])
        if isinstance(item, dict):  # {"<input name>": value}
            return value(item[name])
        return item.encode("utf-8") if isinstance(item, str) else item

    if "instances" in request:
        values = [value(item) for item in request["instances"]]
    else:
        inputs = request["inputs"]
        items = inputs[name] if isinstance(inputs, dict) else inputs
        values = [value(item) for item in items]
    return {name: tf.constant(values, tf.string)}


def tf_text_classifier(root, num_classes=2):
    inputs = keras.Input((), dtype="string")
    x = HubBackbone(savedmodels.tf_text_preprocessor(root))(inputs)
    x = HubBackbone(savedmodels.bert_encoder(root, vocab_size=12),
                    output_key="sequence_output")(x)
    x = keras.layers.GlobalAveragePooling1D()(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)
