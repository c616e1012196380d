"""Read PyTorch checkpoints (`.pth`, `.pt`) into numpy arrays, without torch.

`torch.save` writes one of two layouts:

- the zip layout (torch >= 1.6): a zip archive holding `<root>/data.pkl`, a
  pickle whose tensors point at storages through `persistent_id`, plus one raw
  little-endian file per storage, `<root>/data/<key>`;
- the legacy layout (torch < 1.6): a stream of pickles (magic number, protocol
  version, system info, the object, the sorted storage keys) followed by each
  storage as an int64 element count and its raw bytes.

A checkpoint file is treated as hostile. Every pickle of both layouts (the
zip's `data.pkl` and all five pickles of the legacy stream) goes through one
restricted unpickler, `_RestrictedUnpickler`, and `pickle.load` is never
called. Before it runs, each pickle is scanned opcode by opcode: a length or
memo index that does not fit in the bytes actually present is refused, so a
few bytes cannot make the unpickler allocate gigabytes. The unpickler only
resolves an allow-list of globals:

- `collections.OrderedDict`,
- `torch._utils._rebuild_tensor_v2`, `torch._utils._rebuild_parameter` and
  `torch._utils._rebuild_parameter_with_state` (replaced by local stand-ins
  that record the tensor geometry; nothing from torch is imported),
- the typed storage classes `torch.<Type>Storage`, only as the type of a
  `persistent_id` storage reference.

Anything else (`os.system`, `builtins.eval`, a pickled `nn.Module`, ...) is
refused by `find_class` with an `pickle.UnpicklingError` naming the global,
before it is called. The allow-listed callables refuse pickle `BUILD`
(attribute assignment) and unexpected arguments.

Tensor geometry is checked before any data is touched: offsets, sizes and
strides must be non-negative integers, every element a view addresses must lie
inside its storage, a storage's bytes must be exactly its declared element
count times the element size (zip entry size, or the legacy stream's count,
which must also fit in the bytes left in the file), and zip entries may not
declare more bytes than the archive can hold (storage entries must be stored
uncompressed, as `torch.save` writes them). Contiguous tensors are returned
as read-only views of the file's bytes; other views (transposed, strided) are
copied with bounds-checked indexing, and those copies may total at most twice
the elements stored in the file, so broadcast (stride 0) views cannot expand a
small file into a huge allocation.
"""

import collections
import io
import math
import os
import pickle
import pickletools
import reprlib
import struct
import zipfile
import zlib

import numpy as np

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001

# Deflate cannot compress better than about 1032:1; a zip entry that declares
# more uncompressed bytes than that is lying (or a zip bomb).
_MAX_DEFLATE_RATIO = 1032
# No real weight tensor has more dimensions (numpy 1.x supports 32) or a
# longer dimension.
_MAX_NDIM = 32
_MAX_DIM = 2**40
# Copies of non-contiguous tensors may total this many times the number of
# elements stored in the file (plus a small allowance for tiny files).
_COPY_BUDGET_FACTOR = 2
_COPY_BUDGET_SLACK = 1024

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

_repr = reprlib.Repr()
_repr.maxlevel = 3
_repr.maxstring = 80
_repr.maxother = 80
_repr.maxlong = 40


def _show(value):
    """A short, ASCII-only repr of a value read from the file.

    Never raises: hostile values may be deeply nested, huge, or hold bytes
    and lone surrogates.
    """
    try:
        text = _repr.repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text.encode("ascii", "backslashreplace").decode("ascii")


def _show_text(text, limit=200):
    """`text` cut to `limit` characters, control and non-ASCII characters
    escaped (`\\x01`, `\\xe9`, `\\udcff`)."""
    try:
        text = str(text)
    except Exception:
        return "<unprintable>"
    suffix = "..." if len(text) > limit else ""
    return text[:limit].encode("unicode_escape").decode("ascii") + suffix


class _CheckpointError(ValueError):
    """A malformed or hostile checkpoint (a ValueError, passed through)."""


class _RefusedError(pickle.UnpicklingError):
    """The pickle asked for something outside the allow-list."""


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


class _Guarded:
    """Objects the pickle can reach refuse `BUILD` (attribute assignment)."""

    def __setstate__(self, state):
        raise _RefusedError(
            f"Refusing pickle BUILD on {type(self).__name__.lstrip('_')} in a "
            "PyTorch checkpoint: a state dict never sets attributes on tensors "
            "or storages."
        )


