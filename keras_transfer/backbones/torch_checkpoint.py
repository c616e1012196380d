"""Read PyTorch checkpoints (`.pth`, `.pt`) into numpy arrays, without torch.

`torch.save` writes one of two layouts:

- the zip layout (torch >= 1.6): a zip archive holding `<root>/data.pkl`, a
  pickle whose tensors point at storages through `persistent_id`, plus one raw
  little-endian file per storage, `<root>/data/<key>`;
- the legacy layout (torch < 1.6): a stream of pickles (magic number, protocol
  version, system info, the object, the sorted storage keys) followed by each
  storage as an int64 element count and its raw bytes.

Both are read here with a restricted unpickler that only resolves the few
globals a state dict needs (`collections.OrderedDict`,
`torch._utils._rebuild_tensor_v2`, `torch._utils._rebuild_parameter` and the
typed storage classes). Anything else (arbitrary code in a malicious pickle,
full pickled `nn.Module`s) is refused with an error instead of being run.
"""

import collections
import io
import os
import pickle
import struct
import zipfile

import numpy as np

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001

# torch storage class name -> numpy dtype of its elements. "bfloat16" is read as
# raw uint16 and widened to float32 (numpy has no bfloat16).
_STORAGE_DTYPES = {
    "DoubleStorage": np.dtype("<f8"),
    "FloatStorage": np.dtype("<f4"),
    "HalfStorage": np.dtype("<f2"),
    "BFloat16Storage": "bfloat16",
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}


class _StorageType:
    """Stands in for a `torch.<Type>Storage` class inside the pickle."""

    def __init__(self, name):
        self.name = name
        self.dtype = _STORAGE_DTYPES[name]

    @property
    def itemsize(self):
        return 2 if self.dtype == "bfloat16" else self.dtype.itemsize


class _Storage:
    """A storage referenced by the pickle; its bytes are attached later."""

    def __init__(self, storage_type, key, numel):
        self.storage_type = storage_type
        self.key = key
        self.numel = numel
        self.array = None
        self.view = None  # (root _Storage, element offset) for legacy views.

    def elements(self):
        if self.view is not None:
            root, offset = self.view
            return root.elements()[offset:offset + self.numel]
        if self.array is None:
            raise ValueError(
                f"Storage {self.key!r} is referenced by the pickle but its data "
                "was not found in the checkpoint. The file is truncated or "
                "corrupt."
            )
        return self.array


class _TensorRef:
    """The arguments of `_rebuild_tensor_v2`, turned into an array later."""

    def __init__(self, storage, offset, size, stride):
        self.storage = storage
        self.offset = int(offset)
        self.size = tuple(int(s) for s in size)
        self.stride = tuple(int(s) for s in stride)

    def to_numpy(self):
        flat = self.storage.elements()
        if not self.size:
            return np.array(flat[self.offset])
        if any(s == 0 for s in self.size):
            return np.zeros(self.size, dtype=flat.dtype)
        last = self.offset + sum(
            (n - 1) * st for n, st in zip(self.size, self.stride))
        if last >= flat.size:
            raise ValueError(
                f"Tensor of shape {self.size} at offset {self.offset} does not "
                f"fit in its storage {self.storage.key!r} of {flat.size} "
                "elements. The checkpoint is corrupt."
            )
        view = np.lib.stride_tricks.as_strided(
            flat[self.offset:],
            shape=self.size,
            strides=tuple(st * flat.itemsize for st in self.stride),
        )
        return np.ascontiguousarray(view)


def _rebuild_tensor_v2(storage, storage_offset, size, stride,
                       requires_grad=False, backward_hooks=None,
                       metadata=None):
    return _TensorRef(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None):
    return data


def _rebuild_parameter_with_state(data, requires_grad=False,
                                  backward_hooks=None, state=None):
    return data


