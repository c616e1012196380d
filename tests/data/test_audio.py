"""Tests of WAV checks, in-graph decoding and the sinc resampler."""

import struct

import numpy as np
import pytest
import tensorflow as tf

from keras_transfer.data.audio import decode_wav
from keras_transfer.data.audio import escape_bytes
from keras_transfer.data.audio import input_samples_needed
from keras_transfer.data.audio import inspect_wav
from keras_transfer.data.audio import pad_or_trim
from keras_transfer.data.audio import resample


def _sine(rate, freq, seconds=0.5):
    t = np.arange(int(rate * seconds)) / rate
    return np.sin(2 * np.pi * freq * t).astype(np.float32)


def _max_error(y, rate_out, freq, rate_in):
    """Largest error against the analytic sine, away from the padded edges."""
    ref = np.sin(2 * np.pi * freq * np.arange(len(y)) / rate_out)
    edge = int(np.ceil(40 * rate_out / rate_in)) + 40
    return np.abs(y - ref)[edge:-edge].max()


def _peak_frequency(y, rate):
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return np.argmax(spectrum) * rate / len(y)


def _write_wav(path, waveform, rate):
    tf.io.write_file(str(path), tf.audio.encode_wav(waveform[:, None], rate))


@pytest.mark.parametrize(
    "rate_in,rate_out", [(44100, 16000), (22050, 16000), (8000, 16000),
                         (48000, 44100)]
)
def test_resample_sine_keeps_frequency_and_error_bound(rate_in, rate_out):
    nyquist = min(rate_in, rate_out) / 2
    for share, bound in ((0.25, 5e-5), (0.5, 5e-5), (0.8, 1e-3)):
        freq = share * nyquist
        y = resample(_sine(rate_in, freq), rate_in, rate_out).numpy()
        assert len(y) == int(np.ceil(rate_in * 0.5 * rate_out / rate_in))
        assert _max_error(y, rate_out, freq, rate_in) < bound
        assert abs(_peak_frequency(y, rate_out) - freq) <= rate_out / len(y)


def test_resample_attenuates_aliases():
    # 12 kHz cannot exist at 16 kHz; it must be removed, not folded to 4 kHz.
    y = resample(_sine(44100, 12000, 1.0), 44100, 16000).numpy()[200:-200]
    assert 20 * np.log10(np.abs(y).max()) < -90
    y = resample(_sine(44100, 8800, 1.0), 44100, 16000).numpy()[200:-200]
    assert 20 * np.log10(np.abs(y).max()) < -60


def test_resample_tensor_rates_match_static_rates():
    x = np.random.default_rng(0).normal(size=(3, 2205)).astype(np.float32)
    static = resample(x, 22050, 16000).numpy()
    dynamic = resample(x, tf.constant(22050), tf.constant(16000)).numpy()
    assert static.shape == dynamic.shape == (3, 1600)
    np.testing.assert_allclose(static, dynamic, atol=1e-5)


def test_resample_in_tf_function_with_file_rate():
    @tf.function
    def run(x, rate):
        return resample(x, rate, 16000)

    y = run(_sine(8000, 1000), tf.constant(8000)).numpy()
    assert y.shape == (8000,)
    assert _max_error(y, 16000, 1000, 8000) < 5e-5


def test_resample_equal_rates_is_identity_and_batches():
    x = np.random.default_rng(1).normal(size=(2, 3, 100)).astype(np.float32)
    np.testing.assert_array_equal(resample(x, 16000, 16000).numpy(), x)
    np.testing.assert_array_equal(
        resample(x, tf.constant(16000), tf.constant(16000)).numpy(), x
    )
    assert resample(x, 16000, 8000).shape == (2, 3, 50)


def test_resample_rejects_bad_rates():
    with pytest.raises(ValueError, match=r"Received: rate_out=0"):
        resample(np.zeros(10, np.float32), 16000, 0)
    with pytest.raises(ValueError, match=r"rate_in=16000.5"):
        resample(np.zeros(10, np.float32), 16000.5, 8000)


def test_wav_round_trip(tmp_path):
    x = (0.5 * _sine(16000, 440, 0.25))
    path = tmp_path / "a.wav"
    _write_wav(path, x, 16000)
    info = inspect_wav(path)
    assert info == {"sample_rate": 16000, "channels": 1, "bits_per_sample": 16,
                    "num_frames": 4000, "duration": 0.25}
    waveform, rate = decode_wav(tf.io.read_file(str(path)),
                                expected_sample_rate=16000)
    assert int(rate) == 16000
    np.testing.assert_allclose(waveform.numpy(), x, atol=1 / 32767)


def test_decode_wav_stereo_is_averaged():
    stereo = np.stack([np.full(10, 0.5), np.full(10, -0.25)], 1)
    contents = tf.audio.encode_wav(stereo.astype(np.float32), 8000)
    waveform, _ = decode_wav(contents)
    np.testing.assert_allclose(waveform.numpy(), np.full(10, 0.125), atol=1e-4)