class _StorageType(_Guarded):
    """Stands in for a `torch.<Type>Storage` class inside the pickle."""

    def __init__(self, name):
        self.name = name
        self.dtype = _STORAGE_DTYPES[name]

    @property
    def itemsize(self):
        return 2 if self.dtype == "bfloat16" else self.dtype.itemsize

    def __call__(self, *args, **kwargs):
        raise _RefusedError(
            f"Refusing to call torch.{self.name} from a PyTorch checkpoint: "
            "storage classes may only appear in storage references."
        )


class _Storage(_Guarded):
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
            raise _CheckpointError(
                f"Storage {_show(self.key)} is referenced by the pickle but its "
                "data was not found in the checkpoint. The file is truncated "
                "or corrupt."
            )
        return self.array


class _TensorRef(_Guarded):
    """The arguments of `_rebuild_tensor_v2`, turned into an array later."""

    def __init__(self, storage, offset, size, stride):
        self.storage = storage
        self.offset = offset
        self.size = size
        self.stride = stride

    @property
    def numel(self):
        return math.prod(self.size)

    def is_contiguous(self):
        expected = 1
        for n, st in zip(reversed(self.size), reversed(self.stride)):
            if n != 1 and st != expected:
                return False
            expected *= n
        return True

    def check(self, name):
        """Raises unless every element of the view lies inside its storage."""
        numel = self.storage.numel
        where = (f"Tensor {_show(name)} (shape {self.size}, stride "
                 f"{self.stride}, offset {self.offset})")
        if self.offset < 0:
            raise _CheckpointError(
                f"{where} has a negative storage offset. The checkpoint is "
                "corrupt or malicious.")
        if any(n < 0 for n in self.size):
            raise _CheckpointError(
                f"{where} has a negative size. The checkpoint is corrupt or "
                "malicious.")
        if any(n > _MAX_DIM for n in self.size):
            raise _CheckpointError(
                f"{where} has a dimension larger than {_MAX_DIM}. The "
                "checkpoint is corrupt or malicious.")
        if any(st < 0 for st in self.stride):
            raise _CheckpointError(
                f"{where} has a negative stride. The checkpoint is corrupt or "
                "malicious.")
        if 0 in self.size:
            if self.offset > numel:
                raise _CheckpointError(
                    f"{where} starts past the end of its storage "
                    f"{_show(self.storage.key)} of {numel} elements. The "
                    "checkpoint is corrupt or malicious.")
            return
        last = self.offset + sum(
            (n - 1) * st for n, st in zip(self.size, self.stride))
        if last >= numel:
            raise _CheckpointError(
                f"{where} reaches element {last}, out of range for its "
                f"storage {_show(self.storage.key)} of {numel} elements. The "
                "checkpoint is corrupt or malicious.")

    def to_numpy(self):
        """Returns the tensor; call `check` first."""
        flat = self.storage.elements()
        numel = self.numel
        if numel == 0:
            return np.zeros(self.size, dtype=flat.dtype)
        if self.is_contiguous():
            # A slice of the storage: numpy bounds the slice itself.
            return flat[self.offset:self.offset + numel].reshape(self.size)
        # Gather with explicit indices instead of `as_strided`: indexing is
        # bounds-checked by numpy, so a wrong stride can never read memory
        # outside the storage.
        index = np.full((1,) * len(self.size), self.offset, dtype=np.int64)
        for axis, (n, st) in enumerate(zip(self.size, self.stride)):
            if n == 1:
                continue  # Its stride is never used (and may be anything).
            shape = [1] * len(self.size)
            shape[axis] = n
            index = index + (np.arange(n, dtype=np.int64) * st).reshape(shape)
        if index.min() < 0 or index.max() >= flat.size:
            raise _CheckpointError(
                f"Tensor view on storage {_show(self.storage.key)} is out of "
                "range. The checkpoint is corrupt or malicious.")
        return np.ascontiguousarray(flat[index])


