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
  `keras_transfer.data.from_directory(..., "audio")` does. The input is cut
  to the samples the clip needs before it is resampled (the result is the
  same), so the cost of a request does not depend on the file's length or
  rate.
- text: strings are passed through unchanged.

Limits on one audio instance, checked before any allocation that scales with
them (a WAV header is 44 bytes; what it declares must not decide how much
memory a request takes):

- at most `MAX_AUDIO_BYTES` (16 MiB: 8.7 min of 16 kHz mono, 87 s of 48 kHz
  stereo; decoding takes about 4 bytes of memory per byte of WAV);
- a sample rate from `MIN_SAMPLE_RATE` (8 kHz, telephone audio, the lowest
  rate speech models are trained at) to `MAX_SAMPLE_RATE` (192 kHz, the
  highest rate of studio audio); a rate outside cannot come from a
  microphone a model was trained on, and a very low one would turn a few
  bytes into a long resampled signal;
- for models without a clip length (the whole file is the input), at most
  `MAX_UNCLIPPED_SECONDS` (60 s).

Limit on one image instance, checked on the dimensions its header declares
before it is decoded (a few hundred bytes of PNG can declare 100,000 x 100,000
pixels, 30 GB once decoded): at most `MAX_IMAGE_PIXELS` (89,478,485, Pillow's
decompression-bomb threshold, about 268 MB of RGB; a 48-megapixel phone photo
passes). JPEG's size comes from `tf.image.extract_jpeg_shape` (header only);
PNG, GIF, BMP and WebP (VP8, VP8L, VP8X) sizes are read from their fixed
header fields. JPEG XL, whose size field is a variable-length bit code, is
refused: its size cannot be checked before decoding.
"""

import numpy as np
import tensorflow as tf

from keras_transfer.data.audio import decode_wav
from keras_transfer.data.audio import escape_bytes
from keras_transfer.data.audio import pad_or_trim
from keras_transfer.data.audio import resample
from keras_transfer.data.audio import riff_header

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

# Leading bytes of the formats served: (offset, magic). `tf.io.decode_image`
# also reads JPEG XL, which is refused (see the module docstring).
_IMAGE_SIGNATURES = {
    "jpeg": ((0, b"\xff\xd8\xff"),),
    "png": ((0, b"\x89PNG\r\n\x1a\n"),),
    "gif87a": ((0, b"GIF87a"),),
    "gif89a": ((0, b"GIF89a"),),
    "bmp": ((0, b"BM"),),
    "webp": ((0, b"RIFF"), (8, b"WEBP")),
}
_JPEG_XL_SIGNATURES = (((0, b"\xff\x0a"),), ((0, b"\x00\x00\x00\x0cJXL \r\n\x87\n"),))
HEADER_BYTES = 32  # enough for every size field read below
MAX_IMAGE_PIXELS = 89478485

SAMPLE_TEXT = "A short sample sentence to warm up the model."

# Limits on one audio instance (see the module docstring).
MIN_SAMPLE_RATE = 8000
MAX_SAMPLE_RATE = 192000
MAX_AUDIO_BYTES = 16 * 2**20
MAX_UNCLIPPED_SECONDS = 60

# A text made only of these (Unicode spaces, line/paragraph separators,
# control characters including NUL, and invisible format characters such as
# U+200B or a byte-order mark) carries nothing: it is an empty text.
_EMPTY_TEXT = r"[\p{Z}\p{Cc}\p{Cf}\s]*"


def _assert_each(condition, input_name, problem, values=None, indices=None,
                 details=()):
    """An `Assert` op that fails naming the instances where `condition` is False.

    The one way every check of a request reports its bad instances.

    Args:
        condition: bool `Tensor`, one value per instance.
        input_name: str. The signature input.
        problem: str. What is wrong, and what to send instead.
        values: string `Tensor` shaped like `condition`. When set, the first
            bytes of the first bad instance are quoted (escaped, so any bytes
            make a valid message).
        indices: int `Tensor` shaped like `condition`. The instance indices,
            when `condition` covers part of the batch (one instance inside
            `tf.map_fn`). Defaults to `0, 1, ...`.
        details: list of strings or `Tensor`s appended to the message.
    """
    condition = tf.reshape(condition, [-1])
    if indices is None:
        indices = tf.range(tf.size(condition, out_type=tf.int64))
    bad = tf.boolean_mask(tf.reshape(tf.cast(indices, tf.int64), [-1]),
                          tf.logical_not(condition))
    data = [f"Invalid `{input_name}`: {problem} Bad instance index(es):", bad]
    if values is not None:
        first = tf.boolean_mask(tf.reshape(values, [-1]),
                                tf.logical_not(condition))[:1]
        data += ["First bytes of the first bad instance:", escape_bytes(first)]
    data += list(details)
    return tf.debugging.Assert(tf.reduce_all(condition), data, summarize=16)


def _check_batch(values, input_name):
    """An `Assert` op that fails on a request without instances."""
    return tf.debugging.Assert(
        tf.size(values) > 0,
        [f"Invalid `{input_name}`: the request holds no instances; send at least one."],
    )


def _check_not_empty(values, input_name, what):
    if what == "text":
        empty = tf.strings.regex_full_match(values, _EMPTY_TEXT)
        problem = (
            "empty text (an empty string or only whitespace, control, NUL or "
            "invisible format characters); send the text."
        )
    else:
        empty = tf.equal(tf.strings.length(values), 0)
        problem = f"empty {what} (an empty string); send the {what}."
    return _assert_each(tf.logical_not(empty), input_name, problem)


def _wav_format(values):
    """Format tag, sample rate and bits per sample of WAV files, from bytes 12..36.

    `tf.audio.decode_wav` reads only files whose `fmt ` chunk follows the
    RIFF header (`standard`); this is where nearly every writer puts it.
    """
    head = tf.strings.substr(
        tf.strings.join([tf.strings.substr(values, 12, 24),
                         tf.constant(b"\x00" * 24)]), 0, 24)
    standard = tf.equal(tf.strings.substr(head, 0, 4), "fmt ")
    raw = tf.cast(tf.io.decode_raw(head, tf.uint8), tf.int64)

    def little_endian(start, size):
        return sum(raw[..., start + i] * (1 << (8 * i)) for i in range(size))

    return standard, little_endian(8, 2), little_endian(12, 4), little_endian(22, 2)


def _check_wav_headers(audio_bytes, input_name):
    """Size, RIFF header, truncation, format and rate of every WAV file, by index."""
    is_riff, declared, length = riff_header(audio_bytes)
    checks = [
        _assert_each(
            length <= MAX_AUDIO_BYTES, input_name,
            f"WAV file larger than {MAX_AUDIO_BYTES} bytes (16 MiB); send a "
            "shorter clip.",
        ),
        _assert_each(
            is_riff, input_name,
            "Not a WAV file: the bytes do not start with a RIFF/WAVE header; "
            "send a 16-bit PCM WAV file, base64-encoded as {\"b64\": ...} in "
            "REST requests.", audio_bytes,
        ),
    ]
    with tf.control_dependencies(checks):
        truncated = declared > length
        checks.append(_assert_each(
            tf.logical_not(truncated), input_name,
            "Truncated WAV file (or one whose streaming encoder never filled "
            "in its length); send the whole file.",
            details=["Its RIFF header declares (bytes)",
                     tf.boolean_mask(declared, truncated)[:1],
                     "but only (bytes) are present:",
                     tf.boolean_mask(length, truncated)[:1]],
        ))
        standard, tag, rate, bits = _wav_format(audio_bytes)
        checks.append(_assert_each(
            standard, input_name,
            "its first chunk is not `fmt ` (TensorFlow's WAV decoder reads "
            "the format chunk only right after the RIFF header); rewrite "
            "the file, e.g. `sox in.wav out.wav`.", audio_bytes,
        ))
    with tf.control_dependencies(checks):
        checks.append(_assert_each(
            tf.logical_and(tf.equal(tag, 1), tf.equal(bits, 16)), input_name,
            "not a 16-bit PCM WAV file (format tag 1, 16 bits per sample); "
            "re-encode it, e.g. `ffmpeg -i in.wav -acodec pcm_s16le out.wav`.",
        ))
        in_range = tf.logical_and(rate >= MIN_SAMPLE_RATE, rate <= MAX_SAMPLE_RATE)
        checks.append(_assert_each(
            in_range, input_name,
            f"WAV sample rate out of range; the accepted rates are "
            f"{MIN_SAMPLE_RATE}..{MAX_SAMPLE_RATE} Hz.",
            details=["Sample rate (Hz) of the first bad instance:",
                     tf.boolean_mask(rate, tf.logical_not(in_range))[:1]],
        ))
    return checks


def _matches(values, signatures):
    """Whether each value starts like one of `signatures` ((offset, magic) parts)."""
    # Padding keeps substr in range for inputs shorter than a signature.
    values = tf.strings.join([values, tf.constant(b"\x00" * 16)])
    found = tf.zeros(tf.shape(values), tf.bool)
    for parts in signatures:
        match = tf.ones(tf.shape(values), tf.bool)
        for offset, magic in parts:
            match = tf.logical_and(
                match, tf.equal(tf.strings.substr(values, offset, len(magic)), magic)
            )
        found = tf.logical_or(found, match)
    return found


def _is_known_image(values):
    return _matches(values, _IMAGE_SIGNATURES.values())


def declared_image_size(data):
    """The `(height, width)` an encoded image's header declares, as int64.

    Reads the header only: `tf.image.extract_jpeg_shape` for JPEG, the fixed
    size fields of PNG (IHDR), GIF (logical screen), BMP (info header) and
    WebP (VP8 frame header, VP8L bit fields, VP8X canvas). `(0, 0)` for any
    other bytes.

    Args:
        data: scalar string `Tensor`. One encoded image.

    Returns:
        int64 `Tensor` of shape `(2,)`.
    """
    head = tf.strings.substr(tf.strings.join([data, tf.constant(b"\x00" * HEADER_BYTES)]),
                             0, HEADER_BYTES)
    raw = tf.cast(tf.io.decode_raw(head, tf.uint8), tf.int64)

    def little(start, size):
        return tf.add_n([raw[start + i] * (256 ** i) for i in range(size)])

    def big(start, size):
        return tf.add_n([raw[start + i] * (256 ** (size - 1 - i)) for i in range(size)])

    def starts(name):
        return _matches(tf.reshape(data, [1]), [_IMAGE_SIGNATURES[name]])[0]

    chunk = tf.strings.substr(head, 12, 4)
    vp8l_bits = little(21, 4)
    cases = [
        (starts("png"), lambda: tf.stack([big(20, 4), big(16, 4)])),
        (tf.logical_or(starts("gif87a"), starts("gif89a")),
         lambda: tf.stack([little(8, 2), little(6, 2)])),
        # BMP heights are negative for top-down rows (two's complement).
        (starts("bmp"), lambda: tf.stack([
            tf.abs(tf.where(little(22, 4) >= 2 ** 31, little(22, 4) - 2 ** 32, little(22, 4))),
            tf.abs(tf.where(little(18, 4) >= 2 ** 31, little(18, 4) - 2 ** 32, little(18, 4)))])),
        (tf.logical_and(starts("webp"), tf.equal(chunk, b"VP8 ")),
         lambda: tf.stack([little(28, 2) % 16384, little(26, 2) % 16384])),
        (tf.logical_and(starts("webp"), tf.equal(chunk, b"VP8L")),
         lambda: tf.stack([(vp8l_bits // 16384) % 16384 + 1, vp8l_bits % 16384 + 1])),
        (tf.logical_and(starts("webp"), tf.equal(chunk, b"VP8X")),
         lambda: tf.stack([little(27, 3) + 1, little(24, 3) + 1])),
        (starts("jpeg"),
         lambda: tf.cast(tf.image.extract_jpeg_shape(data)[:2], tf.int64)),
    ]
    return tf.case(cases, default=lambda: tf.zeros([2], tf.int64), exclusive=False)


def _check_image_sizes(image_bytes, input_name):
    """`Assert` ops: no JPEG XL, and at most `MAX_IMAGE_PIXELS` declared."""
    sizes = tf.map_fn(declared_image_size, image_bytes,
                      fn_output_signature=tf.TensorSpec([2], tf.int64))
    pixels = sizes[:, 0] * sizes[:, 1]
    small = pixels <= MAX_IMAGE_PIXELS
    return [
        _assert_each(
            tf.logical_not(_matches(image_bytes, _JPEG_XL_SIGNATURES)), input_name,
            "JPEG XL is not accepted (its dimensions cannot be checked before "
            "decoding); send JPEG, PNG, GIF, BMP or WebP.", image_bytes),
        _assert_each(
            small, input_name,
            f"the image header declares more than {MAX_IMAGE_PIXELS} pixels (a "
            "decompression bomb, or a photo to downscale before sending).", image_bytes,
            details=["Declared height, width of the first bad instance:",
                     tf.boolean_mask(sizes, tf.logical_not(small))[:1]]),
    ]


def _with_checks(checks, tensor):
    with tf.control_dependencies(checks):
        return tf.identity(tensor)


def check_image_bytes(image_bytes):
    """Returns `image_bytes` after the checks every served image goes through.

    A request without instances, an empty string, bytes that are not an
    encoded image, JPEG XL, or a header declaring more than
    `MAX_IMAGE_PIXELS` pixels fail with an `InvalidArgumentError` naming the
    bad instance's index, before anything is decoded. `decode_images` and
    the detection export (`keras_transfer.export.export_detector`) share it.

    Args:
        image_bytes: string `Tensor` of shape `(batch,)`.

    Returns:
        The same tensor, with the checks as control dependencies.
    """
    name = RAW_INPUT_NAMES["image"]
    image_bytes = _with_checks(
        [_check_batch(image_bytes, name), _check_not_empty(image_bytes, name, "image")],
        image_bytes,
    )
    image_bytes = _with_checks(
        [_assert_each(
            tf.logical_or(_is_known_image(image_bytes),
                          _matches(image_bytes, _JPEG_XL_SIGNATURES)), name,
            "not an encoded image (JPEG, PNG, GIF, BMP or WebP); send "
            "the file's bytes, base64-encoded as {\"b64\": ...} in REST "
            "requests.", image_bytes,
        )],
        image_bytes,
    )
    return _with_checks(_check_image_sizes(image_bytes, name), image_bytes)


def decode_images(image_bytes, size, interpolation="bilinear", channels=3):
    """Decodes a batch of encoded images into float32 pixel values 0..255.

    Args:
        image_bytes: string `Tensor` of shape `(batch,)`. Encoded JPEG, PNG,
            GIF (first frame), BMP or WebP files of at most
            `MAX_IMAGE_PIXELS` pixels.
        size: `(height, width)`. Every image is resized to it.
        interpolation: str. The `tf.image.resize` method. Defaults to
            `"bilinear"`.
        channels: int. 3 (RGB) or 1 (grayscale). Defaults to `3`.

    Returns:
        float32 `Tensor` of shape `(batch, height, width, channels)`.

    Raises:
        tf.errors.InvalidArgumentError: at run time, for a request without
            instances, an empty string, bytes that are not an image, a JPEG
            XL image, a header declaring more than `MAX_IMAGE_PIXELS`
            pixels, or a truncated/corrupt image. The message names the index of the bad
            instance, except for errors raised by the image decoder itself
            (`Invalid JPEG data`, `Invalid PNG data`), which TensorFlow
            cannot annotate.

    A JPEG whose compressed data is damaged but complete (for example a span
    of zeroed bytes) decodes, with a libjpeg warning in the server log and
    gray or smeared blocks where the data was lost: TensorFlow's decoder, so
    training (`keras.utils.image_dataset_from_directory`), and browsers
    treat it as recoverable, and serving does the same.
    """
    image_bytes = check_image_bytes(image_bytes)
    height, width = size

    def decode_one(data):
        image = tf.io.decode_image(data, channels=channels, expand_animations=False)
        image = tf.image.resize(image, (height, width), method=interpolation)
        return tf.cast(image, tf.float32)

    return tf.map_fn(
        decode_one, image_bytes,
        fn_output_signature=tf.TensorSpec([height, width, channels], tf.float32),
    )


def decode_audio(audio_bytes, sample_rate, clip_length=None, resample_audio=True,
                 max_length=None, ragged=False):
    """Decodes a batch of WAV files into mono float32 waveforms in [-1, 1].

    Every check that can be made on the header (size, RIFF/WAVE magic,
    truncation, chunk layout, 16-bit PCM, sample rate) runs on the whole
    batch before any file is decoded, and names the bad instance's index.
    With a clip length, each waveform is cut to the samples its clip needs
    before resampling, so memory and time per instance are bounded by the
    clip length and `MAX_AUDIO_BYTES`, whatever the header declares.

    Args:
        audio_bytes: string `Tensor` of shape `(batch,)`. 16-bit PCM WAV
            files of at most `MAX_AUDIO_BYTES` bytes, at `MIN_SAMPLE_RATE` to
            `MAX_SAMPLE_RATE` Hz.
        sample_rate: int. The rate the model was trained at (Hz).
        clip_length: int. Waveforms are zero-padded or cut to this many
            samples. Defaults to `None`: each waveform keeps its length (at
            most `MAX_UNCLIPPED_SECONDS`) and the batch is zero-padded to its
            longest waveform.
        resample_audio: bool. If True, files at another rate are resampled to
            `sample_rate`; if False they are rejected. Defaults to `True`.
        max_length: int. Without a clip length: the most samples a waveform
            may have at `sample_rate` (after resampling); a longer file is
            rejected, checked on its length before it is resampled.
            Defaults to `None`: `MAX_UNCLIPPED_SECONDS` at the file's rate.
        ragged: bool. Without a clip length: return a `tf.RaggedTensor`
            (each waveform keeps its own length) instead of a zero-padded
            batch. Defaults to `False`.

    Returns:
        float32 `Tensor` of shape `(batch, samples)` (or a `tf.RaggedTensor`
        of shape `(batch, None)` with `ragged=True`).

    Raises:
        tf.errors.InvalidArgumentError: at run time, for a request without
            instances, an empty string, a file over `MAX_AUDIO_BYTES`, bytes
            that are not a WAV file, a truncated WAV file, a WAV file that is
            not 16-bit PCM, a sample rate outside `MIN_SAMPLE_RATE` to
            `MAX_SAMPLE_RATE`, a WAV file with no samples, one longer than
            `MAX_UNCLIPPED_SECONDS` or `max_length` (without a clip length), or (with
            `resample_audio=False`) a WAV file at another sample rate. The
            message names the index of the bad instance.
    """
    name = RAW_INPUT_NAMES["audio"]
    if clip_length is not None and (max_length is not None or ragged):
        raise ValueError("`max_length` and `ragged` apply without a clip length only. "
                         f"Received: clip_length={clip_length!r}, max_length={max_length!r}, "
                         f"ragged={ragged!r}")
    audio_bytes = _with_checks(
        [_check_batch(audio_bytes, name), _check_not_empty(audio_bytes, name, "audio")],
        audio_bytes,
    )
    audio_bytes = _with_checks(
        _check_wav_headers(audio_bytes, name), audio_bytes
    )

    def decode_one(args):
        index, data = args
        waveform, rate = decode_wav(data)
        checks = [_assert_each(tf.size(waveform) > 0, name,
                               "the WAV file holds no samples.", indices=index)]
        if not resample_audio:
            checks.append(_assert_each(
                tf.equal(rate, sample_rate), name,
                "the model was exported with resample_audio=False and takes "
                f"WAV files at {sample_rate} Hz only.", indices=index,
                details=["WAV file has sample rate (Hz)", rate,
                         f"but expected_sample_rate={sample_rate} was required."],
            ))
        if clip_length is None:
            checks.append(_assert_each(
                tf.size(waveform, out_type=tf.int64)
                <= MAX_UNCLIPPED_SECONDS * tf.cast(rate, tf.int64),
                name, f"WAV file longer than {MAX_UNCLIPPED_SECONDS} s (the "
                "most a model without a clip length is served); send a "
                "shorter clip.", indices=index,
            ))
        if max_length is not None:
            # Resampled, n samples at `rate` become ceil(n * sample_rate / rate).
            samples = tf.size(waveform, out_type=tf.int64)
            checks.append(_assert_each(
                samples * sample_rate <= max_length * tf.cast(rate, tf.int64), name,
                f"WAV file longer than the model input ({max_length} samples at "
                f"{sample_rate} Hz, {max_length / sample_rate:g} s); split it into "
                "shorter clips.", indices=index,
                details=["Its duration (samples, Hz):", samples, rate],
            ))
        with tf.control_dependencies(checks):
            waveform = tf.identity(waveform)
        if resample_audio:
            return resample(waveform, rate, sample_rate, output_length=clip_length)
        if clip_length is not None:
            waveform = pad_or_trim(waveform, clip_length)
        return waveform

    elems = (tf.range(tf.size(audio_bytes, out_type=tf.int64)), audio_bytes)
    # One instance at a time: a request's memory is that of its largest
    # instance, not of ten at once.
    if clip_length is not None:
        return tf.map_fn(
            decode_one, elems, parallel_iterations=1,
            fn_output_signature=tf.TensorSpec([clip_length], tf.float32),
        )
    waveforms = tf.map_fn(
        decode_one, elems, parallel_iterations=1,
        fn_output_signature=tf.RaggedTensorSpec([None], tf.float32, ragged_rank=0),
    )
    return waveforms if ragged else waveforms.to_tensor()


def check_text(text):
    """Returns `text` after checking that no string is empty.

    A string made only of Unicode whitespace, control characters (NUL
    included) or invisible format characters (U+200B, a byte-order mark)
    counts as empty. Invalid UTF-8 is not empty: it is passed to the model's
    preprocessing as in Python.

    Raises:
        tf.errors.InvalidArgumentError: at run time, for an empty string, or
            a request without instances. The message names the bad index.
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
