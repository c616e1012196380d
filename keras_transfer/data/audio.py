"""WAV decoding, header checks and band-limited resampling with TensorFlow ops.

Everything here runs inside a `tf.data` pipeline (no Python callbacks, no
tensorflow-io): `decode_wav` wraps `tf.audio.decode_wav` with checks that turn
truncated or foreign files into readable errors, and `resample` is a windowed
sinc interpolator written with `tf.nn.conv1d` (polyphase, when both rates are
Python integers) or `tf.gather` (when a rate is only known as a tensor, for
example the rate read from each file).

Resampler accuracy (measured by `tests/data/test_audio.py`, float32): with
the default filter (16 zero crossings per side, Kaiser window beta=8.6,
cutoff at 0.95 of the lower Nyquist rate), a sine keeps its frequency
exactly, and its error against the analytic signal is below 5e-5 of full
scale up to half the lower Nyquist rate and below 1e-3 up to 0.8 of it (it
rises to 3e-2 at 0.85, the start of the transition band). Tones that would
alias are attenuated by at least 65 dB from 1.1 times the new Nyquist rate
and by 95 dB from 1.5 times. These bounds hold away from the first and last
`ceil(16 / cutoff)` input samples, where the signal is treated as zero
padded.
"""

import math
import struct
from pathlib import Path

import numpy as np
import tensorflow as tf

ZERO_CROSSINGS = 16
KAISER_BETA = 8.6
ROLLOFF = 0.95
# Polyphase kernels bigger than this many floats (rates whose reduced ratio is
# large, e.g. 16001 -> 16000 Hz) are replaced by the gather implementation.
_MAX_POLYPHASE_KERNEL = 1 << 22

_FIX_HINT = (
    "Re-encode it as 16-bit PCM, e.g. `sox in.wav -b 16 out.wav` or "
    "`ffmpeg -i in.wav -acodec pcm_s16le out.wav`."
)


def inspect_wav(path):
    """Reads and checks the header of a WAV file without decoding its samples.

    The chunks of the RIFF container are walked, so files with extra chunks
    (`LIST`, `JUNK`, `fact`) are accepted. A file is rejected when it is not a
    RIFF/WAVE file, when its `data` chunk declares more bytes than the file
    holds (a truncated copy, or a header written by a streaming encoder that
    never went back to fill in the length), or when its samples are not plain
    16-bit PCM (the only encoding `tf.audio.decode_wav` reads; it also refuses
    the WAVE_FORMAT_EXTENSIBLE header).

    Args:
        path: str or `pathlib.Path`. The WAV file.

    Returns:
        dict with `sample_rate` (int, Hz), `channels` (int),
        `bits_per_sample` (int), `num_frames` (int) and `duration` (float,
        seconds).

    Raises:
        ValueError: if the file is not a complete 16-bit PCM WAV file. The
            message names the file and what is wrong with it.

    Example:

    ```python
    info = keras_transfer.data.inspect_wav("speech/yes/0001.wav")
    info["sample_rate"]  # 16000
    ```
    """
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise ValueError(
                f"{path} is not a WAV file: it does not start with a RIFF/WAVE "
                f"header (first bytes: {head[:12]!r})."
            )
        fmt = None
        offset = 12
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                break
            chunk_id, chunk_size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            body_start = offset + 8
            if chunk_id == b"fmt ":
                body = f.read(min(chunk_size, 40))
                if len(body) < 16:
                    raise ValueError(
                        f"{path} is a truncated WAV file: its `fmt ` chunk is "
                        f"{len(body)} bytes, at least 16 are needed."
                    )
                fmt = struct.unpack("<HHIIHH", body[:16])
                fmt_size = chunk_size
            elif chunk_id == b"data":
                if fmt is None:
                    raise ValueError(
                        f"{path} is not a valid WAV file: its `data` chunk "
                        "comes before the `fmt ` chunk."
                    )
                available = size - body_start
                if chunk_size > available:
                    raise ValueError(
                        f"{path} is a truncated WAV file: its header declares "
                        f"{chunk_size} bytes of samples but only {available} "
                        "follow. Copy the file again, or rewrite its header "
                        "with `sox in.wav out.wav` if it was written by a "
                        "streaming encoder."
                    )
                format_tag, channels, rate, _, block_align, bits = fmt
                if format_tag != 1 or bits != 16 or fmt_size not in (16, 18):
                    raise ValueError(
                        f"{path} holds {bits}-bit samples with WAV format tag "
                        f"{format_tag} ({fmt_size}-byte `fmt ` chunk); only "
                        "16-bit PCM (tag 1, 16- or 18-byte `fmt `) can be "
                        f"decoded by tf.audio.decode_wav. {_FIX_HINT}"
                    )
                if rate <= 0 or channels <= 0:
                    raise ValueError(
                        f"{path} has an invalid header: sample_rate={rate}, "
                        f"channels={channels}."
                    )
                frames = chunk_size // block_align
                return {
                    "sample_rate": rate,
                    "channels": channels,
                    "bits_per_sample": bits,
                    "num_frames": frames,
                    "duration": frames / rate,
                }
            offset = body_start + chunk_size + (chunk_size & 1)
            f.seek(offset)
    raise ValueError(
        f"{path} is a truncated WAV file: no "
        f"{'`fmt ` chunk' if fmt is None else '`data` chunk'} was found in "
        f"its {size} bytes."
    )