def _rebuild_tensor_v2(storage, storage_offset, size, stride,
                       requires_grad=False, backward_hooks=None,
                       metadata=None):
    if not isinstance(storage, _Storage):
        raise _CheckpointError(
            "torch._utils._rebuild_tensor_v2 in a PyTorch checkpoint got "
            f"{_show(storage)} instead of a storage reference.")
    if not _is_int(storage_offset):
        raise _CheckpointError(
            "A tensor's storage offset must be an integer. Received: "
            f"storage_offset={_show(storage_offset)}")
    if (not isinstance(size, (tuple, list))
            or not isinstance(stride, (tuple, list))
            or not all(_is_int(n) for n in size)
            or not all(_is_int(s) for s in stride)):
        raise _CheckpointError(
            "A tensor's size and stride must be sequences of integers. "
            f"Received: size={_show(size)}, stride={_show(stride)}")
    if len(size) != len(stride):
        raise _CheckpointError(
            "A tensor's size and stride must have the same length. Received: "
            f"size={_show(size)}, stride={_show(stride)}")
    if len(size) > _MAX_NDIM:
        raise _CheckpointError(
            f"A tensor may have at most {_MAX_NDIM} dimensions. Received: "
            f"{len(size)} dimensions.")
    return _TensorRef(storage, storage_offset, tuple(size), tuple(stride))


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None):
    return data


def _rebuild_parameter_with_state(data, requires_grad=False,
                                  backward_hooks=None, state=None):
    return data


class _AllowedCallable(_Guarded):
    """An allow-listed global: callable (REDUCE), nothing else."""

    def __init__(self, qualified_name, function):
        self.qualified_name = qualified_name
        self.function = function

    def __call__(self, *args):
        try:
            return self.function(*args)
        except TypeError as error:
            raise _CheckpointError(
                f"{self.qualified_name} was called with unexpected arguments "
                f"in a PyTorch checkpoint: {_show_text(error)}") from None


_ALLOWED_GLOBALS = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"):
        _rebuild_parameter_with_state,
}


def _as_key(value):
    """A storage key from the pickle (str, or ASCII bytes from Python 2)."""
    if isinstance(value, bytes):
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            value = None
    if not isinstance(value, str):
        raise _CheckpointError(
            f"Storage keys must be strings. Received: {_show(value)}")
    return value


class _RestrictedUnpickler(pickle.Unpickler):
    """The one unpickler for every pickle of a checkpoint.

    Resolves only `_ALLOWED_GLOBALS` and `torch.<Type>Storage`; storage
    references (`persistent_id`) are accepted only where `storages` is given
    (the object pickle), in the layout's own tuple form.
    """

    def __init__(self, file, storages=None, legacy=False):
        super().__init__(file, encoding="utf-8")
        self._storages = storages
        self._legacy = legacy

    def find_class(self, module, name):
        function = _ALLOWED_GLOBALS.get((module, name))
        if function is not None:
            return _AllowedCallable(f"{module}.{name}", function)
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise _RefusedError(
            f"Refusing to load global {_show_text(module)}.{_show_text(name)} "
            "from a PyTorch checkpoint: only state dicts of plain tensors can "
            "be read without torch, and nothing from the file is run. Save the "
            "model's `state_dict()` rather than the module."
        )

    def persistent_load(self, pid):
        if self._storages is None:
            raise _RefusedError(
                "Unexpected storage reference in a header pickle of a PyTorch "
                f"checkpoint: {_show(pid)}")
        expected = 6 if self._legacy else 5
        if (not isinstance(pid, tuple) or len(pid) != expected
                or pid[0] not in ("storage", b"storage")):
            raise _RefusedError(
                f"Unsupported persistent id in PyTorch checkpoint: {_show(pid)}")
        storage_type, key, _location, numel = pid[1:5]
        if not isinstance(storage_type, _StorageType):
            raise _RefusedError(
                "Unsupported storage type in PyTorch checkpoint: "
                f"{_show(storage_type)}")
        key = _as_key(key)
        if not _is_int(numel) or numel < 0:
            raise _CheckpointError(
                f"Storage {_show(key)} declares an invalid element count "
                f"{_show(numel)}. The checkpoint is corrupt or malicious.")
        storage = self._storages.get(key)
        if storage is None:
            storage = _Storage(storage_type, key, numel)
            self._storages[key] = storage
        elif (storage.storage_type.name != storage_type.name
              or storage.numel != numel):
            raise _CheckpointError(
                f"Storage {_show(key)} is declared twice with different types "
                f"or sizes ({storage.storage_type.name}[{storage.numel}] and "
                f"{storage_type.name}[{numel}]). The checkpoint is corrupt.")
        view_metadata = pid[5] if self._legacy else None
        if view_metadata is None:
            return storage
        # Legacy layout: a view into the storage `key` (see torch <= 1.5).
        if not isinstance(view_metadata, tuple) or len(view_metadata) != 3:
            raise _CheckpointError(
                f"Invalid storage view {_show(view_metadata)} in PyTorch "
                "checkpoint.")
        view_key, offset, view_numel = view_metadata
        if (not _is_int(offset) or not _is_int(view_numel) or offset < 0
                or view_numel < 0 or offset + view_numel > numel):
            raise _CheckpointError(
                f"Storage view {_show(view_metadata)} does not fit in storage "
                f"{_show(key)} of {numel} elements. The checkpoint is corrupt "
                "or malicious.")
        view = _Storage(storage_type, _as_key(view_key), view_numel)
        view.view = (storage, offset)
        return view


