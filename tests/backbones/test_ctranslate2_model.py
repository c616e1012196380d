"""Tests for keras_transfer/backbones/ctranslate2_model.py on hand-written files."""

import struct

import numpy as np
import pytest

from keras_transfer.backbones.ctranslate2_model import read_ctranslate2_model


def _string(text):
    raw = text.encode("utf-8") + b"\0" if isinstance(text, str) else text
    return struct.pack("<H", len(raw)) + raw


def _variable(name, array, code, num_bytes=None, dims=None):
    array = np.asarray(array)
    dims = array.shape if dims is None else dims
    data = array.tobytes(order="C")
    return (_string(name) + struct.pack("<B", len(dims))
            + struct.pack(f"<{len(dims)}I", *dims) + struct.pack("<B", code)
            + struct.pack("<I", len(data) if num_bytes is None else num_bytes) + data)


def _model(variables, aliases=(), version=6, count=None):
    body = struct.pack("<I", version) + _string("WhisperSpec") + struct.pack("<I", 3)
    body += struct.pack("<I", len(variables) if count is None else count)
    body += b"".join(variables)
    body += struct.pack("<I", len(aliases))
    body += b"".join(_string(a) + _string(t) for a, t in aliases)
    return body


WEIGHT = np.arange(6, dtype="<f2").reshape(2, 3) / 4
GOOD = [
    _variable("encoder/w", WEIGHT, 4),
    _variable("encoder/num_heads", np.array(8, "<i2"), 2),
    _variable("decoder/flag", np.array(1, "i1"), 1),
    _variable("decoder/x", np.array([1.5, -2.0], "<f4"), 0),
]


def _write(tmp_path, body):
    path = tmp_path / "model.bin"
    path.write_bytes(body)
    return path


def test_reads_every_variable_with_its_dtype_shape_and_aliases(tmp_path):
    model = read_ctranslate2_model(
        _write(tmp_path, _model(GOOD, aliases=[("decoder/proj", "encoder/w")])))
    assert model["spec"] == "WhisperSpec" and model["revision"] == 3
    v = model["variables"]
    assert list(v) == ["encoder/w", "encoder/num_heads", "decoder/flag", "decoder/x"]
    assert v["encoder/w"].dtype == np.float16
    np.testing.assert_array_equal(v["encoder/w"], WEIGHT)
    assert int(v["encoder/num_heads"]) == 8 and v["encoder/num_heads"].shape == ()
    np.testing.assert_array_equal(v["decoder/x"], [1.5, -2.0])
    assert model["aliases"] == {"decoder/proj": "encoder/w"}
    assert model["shapes"]["decoder/x"] == ((2,), np.dtype("<f4"))


def test_names_selects_what_is_read_but_everything_is_checked(tmp_path):
    model = read_ctranslate2_model(_write(tmp_path, _model(GOOD)),
                                   names=lambda n: n.startswith("encoder/"))
    assert list(model["variables"]) == ["encoder/w", "encoder/num_heads"]
    assert set(model["shapes"]) == {"encoder/w", "encoder/num_heads", "decoder/flag",
                                    "decoder/x"}
    bad = GOOD[:3] + [_variable("decoder/x", np.zeros(2, "<f4"), 0, num_bytes=12)]
    with pytest.raises(ValueError, match="declares 12 bytes"):
        read_ctranslate2_model(_write(tmp_path, _model(bad)),
                               names=lambda n: n.startswith("encoder/"))


@pytest.mark.parametrize("body, message", [
    (_model(GOOD, version=5), "binary version 5"),
    (_model(GOOD)[:-7], "left"),
    (_model(GOOD) + b"\0", "1 unexpected trailing bytes"),
    (_model(GOOD, count=10**6), "variable count 1000000 cannot fit"),
    (_model([_variable("a", np.zeros(2, "<f4"), 0, num_bytes=4)]), "declares 4 bytes"),
    (_model([_variable("a", np.zeros(2, "<f4"), 9)]), "dtype code 9 of 'a' is unknown"),
    (_model([_variable("a", np.zeros(2, "<u2"), 5)]), "bfloat16"),
    (_model([_variable(b"abc", np.zeros(1, "i1"), 1)]), "not NUL-terminated"),
    (_model([_variable(b"\xff\xfe\0", np.zeros(1, "i1"), 1)]), "not UTF-8"),
    (_model([_variable("a", np.zeros(1, "i1"), 1, dims=(1,) * 9)]), "rank 9"),
    (_model([_variable("a", np.zeros(1, "i1"), 1, dims=(2**31, 2**31))]),
     "declares 1 bytes"),
    (_model([GOOD[0], GOOD[0]]), "appears twice"),
    (_model(GOOD, aliases=[("p", "missing")]), "unknown variable 'missing'"),
    (b"\x06\0\0\0" + struct.pack("<H", 60000), "outside"),
])
def test_malformed_files_are_refused(tmp_path, body, message):
    with pytest.raises(ValueError, match=message):
        read_ctranslate2_model(_write(tmp_path, body))


def test_a_huge_declared_size_fails_before_reading(tmp_path):
    # 4 GB declared, a few bytes present: refused without allocating.
    body = _model([_variable("a", np.zeros(0, "<f4"), 0, num_bytes=2**32 - 4,
                             dims=(2**30 - 1,))])
    with pytest.raises(ValueError, match="only .* left"):
        read_ctranslate2_model(_write(tmp_path, body))


def test_max_bytes_bounds_the_file(tmp_path):
    with pytest.raises(ValueError, match="more than `max_bytes`=10"):
        read_ctranslate2_model(_write(tmp_path, _model(GOOD)), max_bytes=10)