def decode_wav(contents, expected_sample_rate=None):
    """Decodes a 16-bit PCM WAV file into a mono float waveform, in graph.

    A thin wrapper of `tf.audio.decode_wav` that also works inside
    `tf.data.Dataset.map`. Before decoding, the RIFF header is checked so that a
    truncated file fails with a message that says so (instead of "Data too
    short when trying to read string"). Channels are averaged to mono.

    Args:
        contents: string `Tensor`. The bytes of the WAV file
            (`tf.io.read_file(path)`).
        expected_sample_rate: int. When set, a file with another sample rate
            raises an error instead of being decoded. Defaults to `None` (any
            rate; resample with `keras_transfer.data.resample`).

    Returns:
        Tuple `(waveform, sample_rate)`: a float32 `Tensor` of shape
        `(samples,)` with values in [-1, 1], and an int32 scalar `Tensor`.

    Raises:
        tf.errors.InvalidArgumentError: when the bytes are not a RIFF/WAVE
            file, are truncated, are not 16-bit PCM, or have a sample rate other
            than `expected_sample_rate`.
        ValueError: if `expected_sample_rate` is not a positive integer.

    Example:

    ```python
    waveform, rate = keras_transfer.data.decode_wav(
        tf.io.read_file("speech/yes/0001.wav"), expected_sample_rate=16000)
    ```
    """
    if expected_sample_rate is not None:
        _check_rate("expected_sample_rate", expected_sample_rate)
    contents = tf.convert_to_tensor(contents, tf.string)
    is_riff, declared, length = riff_header(contents)
    checks = [
        tf.debugging.Assert(
            is_riff,
            [
                "Not a WAV file: the bytes do not start with a RIFF/WAVE "
                "header. First bytes:",
                escape_bytes(contents),
            ],
        )
    ]
    with tf.control_dependencies(checks):
        checks.append(
            tf.debugging.Assert(
                declared <= length,
                [
                    "Truncated WAV file (or one whose streaming encoder never "
                    "filled in its length): its RIFF header declares (bytes)",
                    declared,
                    "but only (bytes) are present:",
                    length,
                ],
            )
        )
    with tf.control_dependencies(checks):
        audio, rate = tf.audio.decode_wav(tf.identity(contents))
    waveform = tf.reduce_mean(audio, axis=-1)
    rate = tf.cast(rate, tf.int32)
    if expected_sample_rate is not None:
        check = tf.debugging.Assert(
            tf.equal(rate, expected_sample_rate),
            [
                "WAV file has sample rate (Hz)",
                rate,
                f"but expected_sample_rate={expected_sample_rate} was "
                "required. Resample it with keras_transfer.data.resample or "
                "pass sample_rate= to keras_transfer.data.from_directory.",
            ],
        )
        with tf.control_dependencies([check]):
            waveform = tf.identity(waveform)
    return waveform, rate


def riff_header(contents):
    """Reads the RIFF/WAVE magic and declared size of WAV files, in graph.

    Only the first 12 bytes of each file are read (nothing is copied), so it
    is cheap on large or hostile inputs.

    Args:
        contents: string `Tensor` of any shape. The bytes of WAV files.

    Returns:
        Tuple `(is_riff, declared, length)` of `Tensor`s shaped like
        `contents`: bool, whether the bytes start with a RIFF/WAVE header;
        int64, the file size the header declares (the actual length when it
        declares none: streaming encoders write 0 or 0xFFFFFFFF); int64, the
        actual length in bytes.
    """
    contents = tf.convert_to_tensor(contents, tf.string)
    length = tf.cast(tf.strings.length(contents), tf.int64)
    # Padding keeps substr in range for files shorter than the header.
    head = tf.strings.join(
        [tf.strings.substr(contents, 0, 12), tf.constant(b"\x00" * 12)]
    )
    magic = tf.strings.substr(head, 0, 4) + tf.strings.substr(head, 8, 4)
    size = tf.io.decode_raw(tf.strings.substr(head, 4, 4), tf.uint8)
    size = tf.reduce_sum(
        tf.cast(size, tf.int64)
        * tf.constant([1, 1 << 8, 1 << 16, 1 << 24], tf.int64),
        axis=-1,
    )
    unknown = tf.logical_or(tf.equal(size, 0), tf.greater_equal(size, 0xFFFFFFF0))
    declared = tf.where(unknown, length, size + 8)
    return tf.equal(magic, "RIFFWAVE"), declared, length


