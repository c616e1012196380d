"""In-graph decoding and checking of the raw inputs a served classifier gets.

`export_for_serving` builds its `serving_default` signature from these
functions. They use TensorFlow ops only (no `tf.py_function`), so they run in
TF Serving, and every input that cannot be turned into a valid model input
fails with a `tf.errors.InvalidArgumentError` whose message names the
signature input, the index of the bad instance and what is wrong with it.

Training preprocessing that is repeated here, so that a served prediction
equals the one made in Python on the same file:

- image: `tf.io.decode_image(channels=3, expand_animations=False)` then
  `tf.image.resize(size, method=interpolation)`, as
  `keras.utils.image_dataset_from_directory` does (float32 pixel values in
  0..255).
- audio: `keras_transfer.data.decode_wav` (16-bit PCM, averaged to mono),
  `keras_transfer.data.resample` to the training rate and
  `keras_transfer.data.pad_or_trim` to the clip length, as
  `keras_transfer.data.from_directory(..., "audio")` does.
- text: strings are passed through unchanged.
"""

import numpy as np
import tensorflow as tf

from keras_transfer.data.audio import decode_wav
from keras_transfer.data.audio import pad_or_trim
from keras_transfer.data.audio import resample

MODALITIES = ("image", "text", "audio")

# Name of the raw input of `serving_default`, per modality.
RAW_INPUT_NAMES = {"image": "image_bytes", "text": "text", "audio": "audio_bytes"}
# Name of the decoded input of `predict_tensors`, per modality.
TENSOR_INPUT_NAMES = {"image": "images", "text": "text", "audio": "waveforms"}

# `tf.image.resize` methods, as accepted by
# `keras.utils.image_dataset_from_directory(interpolation=...)`.
INTERPOLATIONS = (
    "bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5",
    "gaussian", "mitchellcubic",
)

# Leading bytes of the formats `tf.io.decode_image` reads: (offset, magic).
_IMAGE_SIGNATURES = (
    ((0, b"\xff\xd8\xff"),),  # JPEG
    ((0, b"\x89PNG\r\n\x1a\n"),),  # PNG
    ((0, b"GIF87a"),),  # GIF
    ((0, b"GIF89a"),),
    ((0, b"BM"),),  # BMP
    ((0, b"RIFF"), (8, b"WEBP")),  # WebP
    ((0, b"\xff\x0a"),),  # JPEG XL codestream
    ((0, b"\x00\x00\x00\x0cJXL \r\n\x87\n"),),  # JPEG XL container
)

SAMPLE_TEXT = "A short sample sentence to warm up the model."


def _assert_each(condition, input_name, problem, values=None):
    """An `Assert` op that fails naming the indices where `condition` is False."""
    bad = tf.where(tf.logical_not(condition))[:, 0]
    data = [f"Invalid `{input_name}`: {problem} Bad instance index(es):", bad]
    if values is not None:
        data += ["First bytes of the first bad instance:",
                 tf.strings.substr(tf.gather(values, bad[:1]), 0, 16)]
    return tf.debugging.Assert(tf.reduce_all(condition), data, summarize=16)


def _check_batch(values, input_name):
    """An `Assert` op that fails on a request without instances."""
    return tf.debugging.Assert(
        tf.size(values) > 0,
        [f"Invalid `{input_name}`: the request holds no instances; send at least one."],
    )


def _check_not_empty(values, input_name, what):
    if what == "text":
        lengths = tf.strings.length(tf.strings.strip(values))
        problem = "empty text (an empty string or only whitespace); send the text."
    else:
        lengths = tf.strings.length(values)
        problem = f"empty {what} (an empty string); send the {what}."
    return _assert_each(lengths > 0, input_name, problem)


def _is_known_image(values):
    # Padding keeps substr in range for inputs shorter than a signature.
    values = tf.strings.join([values, tf.constant(b"\x00" * 16)])
    known = tf.zeros(tf.shape(values), tf.bool)
    for parts in _IMAGE_SIGNATURES:
        match = tf.ones(tf.shape(values), tf.bool)
        for offset, magic in parts:
            match = tf.logical_and(
                match, tf.equal(tf.strings.substr(values, offset, len(magic)), magic)
            )
        known = tf.logical_or(known, match)
    return known


def _with_checks(checks, tensor):
    with tf.control_dependencies(checks):
        return tf.identity(tensor)