def _scan_pickle(data, start, path, what):
    """Checks one pickle of `data` at `start` without running it.

    Returns the offset just past its STOP opcode. Every length the pickle
    declares must fit in the bytes that follow, and memo indices must grow one
    by one as the pickler writes them (the C unpickler sizes its memo by the
    largest index, so a single huge index would allocate gigabytes).
    """
    stream = io.BytesIO(data)
    stream.seek(start)
    memo_entries = 0
    try:
        for opcode, arg, _ in pickletools.genops(stream):
            if opcode.name in ("PUT", "BINPUT", "LONG_BINPUT"):
                if not _is_int(arg) or not 0 <= arg <= memo_entries:
                    raise _CheckpointError(
                        f"{path}: the {what} pickle uses memo index "
                        f"{_show(arg)} after {memo_entries} entries. The "
                        "checkpoint is corrupt or malicious.")
                memo_entries += 1
            elif opcode.name == "MEMOIZE":
                memo_entries += 1
            elif opcode.name == "FRAME":
                if arg > len(data) - stream.tell():
                    raise _CheckpointError(
                        f"{path}: the {what} pickle declares a frame of {arg} "
                        "bytes, longer than the rest of the file.")
            elif opcode.name == "STOP":
                return stream.tell()
    except _CheckpointError:
        raise
    except Exception as error:
        raise _CheckpointError(
            f"{path}: could not read the {what} pickle: "
            f"{_show_text(error)}") from None
    raise _CheckpointError(f"{path}: the {what} pickle has no end.")


def _unpickle(data, start, path, what, storages=None, legacy=False):
    """Scans, then runs the restricted unpickler on one pickle of `data`.

    Returns `(object, end offset)`.
    """
    end = _scan_pickle(data, start, path, what)
    unpickler = _RestrictedUnpickler(
        io.BytesIO(data[start:end]), storages=storages, legacy=legacy)
    try:
        return unpickler.load(), end
    except (_RefusedError, _CheckpointError):
        raise
    except Exception as error:
        raise _CheckpointError(
            f"{path}: could not read the {what} pickle: "
            f"{type(error).__name__}: {_show_text(error)}") from None


def _to_array(storage_type, raw):
    if storage_type.dtype == "bfloat16":
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32)
    return np.frombuffer(raw, dtype=storage_type.dtype)


def _check_zip_entry(info, path, archive_size, expected=None):
    """Refuses zip entries that declare more bytes than they can hold.

    With `expected` (a storage), the entry must be stored uncompressed, as
    `torch.save` writes it, so its bytes are bounded by the file's size.
    """
    if expected is not None and info.compress_type != zipfile.ZIP_STORED:
        raise _CheckpointError(
            f"{path}: storage entry {_show(info.filename)} is compressed; "
            "`torch.save` stores tensors uncompressed and compressed storages "
            "are refused (their size is not bounded by the file's). Re-save "
            "the checkpoint with `torch.save`.")
    if info.compress_size > archive_size:
        raise _CheckpointError(
            f"{path}: zip entry {_show(info.filename)} declares "
            f"{info.compress_size} compressed bytes in a file of "
            f"{archive_size} bytes. The checkpoint is corrupt or malicious.")
    if info.compress_type == zipfile.ZIP_STORED:
        limit = info.compress_size
    else:
        limit = _MAX_DEFLATE_RATIO * info.compress_size + 1024
    if info.file_size > limit:
        raise _CheckpointError(
            f"{path}: zip entry {_show(info.filename)} declares "
            f"{info.file_size} bytes but holds at most {limit}. The checkpoint "
            "is corrupt or malicious.")
    if expected is not None and info.file_size != expected:
        raise _CheckpointError(
            f"{path}: storage entry {_show(info.filename)} holds "
            f"{info.file_size} bytes, but the pickle declares {expected} "
            "(element count times element size). The checkpoint is corrupt "
            "or malicious.")


