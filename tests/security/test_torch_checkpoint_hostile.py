"""Hostile PyTorch checkpoints against keras_transfer.backbones.torch_checkpoint.

Every file here is built by the test at run time in a temp dir. Loads that
could crash the interpreter (a view reading far outside its storage) or
allocate gigabytes (a pickle declaring a huge memo index or byte string) run in
a subprocess under a 2 GiB address-space limit, so a segfault or a runaway
allocation fails the test instead of killing pytest or the machine.
"""

import collections
import io
import os
import pickle
import struct
import subprocess
import sys
import textwrap
import types
import zipfile
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from keras_transfer.backbones.torch_checkpoint import load_torch_checkpoint

MODULE = (Path(__file__).resolve().parents[2]
          / "keras_transfer" / "backbones" / "torch_checkpoint.py")
REFUSED_MKDIR = r"Refusing to load global (posix|nt)\.mkdir"

# Fake torch globals, put in sys.modules only while pickling so that pickle
# writes `torch.FloatStorage` and `torch._utils._rebuild_tensor_v2` as torch
# does.
_fake_torch = types.ModuleType("torch")
_fake_torch_utils = types.ModuleType("torch._utils")
FloatStorage = type("FloatStorage", (), {"__module__": "torch"})
_fake_torch.FloatStorage = FloatStorage


def _rebuild_tensor_v2(*args):
    raise AssertionError("only used as a pickled reference")


_rebuild_tensor_v2.__module__ = "torch._utils"
_fake_torch_utils._rebuild_tensor_v2 = _rebuild_tensor_v2
_fake_torch._utils = _fake_torch_utils