_ESCAPED = [
    chr(b) if 32 <= b < 127 and b != 92 else f"\\x{b:02x}" for b in range(256)
]


def escape_bytes(values, length=16):
    """The first `length` bytes of each string, printable, for error messages.

    Printable ASCII is kept, every other byte (and the backslash) is written
    as `\\xNN`, so a message that quotes an upload is valid UTF-8 whatever
    the upload holds (TensorFlow decodes error messages as UTF-8).

    Args:
        values: string `Tensor` of any shape.
        length: int. How many leading bytes to show. Defaults to `16`.

    Returns:
        string `Tensor` shaped like `values`.
    """
    values = tf.convert_to_tensor(values, tf.string)
    chars = tf.strings.bytes_split(
        tf.strings.substr(tf.reshape(values, [-1]), 0, length)
    )
    codes = tf.reshape(tf.io.decode_raw(chars.flat_values, tf.uint8), [-1])
    escaped = chars.with_flat_values(
        tf.gather(tf.constant(_ESCAPED), tf.cast(codes, tf.int32))
    )
    return tf.reshape(tf.strings.reduce_join(escaped, axis=-1), tf.shape(values))


def pad_or_trim(waveform, length):
    """Zero-pads or cuts the last axis of `waveform` to exactly `length`.

    Args:
        waveform: float `Tensor` of shape `(..., samples)`.
        length: int. The number of samples to keep.

    Returns:
        `Tensor` of shape `(..., length)` (static when `length` is an int).
    """
    waveform = tf.convert_to_tensor(waveform)
    waveform = waveform[..., :length]
    missing = length - tf.shape(waveform)[-1]
    paddings = tf.concat(
        [tf.zeros([tf.rank(waveform) - 1, 2], tf.int32), [[0, missing]]], 0
    )
    waveform = tf.pad(waveform, paddings)
    if isinstance(length, int):
        waveform = tf.ensure_shape(
            waveform, waveform.shape[:-1].concatenate([length])
        )
    return waveform


def resample(waveform, rate_in, rate_out, output_length=None):
    """Resamples audio along its last axis with a band-limited sinc filter.

    Each output sample is a Kaiser-windowed sinc interpolation of the input
    (16 zero crossings per side), low-passed at 0.95 of the lower of the two
    Nyquist rates, so downsampling does not alias. Output sample `n` lies at
    time `n / rate_out`, exactly aligned with input sample `0`. When both
    rates are Python integers the filter is applied as one strided
    `tf.nn.conv1d` with one output channel per polyphase branch (fast, works
    on batches); when a rate is a tensor (the rate `decode_wav` read from a
    file) the same filter is applied one tap at a time with `tf.gather`, so
    its memory grows with the number of samples only, not with the number of
    taps (which grows with the rate ratio).

    With `output_length`, the input is first cut to the samples that the
    first `output_length` output samples depend on (their time span plus the
    filter's half width), so the cost is set by `output_length`, whatever the
    length and rate of the input; the result equals
    `pad_or_trim(resample(waveform, rate_in, rate_out), output_length)`.

    Accuracy: a sine keeps its frequency exactly; its error against the
    analytic signal is below 5e-5 of full scale up to half the lower Nyquist
    rate and below 1e-3 up to 0.8 of it; aliases are attenuated by at least
    65 dB. Within `ceil(16 / cutoff)` input samples of either end the signal
    is treated as zero padded.

    Args:
        waveform: float `Tensor` of shape `(..., samples)`.
        rate_in: int or int scalar `Tensor`. The sample rate of `waveform`.
        rate_out: int or int scalar `Tensor`. The sample rate wanted.
        output_length: int. When set, the number of output samples: the
            result is zero-padded or cut to it, and only the input it needs
            is resampled. Defaults to `None` (all of it).

    Returns:
        float32 `Tensor` of shape `(..., ceil(samples * rate_out / rate_in))`,
        or `(..., output_length)`.

    Raises:
        ValueError: if a rate given as a Python number, or `output_length`,
            is not a positive integer.

    Example:

    ```python
    waveform_16k = keras_transfer.data.resample(waveform_44k, 44100, 16000)
    one_second = keras_transfer.data.resample(
        waveform_44k, 44100, 16000, output_length=16000)
    ```
    """
    waveform = tf.cast(tf.convert_to_tensor(waveform), tf.float32)
    if output_length is not None:
        _check_rate("output_length", output_length)
        keep = input_samples_needed(output_length, rate_in, rate_out)
        waveform = waveform[..., :keep]
        return pad_or_trim(resample(waveform, rate_in, rate_out), output_length)
    static = not tf.is_tensor(rate_in) and not tf.is_tensor(rate_out)
    if static:
        _check_rate("rate_in", rate_in)
        _check_rate("rate_out", rate_out)
        rate_in, rate_out = int(rate_in), int(rate_out)
        if rate_in == rate_out:
            return waveform
        g = math.gcd(rate_in, rate_out)
        up, down = rate_out // g, rate_in // g
        width = _half_width(up, down)
        if up * (down + 2 * width + 1) <= _MAX_POLYPHASE_KERNEL:
            return _resample_polyphase(waveform, up, down)
    rate_in = tf.cast(rate_in, tf.int64)
    rate_out = tf.cast(rate_out, tf.int64)
    return tf.cond(
        tf.equal(rate_in, rate_out),
        lambda: waveform,
        lambda: _resample_gather(waveform, rate_in, rate_out),
    )