def _read_zip_entry(archive, info, path):
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError,
            RuntimeError, ValueError) as error:
        raise _CheckpointError(
            f"{path}: could not read zip entry {_show(info.filename)}: "
            f"{_show_text(error)}") from None


def _load_zip(path):
    archive_size = os.path.getsize(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, ValueError, NotImplementedError) as error:
        raise _CheckpointError(
            f"{path} is not a readable zip file: {_show_text(error)}") from None
    with archive:
        infos = {info.filename: info for info in archive.infolist()}
        pickles = [n for n in infos if n.endswith("data.pkl")]
        if len(pickles) != 1:
            raise _CheckpointError(
                f"{path} is a zip file but not a PyTorch checkpoint: expected "
                "one '<root>/data.pkl' entry, found "
                f"{_show(pickles) if pickles else 'none'}."
            )
        root = pickles[0][:-len("data.pkl")]
        byteorder = "little"
        if f"{root}byteorder" in infos:
            info = infos[f"{root}byteorder"]
            _check_zip_entry(info, path, archive_size)
            if info.file_size > 64:
                raise _CheckpointError(
                    f"{path}: the byteorder entry is {info.file_size} bytes "
                    "long; expected 'little' or 'big'.")
            byteorder = _read_zip_entry(archive, info, path).decode(
                "ascii", "backslashreplace").strip()
        if byteorder != "little":
            raise _CheckpointError(
                f"{path} was saved on a {_show_text(byteorder)}-endian "
                "machine; only little-endian checkpoints are supported."
            )
        info = infos[pickles[0]]
        _check_zip_entry(info, path, archive_size)
        storages = {}
        obj, _ = _unpickle(_read_zip_entry(archive, info, path), 0, path,
                           "data.pkl", storages=storages)
        for key, storage in storages.items():
            member = f"{root}data/{key}"
            if member not in infos:
                raise _CheckpointError(
                    f"{path} is missing storage {_show(member)}. The "
                    "checkpoint is truncated or corrupt."
                )
            info = infos[member]
            _check_zip_entry(info, path, archive_size,
                             expected=storage.numel * storage.storage_type.itemsize)
            storage.array = _to_array(storage.storage_type,
                                      _read_zip_entry(archive, info, path))
    return obj


def _load_legacy(path):
    with open(path, "rb") as f:
        data = f.read()
    try:
        magic, offset = _unpickle(data, 0, path, "magic number")
    except _CheckpointError as error:
        raise _CheckpointError(
            f"{path} is neither a zip nor a legacy PyTorch checkpoint "
            f"(could not read a pickle header: {error})."
        ) from None
    if not _is_int(magic) or magic != _LEGACY_MAGIC:
        raise _CheckpointError(
            f"{path} is neither a zip nor a legacy PyTorch checkpoint "
            f"(magic number {_show(magic)} is not torch's)."
        )
    protocol, offset = _unpickle(data, offset, path, "protocol version")
    if not _is_int(protocol) or protocol != _LEGACY_PROTOCOL:
        raise _CheckpointError(
            f"{path} uses legacy protocol version {_show(protocol)}; only "
            f"{_LEGACY_PROTOCOL} is supported."
        )
    sys_info, offset = _unpickle(data, offset, path, "system info")
    if not isinstance(sys_info, dict):
        raise _CheckpointError(
            f"{path}: the system info pickle holds {_show(sys_info)}, not a "
            "dict. The checkpoint is corrupt.")
    if sys_info.get("little_endian", True) is not True:
        raise _CheckpointError(
            f"{path} was saved on a big-endian machine; only little-endian "
            "checkpoints are supported."
        )
    storages = {}
    obj, offset = _unpickle(data, offset, path, "object", storages=storages,
                            legacy=True)
    keys, offset = _unpickle(data, offset, path, "storage keys")
    if not isinstance(keys, (list, tuple)):
        raise _CheckpointError(
            f"{path}: the storage keys pickle holds {_show(keys)}, not a list. "
            "The checkpoint is corrupt.")
    view = memoryview(data)
    seen = set()
    for key in keys:
        key = _as_key(key)
        if key not in storages:
            raise _CheckpointError(
                f"{path} lists storage {_show(key)} that no tensor references. "
                "The checkpoint is corrupt."
            )
        if key in seen:
            raise _CheckpointError(
                f"{path} lists storage {_show(key)} twice. The checkpoint is "
                "corrupt.")
        seen.add(key)
        storage = storages[key]
        if len(data) - offset < 8:
            raise _CheckpointError(f"{path} is truncated (storage {_show(key)}).")
        (numel,) = struct.unpack_from("<q", data, offset)
        offset += 8
        if numel != storage.numel:
            raise _CheckpointError(
                f"{path}: storage {_show(key)} holds {numel} elements but the "
                f"pickle declares {storage.numel}. The checkpoint is corrupt "
                "or malicious.")
        nbytes = numel * storage.storage_type.itemsize
        if nbytes > len(data) - offset:
            raise _CheckpointError(
                f"{path} is truncated (storage {_show(key)} declares {nbytes} "
                f"bytes, {len(data) - offset} remain).")
        storage.array = _to_array(storage.storage_type,
                                  view[offset:offset + nbytes])
        offset += nbytes
    return obj