def test_truncated_wav_errors(tmp_path):
    data = tf.audio.encode_wav(_sine(16000, 440, 0.1)[:, None], 16000).numpy()
    path = tmp_path / "cut.wav"
    path.write_bytes(data[:1000])
    with pytest.raises(ValueError, match=r"cut.wav is a truncated WAV file: "
                       r"its header declares 3200 bytes of samples but only "
                       r"956 follow"):
        inspect_wav(path)
    ds = tf.data.Dataset.from_tensors(data[:1000]).map(decode_wav)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Truncated WAV file.*\[3244\].*\[1000\]"):
        next(iter(ds))


def test_not_a_wav_errors(tmp_path):
    path = tmp_path / "x.wav"
    path.write_bytes(b"hello")
    with pytest.raises(ValueError, match=r"x.wav is not a WAV file"):
        inspect_wav(path)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Not a WAV file"):
        decode_wav(tf.constant(b"hello"))


def test_wrong_sample_rate_where_one_is_demanded():
    contents = tf.audio.encode_wav(np.zeros((80, 1), np.float32), 8000)
    ds = tf.data.Dataset.from_tensors(contents).map(
        lambda c: decode_wav(c, expected_sample_rate=16000)
    )
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"\[8000\].*expected_sample_rate=16000"):
        next(iter(ds))
    with pytest.raises(ValueError, match=r"expected_sample_rate=-1"):
        decode_wav(contents, expected_sample_rate=-1)


def test_inspect_wav_rejects_float_samples(tmp_path):
    body = np.zeros(4, "<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, 16000, 64000, 4, 32)
    data = (b"RIFF" + struct.pack("<I", 4 + 24 + 8 + len(body)) + b"WAVE"
            + b"fmt " + struct.pack("<I", 16) + fmt
            + b"data" + struct.pack("<I", len(body)) + body)
    path = tmp_path / "float.wav"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=r"32-bit samples with WAV format "
                       r"tag 3 \(16-byte `fmt ` chunk\); only 16-bit PCM"
                       r".*sox in.wav -b 16 out.wav"):
        inspect_wav(path)


def test_pad_or_trim():
    x = tf.ones([2, 5])
    assert pad_or_trim(x, 3).shape == (2, 3)
    padded = pad_or_trim(x, 7).numpy()
    np.testing.assert_array_equal(padded[0], [1, 1, 1, 1, 1, 0, 0])


@pytest.mark.parametrize(
    "rate_in,rate_out,n_in",
    [(8000, 16000, 24000), (44100, 16000, 90000), (191999, 16000, 60000),
     (16001, 16000, 40000), (22050, 16000, 3000), (16000, 16000, 20000)],
)
def test_trimmed_then_resampled_equals_resampled_then_trimmed(rate_in, rate_out, n_in):
    # A hostile or long file is cut to what the clip needs before resampling;
    # the kept window must not change (tensor rates: the serving path).
    length = 16000
    x = np.random.default_rng(2).uniform(-1, 1, n_in).astype(np.float32)
    for r_in, r_out in ((rate_in, rate_out),
                        (tf.constant(rate_in), tf.constant(rate_out))):
        want = pad_or_trim(resample(x, r_in, r_out), length).numpy()
        got = resample(x, r_in, r_out, output_length=length).numpy()
        assert got.shape == (length,)
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
    # Only the samples the window reads are kept, not the whole file.
    keep = int(input_samples_needed(length, rate_in, rate_out))
    assert keep < n_in or n_in * rate_out < length * rate_in
    if rate_in == rate_out:
        assert keep == length


def test_input_samples_needed_is_the_filter_reach():
    # Output 15999 sits at input 15999 * 44100 / 16000 = 44097.2; the filter
    # reaches 47 samples (ceil(16 / (0.95 * 16000 / 44100))) on each side,
    # plus one sample of margin.
    assert int(input_samples_needed(16000, 44100, 16000)) == 44097 + 47 + 2
    assert int(input_samples_needed(16000, 8000, 16000)) == 7999 + 17 + 2
    # Changing any sample past the cut leaves the window unchanged.
    x = np.random.default_rng(3).uniform(-1, 1, 60000).astype(np.float32)
    y = x.copy()
    y[44097 + 47 + 1:] = 1.0
    rates = (tf.constant(44100), tf.constant(16000))
    np.testing.assert_array_equal(
        resample(x, *rates, output_length=16000).numpy(),
        resample(y, *rates, output_length=16000).numpy())
    with pytest.raises(ValueError, match=r"Received: output_length=0"):
        resample(x, 44100, 16000, output_length=0)


def test_escape_bytes_makes_any_upload_printable():
    out = escape_bytes(tf.constant([b"\xff\xd8\x00\\ok", b"", b"RIFF1234WAVEfmt xyz"]))
    assert out.numpy().tolist() == [
        b"\\xff\\xd8\\x00\\x5cok", b"", b"RIFF1234WAVEfmt "]
    assert escape_bytes(b"\x80abc", length=2).numpy() == b"\\x80a"


def test_not_a_wav_with_high_bytes_is_an_invalid_argument_error():
    # Before: the raw bytes went into the message, and building the
    # exception raised UnicodeDecodeError (graph mode, as in tf.data).
    @tf.function
    def decode(contents):
        return decode_wav(contents)

    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Not a WAV file.*\\\\xff\\\\xfeID3"):
        decode(tf.constant(b"\xff\xfeID3 \x80\x81 not audio"))