def input_samples_needed(output_length, rate_in, rate_out):
    """How many input samples the first `output_length` resampled ones use.

    Output sample `n` of `resample` lies at input time
    `t = n * rate_in / rate_out` and reads the input samples within the
    filter's half width `w` of it, the last one at `floor(t) + w`. So the
    first `output_length` outputs depend on the first
    `floor((output_length - 1) * rate_in / rate_out) + w + 1` input samples
    only; one more is kept as a margin against rounding of `w` (samples
    beyond the filter's reach get zero weight, so extra ones change
    nothing). With equal rates it is `output_length`.

    Args:
        output_length: int or int scalar `Tensor`. Output samples wanted.
        rate_in: int or int scalar `Tensor`. The input sample rate.
        rate_out: int or int scalar `Tensor`. The output sample rate.

    Returns:
        int32 scalar `Tensor`.
    """
    rate_in = tf.cast(rate_in, tf.int64)
    rate_out = tf.cast(rate_out, tf.int64)
    last = (tf.cast(output_length, tf.int64) - 1) * rate_in // rate_out
    needed = tf.where(
        tf.equal(rate_in, rate_out),
        tf.cast(output_length, tf.int64),
        last + _gather_half_width(rate_in, rate_out) + 2,
    )
    return tf.cast(tf.minimum(needed, tf.int32.max), tf.int32)


def _check_rate(name, value):
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or value <= 0
    ):
        raise ValueError(
            f"`{name}` must be a positive integer (Hz). Received: "
            f"{name}={value!r}"
        )


def _half_width(up, down):
    """Filter half width in input samples for a rate ratio `up / down`."""
    cutoff = min(1.0, up / down) * ROLLOFF
    return int(math.ceil(ZERO_CROSSINGS / cutoff))


def _kernel(distance, cutoff, width):
    """Windowed sinc at `distance` input samples (same dtype as distance)."""
    x = cutoff * distance
    safe = tf.where(tf.equal(x, 0), tf.ones_like(x), x)
    sinc = tf.where(
        tf.equal(x, 0), tf.ones_like(x), tf.sin(math.pi * safe) / (math.pi * safe)
    )
    ratio = tf.clip_by_value(distance / width, -1.0, 1.0)
    window = tf.math.bessel_i0(
        KAISER_BETA * tf.sqrt(tf.maximum(1.0 - ratio * ratio, 0.0))
    ) / float(np.i0(KAISER_BETA))
    inside = tf.abs(distance) <= width
    return tf.where(inside, cutoff * sinc * window, tf.zeros_like(x))


def _kernel_np(distance, cutoff, width):
    """NumPy float64 twin of `_kernel`, for the static polyphase filter."""
    x = cutoff * distance
    window = np.i0(
        KAISER_BETA * np.sqrt(np.clip(1.0 - (distance / width) ** 2, 0.0, None))
    ) / np.i0(KAISER_BETA)
    return np.where(np.abs(distance) <= width, cutoff * np.sinc(x) * window, 0.0)