def _root_storages(refs):
    roots = {}
    for ref in refs:
        storage = ref.storage
        while storage.view is not None:
            storage = storage.view[0]
        roots[id(storage)] = storage
    return roots.values()


def _collect_arrays(obj, path):
    if isinstance(obj, dict) and not any(
            isinstance(v, _TensorRef) for v in obj.values()):
        nested = obj.get("state_dict")
        if isinstance(nested, dict):
            obj = nested
    if not isinstance(obj, dict):
        raise _CheckpointError(
            f"{path} does not hold a state dict (a mapping of names to "
            f"tensors); its top-level object is a {type(obj).__name__}."
        )
    refs = {}
    for name, value in obj.items():
        if not isinstance(value, _TensorRef):
            continue
        if not isinstance(name, str):
            raise _CheckpointError(
                f"{path}: tensor names must be strings. Received: "
                f"{_show(name)}")
        value.check(name)
        refs[name] = value
    if not refs:
        raise _CheckpointError(
            f"{path} holds a mapping with no tensors. Available keys: "
            f"{_show(sorted(_show_text(k) for k in obj))}."
        )
    stored = sum(s.numel for s in _root_storages(refs.values()))
    copied = sum(ref.numel for ref in refs.values()
                 if not ref.is_contiguous())
    budget = _COPY_BUDGET_FACTOR * stored + _COPY_BUDGET_SLACK
    if copied > budget:
        raise _CheckpointError(
            f"{path}: its non-contiguous tensors would need copies of {copied} "
            f"elements, more than {_COPY_BUDGET_FACTOR} times the {stored} "
            "elements stored in the file (broadcast or overlapping views). "
            "Refusing to allocate them.")
    return {name: ref.to_numpy() for name, ref in refs.items()}


def load_torch_checkpoint(path):
    """Reads the tensors of a PyTorch state-dict checkpoint as numpy arrays.

    Works without torch installed, on both layouts that `torch.save` writes:
    the zip layout (torch >= 1.6) and the legacy pickle-stream layout. Only
    plain tensors in a mapping (a `state_dict()`, possibly under a
    `"state_dict"` key) can be read. The file is treated as untrusted: every
    pickle in it goes through a restricted unpickler that resolves only
    `collections.OrderedDict`, torch's tensor/parameter rebuild functions and
    storage types, so pickled modules and other Python objects are refused
    without running any code from the file; tensor offsets, sizes and strides
    are checked against their storages before any data is read.

    Args:
        path: str or path. The `.pth` / `.pt` file.

    Returns:
        dict mapping each tensor name (in checkpoint order) to a C-contiguous
        `np.ndarray` with the tensor's shape and dtype (`bfloat16` is widened
        to `float32`). Contiguous tensors are read-only views of the file's
        bytes.

    Raises:
        FileNotFoundError: if `path` does not exist.
        ValueError: if the file is not a PyTorch checkpoint, is truncated,
            does not hold a state dict of tensors, or declares a tensor or
            storage that does not fit in the file (negative or out-of-range
            offset, size or stride; a storage shorter or longer than declared).
        pickle.UnpicklingError: if a pickle references anything beyond
            tensors, storages and ordered dicts, or asks to set attributes on
            them.

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