class _Mkdir:
    """Unpickling this runs `os.mkdir(path)`: a harmless, visible effect."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.mkdir, (self.path,))


class _Storage:
    def __init__(self, key, data, declared=None, view=None):
        self.key = key
        self.data = np.asarray(data, dtype="<f4")
        self.declared = self.data.size if declared is None else declared
        self.view = view  # Legacy view metadata: (view_key, offset, numel).


class _Tensor:
    def __init__(self, storage, offset, size, stride, state=None):
        self.args = (storage, offset, size, stride)
        self.state = state

    def __reduce__(self):
        storage, offset, size, stride = self.args
        reduced = (_rebuild_tensor_v2,
                   (storage, offset, size, stride, False,
                    collections.OrderedDict()))
        return reduced + (self.state,) if self.state is not None else reduced


class _CallStorageClass:
    """Pickles as `torch.FloatStorage()`: REDUCE on a storage class."""

    def __reduce__(self):
        return (FloatStorage, ())


def _dumps(obj, legacy=False):
    def persistent_id(value):
        if isinstance(value, _Storage):
            pid = ("storage", FloatStorage, value.key, "cpu", value.declared)
            return pid + (value.view,) if legacy else pid
        return None

    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=2)
    pickler.persistent_id = persistent_id
    with mock.patch.dict(sys.modules, {"torch": _fake_torch,
                                       "torch._utils": _fake_torch_utils}):
        pickler.dump(obj)
    return buffer.getvalue()


def _write_zip(path, obj=None, storages=(), data_pkl=None,
               storage_compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl",
                         data_pkl if data_pkl is not None else _dumps(obj))
        archive.writestr("archive/byteorder", "little")
        for storage in storages:
            archive.writestr(f"archive/data/{storage.key}",
                             storage.data.tobytes(),
                             compress_type=storage_compression)
    return path


def _legacy_pickles(obj, keys):
    return [
        pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2),
        pickle.dumps(1001, protocol=2),
        pickle.dumps({"protocol_version": 1001, "little_endian": True,
                      "type_sizes": {"short": 2, "int": 4, "long": 4}},
                     protocol=2),
        _dumps(obj, legacy=True),
        pickle.dumps(keys, protocol=2),
    ]


def _write_legacy(path, obj, storages, pickles=None, counts=None):
    keys = [s.key for s in storages]
    pickles = pickles or _legacy_pickles(obj, keys)
    with open(path, "wb") as f:
        for blob in pickles:
            f.write(blob)
        for i, storage in enumerate(storages):
            count = storage.data.size if counts is None else counts[i]
            f.write(struct.pack("<q", count))
            f.write(storage.data.tobytes())
    return path


def _tiny():
    storage = _Storage("0", np.arange(12))
    state = collections.OrderedDict(
        [("w", _Tensor(storage, 0, (3, 4), (4, 1)))])
    return state, [storage]


def _load_in_subprocess(path):
    """Loads `path` in a fresh interpreter limited to 2 GiB of address space.

    Returns `(returncode, stderr)`: 3 for ValueError, 4 for UnpicklingError,
    0 if it loaded, 1 for any other exception, negative for a signal
    (segfault). stderr ends with the peak RSS as `MAXRSS_KB=<n>`.
    """
    script = textwrap.dedent("""
        import resource, sys
        limit = 2 * 1024 ** 3
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        import importlib.util, pickle
        spec = importlib.util.spec_from_file_location("tc", sys.argv[1])
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        code = 0
        try:
            module.load_torch_checkpoint(sys.argv[2])
        except ValueError as error:
            print("ValueError:", error, file=sys.stderr)
            code = 3
        except pickle.UnpicklingError as error:
            print("UnpicklingError:", error, file=sys.stderr)
            code = 4
        # Peak RSS of this interpreter (ru_maxrss would include the forked
        # pytest process).
        with open("/proc/self/status") as status:
            peak = [line.split()[1] for line in status
                    if line.startswith("VmHWM:")][0]
        print(f"MAXRSS_KB={peak}", file=sys.stderr)
        sys.exit(code)
    """)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    result = subprocess.run(
        [sys.executable, "-c", script, str(MODULE), str(path)],
        capture_output=True, text=True, env=env, timeout=120)
    return result.returncode, result.stderr


def _peak_rss_mb(stderr):
    return int(stderr.rsplit("MAXRSS_KB=", 1)[1]) / 1024


# --- Code execution -------------------------------------------------------


def test_payload_runs_under_plain_pickle(tmp_path):
    # The payload is live: plain `pickle.loads` (what the legacy reader used
    # for its header pickles) creates the folder.
    marker = tmp_path / "pwned"
    pickle.loads(pickle.dumps(_Mkdir(marker), protocol=2))
    assert marker.is_dir()


@pytest.mark.parametrize(
    "position", ["magic", "protocol", "sys_info", "object", "storage_keys"])
def test_legacy_pickles_cannot_run_code(tmp_path, position):
    marker = tmp_path / "pwned"
    state, storages = _tiny()
    pickles = _legacy_pickles(state, ["0"])
    index = ["magic", "protocol", "sys_info", "object",
             "storage_keys"].index(position)
    if position == "object":
        state["evil"] = _Mkdir(marker)
        pickles[index] = _dumps(state, legacy=True)
    else:
        pickles[index] = pickle.dumps(_Mkdir(marker), protocol=2)
    path = _write_legacy(tmp_path / "evil.pth", state, storages, pickles)

    with pytest.raises(pickle.UnpicklingError, match=REFUSED_MKDIR):
        load_torch_checkpoint(path)
    assert not marker.exists()


def test_zip_data_pkl_cannot_run_code(tmp_path):
    marker = tmp_path / "pwned"
    state, storages = _tiny()
    state["evil"] = _Mkdir(marker)
    path = _write_zip(tmp_path / "evil.pth", state, storages)

    with pytest.raises(pickle.UnpicklingError, match=REFUSED_MKDIR):
        load_torch_checkpoint(path)
    assert not marker.exists()


def test_refuses_build_on_a_tensor(tmp_path):
    # BUILD after _rebuild_tensor_v2 would overwrite the checked geometry.
    storage = _Storage("0", np.arange(12))
    state = {"w": _Tensor(storage, 0, (3,), (1,),
                          state={"offset": -6, "stride": (-1,)})}
    path = _write_zip(tmp_path / "build.pth", state, [storage])

    with pytest.raises(pickle.UnpicklingError,
                       match="Refusing pickle BUILD on TensorRef"):
        load_torch_checkpoint(path)


def test_refuses_calling_a_storage_class(tmp_path):
    storage = _Storage("0", np.arange(12))
    state = {"w": _Tensor(storage, 0, (3,), (1,)), "x": _CallStorageClass()}
    path = _write_zip(tmp_path / "call.pth", state, [storage])

    with pytest.raises(pickle.UnpicklingError,
                       match="Refusing to call torch.FloatStorage"):
        load_torch_checkpoint(path)


def test_error_messages_escape_raw_names(tmp_path):
    # STACK_GLOBAL with a module name holding a non-ASCII letter, a control
    # character and a lone surrogate (BINUNICODE decodes with surrogatepass).
    module = "\u00e9vil\x01\udcff".encode("utf-8", "surrogatepass")
    data_pkl = (b"\x80\x04\x8c" + bytes([len(module)]) + module
                + b"\x8c\x03run\x93.")
    path = _write_zip(tmp_path / "name.pth", data_pkl=data_pkl)

    with pytest.raises(pickle.UnpicklingError) as info:
        load_torch_checkpoint(path)
    message = str(info.value)
    message.encode("ascii")  # Printable anywhere.
    assert "Refusing to load global \\xe9vil\\x01\\udcff.run" in message


# --- Tensor geometry (run in a subprocess: these used to read heap memory or
# segfault) ----------------------------------------------------------------


@pytest.mark.parametrize("offset, size, stride, fragment", [
    (-3, (3,), (1,), "has a negative storage offset"),
    (20, (3,), (1,), "out of range for its storage '0' of 12 elements"),
    (11, (4,), (-2**40,), "has a negative stride"),
    (11, (4, 3), (-3, 1), "has a negative stride"),
    (0, (100,), (1,), "reaches element 99, out of range"),
    (0, (-1,), (1,), "has a negative size"),
    (4, (2, 3), (6, 1), "reaches element 12, out of range"),
])
@pytest.mark.parametrize("layout", ["zip", "legacy"])
def test_rejects_views_outside_their_storage(tmp_path, layout, offset, size,
                                             stride, fragment):
    storage = _Storage("0", np.arange(12))
    state = {"w": _Tensor(storage, offset, size, stride)}
    path = tmp_path / f"view.{layout}.pth"
    if layout == "zip":
        _write_zip(path, state, [storage])
    else:
        _write_legacy(path, state, [storage])

    returncode, stderr = _load_in_subprocess(path)

    assert returncode == 3, stderr
    assert fragment in stderr


def test_rejects_storage_shorter_than_declared(tmp_path):
    # The pickle declares 1000 floats; the entry holds 12.
    storage = _Storage("0", np.arange(12), declared=1000)
    state = {"w": _Tensor(storage, 0, (3,), (1,))}
    path = _write_zip(tmp_path / "short.pth", state, [storage])

    with pytest.raises(ValueError, match="holds 48 bytes, but the pickle "
                                         "declares 4000"):
        load_torch_checkpoint(path)


def test_rejects_compressed_storage(tmp_path):
    state, storages = _tiny()
    path = _write_zip(tmp_path / "deflated.pth", state, storages,
                      storage_compression=zipfile.ZIP_DEFLATED)

    with pytest.raises(ValueError, match="storage entry 'archive/data/0' is "
                                         "compressed"):
        load_torch_checkpoint(path)


def test_rejects_legacy_count_past_end_of_file(tmp_path):
    # 2**40 floats declared by the pickle and by the stream; 48 bytes present.
    storage = _Storage("0", np.arange(12), declared=2**40)
    state = {"w": _Tensor(storage, 0, (3,), (1,))}
    path = _write_legacy(tmp_path / "long.pth", state, [storage],
                         counts=[2**40])

    returncode, stderr = _load_in_subprocess(path)

    assert returncode == 3, stderr
    assert "is truncated (storage '0' declares 4398046511104 bytes" in stderr
    assert _peak_rss_mb(stderr) < 200


def test_rejects_legacy_count_that_disagrees_with_the_pickle(tmp_path):
    state, storages = _tiny()
    path = _write_legacy(tmp_path / "count.pth", state, storages, counts=[3])

    with pytest.raises(ValueError, match="storage '0' holds 3 elements but "
                                         "the pickle declares 12"):
        load_torch_checkpoint(path)


def test_rejects_legacy_view_outside_its_root(tmp_path):
    storage = _Storage("0", np.arange(12), view=("1", 10, 5))
    state = {"w": _Tensor(storage, 0, (5,), (1,))}
    path = _write_legacy(tmp_path / "legacy_view.pth", state, [storage])

    with pytest.raises(ValueError, match=r"Storage view \('1', 10, 5\) does "
                                         "not fit in storage '0' of 12"):
        load_torch_checkpoint(path)


# --- Memory bombs: a few bytes must not allocate gigabytes ------------------


@pytest.mark.parametrize("data_pkl, fragment", [
    # LONG_BINPUT 2**31 - 1: the C unpickler would size its memo to 2**32
    # slots (32 GiB, zero-filled).
    (b"\x80\x02Nr\xff\xff\xff\x7f.", "uses memo index 2147483647 after 0"),
    # BINBYTES8 of 2**40 bytes: allocated before reading.
    (b"\x80\x04\x8e" + (2**40).to_bytes(8, "little") + b".",
     "could not read the data.pkl pickle"),
])
def test_pickle_bombs_are_refused_before_allocation(tmp_path, data_pkl,
                                                    fragment):
    path = _write_zip(tmp_path / "bomb.pth", data_pkl=data_pkl)

    returncode, stderr = _load_in_subprocess(path)

    assert returncode == 3, stderr
    assert fragment in stderr
    assert _peak_rss_mb(stderr) < 200


def test_broadcast_view_cannot_expand_a_small_file(tmp_path):
    # A 12-element storage viewed as 2**20 x 2**20 with stride 0: 4 TiB.
    storage = _Storage("0", np.arange(12))
    state = {"w": _Tensor(storage, 0, (2**20, 2**20), (0, 0))}
    path = _write_zip(tmp_path / "broadcast.pth", state, [storage])

    returncode, stderr = _load_in_subprocess(path)

    assert returncode == 3, stderr
    assert "would need copies of 1099511627776 elements" in stderr
    assert _peak_rss_mb(stderr) < 200


def test_small_broadcast_and_transposed_views_still_load(tmp_path):
    # Legitimate non-contiguous views within the copy budget are gathered.
    storage = _Storage("0", np.arange(12))
    state = {"t": _Tensor(storage, 0, (4, 3), (1, 4)),
             "b": _Tensor(storage, 2, (2, 3), (0, 1)),
             "one": _Tensor(storage, 5, (1, 2), (2**62, 2))}
    path = _write_zip(tmp_path / "views.pth", state, [storage])

    weights = load_torch_checkpoint(path)

    np.testing.assert_array_equal(
        weights["t"], np.arange(12, dtype="f4").reshape(3, 4).T)
    np.testing.assert_array_equal(weights["b"], [[2, 3, 4], [2, 3, 4]])
    np.testing.assert_array_equal(weights["one"], [[5, 7]])
    assert all(w.flags["C_CONTIGUOUS"] for w in weights.values())