def _resample_polyphase(waveform, up, down):
    """Static-rate resampling: one strided conv1d, `up` polyphase branches."""
    cutoff = min(1.0, up / down) * ROLLOFF
    width = _half_width(up, down)
    # Branch p computes output samples n = m * up + p, which sit at input time
    # m * down + p * down / up. Kernel tap j reads padded input m * down + j,
    # i.e. unpadded input m * down + j - width.
    taps = down + 2 * width + 1
    j = np.arange(taps, dtype=np.float64)[:, None]
    offsets = np.arange(up, dtype=np.float64)[None, :] * down / up
    kernel = _kernel_np(j - width - offsets, cutoff, width)
    kernel = tf.constant(kernel[:, None, :], tf.float32)  # [taps, 1, up]

    shape = tf.shape(waveform)
    n_in = shape[-1]
    n_out = (tf.cast(n_in, tf.int64) * up + down - 1) // down
    frames = (n_out + up - 1) // up
    needed = (frames - 1) * down + taps
    flat = tf.reshape(waveform, [-1, n_in])
    right = tf.maximum(tf.cast(needed, tf.int32) - n_in - width, 0)
    flat = tf.pad(flat, [[0, 0], [width, 0]])
    flat = tf.pad(flat, [[0, 0], [0, right]])
    out = tf.nn.conv1d(flat[..., None], kernel, stride=down, padding="VALID")
    out = tf.reshape(out, [tf.shape(flat)[0], -1])[:, : tf.cast(n_out, tf.int32)]
    out_shape = tf.concat([shape[:-1], [tf.cast(n_out, tf.int32)]], 0)
    result = tf.reshape(out, out_shape)
    static_n = waveform.shape[-1]
    if static_n is not None:
        result = tf.ensure_shape(
            result,
            waveform.shape[:-1].concatenate([-(-static_n * up // down)]),
        )
    return result


def _gather_half_width(rate_in, rate_out):
    """`_half_width` for int64 tensor rates, as `_resample_gather` uses it."""
    ratio = tf.cast(rate_out, tf.float64) / tf.cast(rate_in, tf.float64)
    cutoff = tf.minimum(tf.constant(1.0, tf.float64), ratio) * ROLLOFF
    return tf.cast(tf.math.ceil(ZERO_CROSSINGS / cutoff), tf.int64)


def _resample_gather(waveform, rate_in, rate_out):
    """Dynamic-rate resampling with the same filter, one tap at a time.

    Each of the `2 * width + 1` taps gathers one input sample per output
    sample, so no tensor is bigger than `(batch, n_out)`: a hostile rate
    ratio (many taps) costs time, not memory.
    """
    ratio = tf.cast(rate_out, tf.float64) / tf.cast(rate_in, tf.float64)
    cutoff = tf.minimum(tf.constant(1.0, tf.float64), ratio) * ROLLOFF
    width_i = _gather_half_width(rate_in, rate_out)
    width = tf.cast(width_i, tf.float64)

    shape = tf.shape(waveform)
    n_in = tf.cast(shape[-1], tf.int64)
    n_out = (n_in * rate_out + rate_in - 1) // rate_in
    n = tf.range(n_out, dtype=tf.int64)
    # Exact integer position of each output sample on the input grid. Its
    # fractional part takes only `rate_out / gcd(rate_in, rate_out)` values
    # (the polyphase branches), so the filter is evaluated once per branch.
    base = (n * rate_in) // rate_out
    phases, branch = tf.unique((n * rate_in) % rate_out)
    frac = tf.cast(phases, tf.float64) / tf.cast(rate_out, tf.float64)

    flat = tf.reshape(waveform, [-1, shape[-1]])
    flat = tf.pad(flat, [[0, 0], [width_i, width_i]])

    def add_tap(k, total):
        weights = _kernel(tf.cast(k, tf.float64) - frac, cutoff, width)
        weights = tf.gather(tf.cast(weights, tf.float32), branch)  # [n_out]
        taps = tf.gather(flat, base + k + width_i, axis=1)  # [batch, n_out]
        return k + 1, total + taps * weights[None]

    total = tf.zeros([tf.shape(flat)[0], tf.cast(n_out, tf.int32)], tf.float32)
    _, out = tf.while_loop(
        lambda k, _: k <= width_i, add_tap, (-width_i, total),
        parallel_iterations=1,
    )
    out_shape = tf.concat([shape[:-1], [tf.cast(n_out, tf.int32)]], 0)
    return tf.reshape(out, out_shape)