def decode_images(image_bytes, size, interpolation="bilinear", channels=3):
    """Decodes a batch of encoded images into float32 pixel values 0..255.

    Args:
        image_bytes: string `Tensor` of shape `(batch,)`. Encoded JPEG, PNG,
            GIF (first frame), BMP, WebP or JPEG XL files.
        size: `(height, width)`. Every image is resized to it.
        interpolation: str. The `tf.image.resize` method. Defaults to
            `"bilinear"`.
        channels: int. 3 (RGB) or 1 (grayscale). Defaults to `3`.

    Returns:
        float32 `Tensor` of shape `(batch, height, width, channels)`.

    Raises:
        tf.errors.InvalidArgumentError: at run time, for a request without
            instances, an empty string, bytes that are not an image, or a
            truncated/corrupt image.
    """
    name = RAW_INPUT_NAMES["image"]
    image_bytes = _with_checks(
        [_check_batch(image_bytes, name), _check_not_empty(image_bytes, name, "image")],
        image_bytes,
    )
    image_bytes = _with_checks(
        [_assert_each(
            _is_known_image(image_bytes), name,
            "not an encoded image (JPEG, PNG, GIF, BMP, WebP or JPEG XL); send "
            "the file's bytes, base64-encoded as {\"b64\": ...} in REST "
            "requests.", image_bytes,
        )],
        image_bytes,
    )
    height, width = size

    def decode_one(data):
        image = tf.io.decode_image(data, channels=channels, expand_animations=False)
        image = tf.image.resize(image, (height, width), method=interpolation)
        return tf.cast(image, tf.float32)

    return tf.map_fn(
        decode_one, image_bytes,
        fn_output_signature=tf.TensorSpec([height, width, channels], tf.float32),
    )


def decode_audio(audio_bytes, sample_rate, clip_length=None, resample_audio=True):
    """Decodes a batch of WAV files into mono float32 waveforms in [-1, 1].

    Args:
        audio_bytes: string `Tensor` of shape `(batch,)`. 16-bit PCM WAV files.
        sample_rate: int. The rate the model was trained at (Hz).
        clip_length: int. Waveforms are zero-padded or cut to this many
            samples. Defaults to `None`: each waveform keeps its length and
            the batch is zero-padded to its longest waveform.
        resample_audio: bool. If True, files at another rate are resampled to
            `sample_rate`; if False they are rejected. Defaults to `True`.

    Returns:
        float32 `Tensor` of shape `(batch, samples)`.

    Raises:
        tf.errors.InvalidArgumentError: at run time, for a request without
            instances, an empty string, bytes that are not a WAV file, a
            truncated WAV file, a WAV file that is not 16-bit PCM, a WAV file
            with no samples, or (with `resample_audio=False`) a WAV file at
            another sample rate.
    """
    name = RAW_INPUT_NAMES["audio"]
    audio_bytes = _with_checks(
        [_check_batch(audio_bytes, name), _check_not_empty(audio_bytes, name, "audio")],
        audio_bytes,
    )
    expected = None if resample_audio else sample_rate

    def decode_one(args):
        index, data = args
        waveform, rate = decode_wav(data, expected_sample_rate=expected)
        check = tf.debugging.Assert(
            tf.size(waveform) > 0,
            [f"Invalid `{name}`: the WAV file holds no samples. Bad instance "
             "index:", index],
        )
        with tf.control_dependencies([check]):
            waveform = tf.identity(waveform)
        if resample_audio:
            waveform = resample(waveform, rate, sample_rate)
        if clip_length is not None:
            waveform = pad_or_trim(waveform, clip_length)
        return waveform

    elems = (tf.range(tf.size(audio_bytes, out_type=tf.int64)), audio_bytes)
    if clip_length is not None:
        return tf.map_fn(
            decode_one, elems,
            fn_output_signature=tf.TensorSpec([clip_length], tf.float32),
        )
    ragged = tf.map_fn(
        decode_one, elems,
        fn_output_signature=tf.RaggedTensorSpec([None], tf.float32, ragged_rank=0),
    )
    return ragged.to_tensor()


def check_text(text):
    """Returns `text` after checking that no string is empty or whitespace.

    Raises:
        tf.errors.InvalidArgumentError: at run time, for an empty (or
            whitespace-only) string, or a request without instances.
    """
    name = RAW_INPUT_NAMES["text"]
    checks = [_check_batch(text, name), _check_not_empty(text, name, "text")]
    return _with_checks(checks, text)


def sample_image(size, channels=3):
    """A smooth color gradient (uint8), a realistic image for warmup."""
    height, width = size
    y = np.linspace(0.0, 1.0, height)[:, None]
    x = np.linspace(0.0, 1.0, width)[None, :]
    rgb = np.stack([
        255 * y * np.ones_like(x),
        255 * x * np.ones_like(y),
        255 * (0.5 + 0.5 * np.sin(6.0 * (x + y))),
    ], axis=-1)
    image = np.round(rgb).astype(np.uint8)
    return image[..., :1] if channels == 1 else image


def sample_image_bytes(size, channels=3):
    """A JPEG of `sample_image(size)`."""
    return tf.io.encode_jpeg(sample_image(size, channels), quality=90).numpy()


def sample_wav_bytes(sample_rate, num_samples):
    """A 16-bit PCM WAV of a 440 Hz tone at half scale."""
    t = np.arange(num_samples) / sample_rate
    tone = (0.5 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
    return tf.audio.encode_wav(tone[:, None], sample_rate).numpy()