_ALLOWED_GLOBALS = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"):
        _rebuild_parameter_with_state,
}


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickles a state dict, resolving only an allow-list of globals."""

    def __init__(self, file, storages):
        super().__init__(file)
        self._storages = storages

    def find_class(self, module, name):
        if (module, name) in _ALLOWED_GLOBALS:
            return _ALLOWED_GLOBALS[(module, name)]
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(
            f"Refusing to load global {module}.{name} from a PyTorch "
            "checkpoint: only state dicts of plain tensors can be read without "
            "torch. Save the model's `state_dict()` rather than the module."
        )

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or not pid or pid[0] != "storage":
            raise pickle.UnpicklingError(
                f"Unsupported persistent id in PyTorch checkpoint: {pid!r}")
        storage_type, key, _location, numel = pid[1:5]
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(
                f"Unsupported storage type in PyTorch checkpoint: "
                f"{storage_type!r}")
        key = str(key)
        storage = self._storages.get(key)
        if storage is None:
            storage = _Storage(storage_type, key, int(numel))
            self._storages[key] = storage
        view_metadata = pid[5] if len(pid) > 5 else None
        if view_metadata is not None:
            # Legacy layout: a view into the storage `key` (see torch <= 1.5).
            view_key, offset, view_numel = view_metadata
            view = _Storage(storage_type, str(view_key), int(view_numel))
            view.view = (storage, int(offset))
            return view
        return storage


def _to_array(storage_type, raw):
    if storage_type.dtype == "bfloat16":
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32)
    return np.frombuffer(raw, dtype=storage_type.dtype)


def _load_zip(path):
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pickles = [n for n in names if n.endswith("data.pkl")]
        if len(pickles) != 1:
            raise ValueError(
                f"{path} is a zip file but not a PyTorch checkpoint: expected "
                f"one '<root>/data.pkl' entry, found {pickles or 'none'}."
            )
        root = pickles[0][:-len("data.pkl")]
        byteorder = "little"
        if f"{root}byteorder" in names:
            byteorder = archive.read(f"{root}byteorder").decode().strip()
        if byteorder != "little":
            raise ValueError(
                f"{path} was saved on a {byteorder}-endian machine; only "
                "little-endian checkpoints are supported."
            )
        storages = {}
        obj = _RestrictedUnpickler(
            io.BytesIO(archive.read(pickles[0])), storages).load()
        for key, storage in storages.items():
            member = f"{root}data/{key}"
            if member not in names:
                raise ValueError(
                    f"{path} is missing storage {member!r}. The checkpoint is "
                    "truncated or corrupt."
                )
            storage.array = _to_array(storage.storage_type, archive.read(member))
    return obj


def _load_legacy(path):
    with open(path, "rb") as f:
        try:
            magic = pickle.load(f)
        except Exception as error:
            raise ValueError(
                f"{path} is neither a zip nor a legacy PyTorch checkpoint "
                f"(could not read a pickle header: {error})."
            ) from None
        if magic != _LEGACY_MAGIC:
            raise ValueError(
                f"{path} is neither a zip nor a legacy PyTorch checkpoint "
                f"(magic number {magic!r} is not torch's)."
            )
        protocol = pickle.load(f)
        if protocol != _LEGACY_PROTOCOL:
            raise ValueError(
                f"{path} uses legacy protocol version {protocol!r}; only "
                f"{_LEGACY_PROTOCOL} is supported."
            )
        sys_info = pickle.load(f)
        if not sys_info.get("little_endian", True):
            raise ValueError(
                f"{path} was saved on a big-endian machine; only little-endian "
                "checkpoints are supported."
            )
        storages = {}
        obj = _RestrictedUnpickler(f, storages).load()
        keys = pickle.load(f)
        for key in keys:
            key = str(key)
            if key not in storages:
                raise ValueError(
                    f"{path} lists storage {key!r} that no tensor references. "
                    "The checkpoint is corrupt."
                )
            storage = storages[key]
            header = f.read(8)
            if len(header) != 8:
                raise ValueError(f"{path} is truncated (storage {key!r}).")
            (numel,) = struct.unpack("<q", header)
            nbytes = numel * storage.storage_type.itemsize
            raw = f.read(nbytes)
            if len(raw) != nbytes:
                raise ValueError(f"{path} is truncated (storage {key!r}).")
            storage.array = _to_array(storage.storage_type, raw)
    return obj


def _collect_arrays(obj, path):
    if isinstance(obj, dict) and not any(
            isinstance(v, _TensorRef) for v in obj.values()):
        nested = obj.get("state_dict")
        if isinstance(nested, dict):
            obj = nested
    if not isinstance(obj, dict):
        raise ValueError(
            f"{path} does not hold a state dict (a mapping of names to "
            f"tensors); its top-level object is a {type(obj).__name__}."
        )
    arrays = {str(name): value.to_numpy() for name, value in obj.items()
              if isinstance(value, _TensorRef)}
    if not arrays:
        raise ValueError(
            f"{path} holds a mapping with no tensors. Available keys: "
            f"{sorted(map(str, obj))}."
        )
    return arrays


def load_torch_checkpoint(path):
    """Reads the tensors of a PyTorch state-dict checkpoint as numpy arrays.

    Works without torch installed, on both layouts that `torch.save` writes:
    the zip layout (torch >= 1.6) and the legacy pickle-stream layout. Only
    plain tensors in a mapping (a `state_dict()`, possibly under a
    `"state_dict"` key) can be read; pickled modules and other Python objects
    are refused without running any code from the file.

    Args:
        path: str or path. The `.pth` / `.pt` file.

    Returns:
        dict mapping each tensor name (in checkpoint order) to a C-contiguous
        `np.ndarray` with the tensor's shape and dtype (`bfloat16` is widened
        to `float32`).

    Raises:
        FileNotFoundError: if `path` does not exist.
        ValueError: if the file is not a PyTorch checkpoint, is truncated,
            or does not hold a state dict of tensors.
        pickle.UnpicklingError: if the pickle references anything beyond
            tensors and ordered dicts.

    Example:

    ```python
    weights = keras_transfer.backbones.torch_checkpoint.load_torch_checkpoint(
        "model.pth")
    weights["_fc.weight"].shape  # (1000, 1280)
    ```
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No PyTorch checkpoint at {path!r}.")
    if zipfile.is_zipfile(path):
        obj = _load_zip(path)
    else:
        obj = _load_legacy(path)
    return _collect_arrays(obj, path)

